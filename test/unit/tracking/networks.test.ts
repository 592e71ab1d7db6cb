/*
 * The IPv4 fast path of the network lists: v4Number accepts exactly the dotted quads parseIp
 * accepts as IPv4, and networkList answers the same through it as the byte-wise matcher.
 */
import t from 'tap';
import { v4Number, parseIp, parseCidr, inCidr, networkList, APPLE_MPP_CIDRS, SCANNER_CIDRS } from '../../../server/tracking/networks.js';

t.test('v4Number: dotted quads only', async (t) => {
  const cases: Array<[string, number]> = [
    ['0.0.0.0', 0], ['17.0.0.1', 0x11000001], ['255.255.255.255', 0xffffffff], ['192.168.1.10', 0xc0a8010a],
    ['256.0.0.1', -1], ['01.2.3.4', -1], ['1.2.3', -1], ['1.2.3.4.5', -1], ['1..3.4', -1], ['1.2.3.', -1], ['.1.2.3', -1],
    ['1.2.3.4 ', -1], ['a.b.c.d', -1], ['::1', -1], ['', -1], ['1000.1.1.1', -1],
  ];
  for (const [s, want] of cases) t.equal(v4Number(s), want, JSON.stringify(s));
  t.equal(v4Number('::ffff:17.1.2.3', 7), 0x11010203, 'from an offset (IPv4-mapped)');
});

t.test('networkList.has agrees with parseIp + inCidr', async (t) => {
  const lists = [APPLE_MPP_CIDRS, SCANNER_CIDRS, ['10.0.0.0/8', '192.168.0.0/16', '0.0.0.0/0', '203.0.113.7/32']] as const;
  const ips = [
    '17.0.0.1', '17.255.255.255', '16.255.255.255', '18.0.0.0', '::ffff:17.5.5.5', '::FFFF:17.5.5.5', '::ffff:1100:0001', '40.92.0.1', '40.94.0.0',
    '104.47.127.255', '104.47.128.0', '66.249.64.1', '66.249.96.0', '10.1.2.3', '192.168.255.1', '203.0.113.7', '203.0.113.8', ' 17.0.0.1',
    '2a01:111:f400::1', '2001:4860:4801::5', '::1', 'garbage', '', '017.0.0.1',
  ];
  for (const cidrs of lists) {
    const list = networkList(cidrs);
    const parsed = cidrs.map(parseCidr);
    for (const ip of ips) {
      const b = parseIp(ip);
      t.equal(list.has(ip), !!b && parsed.some((c) => inCidr(b, c)), `${ip} in ${cidrs.join(',')}`);
    }
  }
  t.equal(networkList(['0.0.0.0/0']).has('8.8.8.8'), true, '/0 matches every IPv4 address');
  t.equal(networkList(['0.0.0.0/0']).has('2001:db8::1'), false, 'but no IPv6 one');
});
