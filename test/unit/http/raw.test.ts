/*
 * Raw routes (http/raw.ts): the client address they use is the one Fastify's trustProxy gives
 * for the same setting (compared on Fastify itself, per case), and the dispatcher takes only
 * GET/HEAD under a prefix with one path segment, leaving the rest to Fastify.
 */
import t from 'tap';
import Fastify from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientIpOf, rawDispatch, trustedList } from '../../../server/http/raw.js';
import { fastifyTrustProxy } from '../../../server/http/proxy.js';
import type { TrustProxy } from '../../../server/config.js';

const SETTINGS: TrustProxy[] = [false, 1, 2, ['127.0.0.1'], ['10.0.0.0/8', '127.0.0.1'], ['loopback'], ['uniquelocal', 'loopback'], ['::1', '2001:db8::/32']];
const CASES: Array<{ peer: string; xff?: string }> = [
  { peer: '127.0.0.1' },
  { peer: '127.0.0.1', xff: '203.0.113.9' },
  { peer: '127.0.0.1', xff: '198.51.100.1, 10.1.2.3' },
  { peer: '127.0.0.1', xff: '198.51.100.1, 203.0.113.7, 10.1.2.3' },
  { peer: '203.0.113.50', xff: '198.51.100.1' },
  { peer: '10.9.9.9', xff: '192.168.1.5, 172.16.0.1' },
  { peer: '::1', xff: '2001:db8::5, 198.51.100.2' },
  { peer: '::ffff:127.0.0.1', xff: '198.51.100.3' },
  { peer: '127.0.0.1', xff: 'not-an-ip, 198.51.100.4' },
];

t.test('the client address matches Fastify trustProxy for every setting and hop list', async (t) => {
  for (const tp of SETTINGS) {
    const app = Fastify({ trustProxy: fastifyTrustProxy(tp) as never });
    const mine = clientIpOf(tp);
    app.get('/ip', async (req) => ({ fastify: req.ip, raw: mine(req.raw) }));
    for (const c of CASES) {
      const res = await app.inject({ url: '/ip', remoteAddress: c.peer, headers: c.xff ? { 'x-forwarded-for': c.xff } : {} });
      const b = res.json() as { fastify: string; raw: string };
      t.equal(b.raw, b.fastify, `${JSON.stringify(tp)} peer ${c.peer} xff ${c.xff ?? '-'} → ${b.fastify}`);
    }
    await app.close();
  }
});

t.test('trusted lists: addresses, CIDRs, range names, IPv4-mapped peers', async (t) => {
  const rows: Array<[string[], string, boolean]> = [
    [['127.0.0.1'], '127.0.0.1', true], [['127.0.0.1'], '127.0.0.2', false], [['10.0.0.0/8'], '10.255.0.1', true],
    [['10.0.0.0/8'], '11.0.0.1', false], [['loopback'], '::1', true], [['loopback'], '::ffff:127.0.0.9', true],
    [['uniquelocal'], '172.31.255.255', true], [['uniquelocal'], '172.32.0.1', false], [['linklocal'], 'fe80::1', true],
    [['2001:db8::/32'], '2001:db8:1::1', true], [['2001:db8::/32'], '2001:db9::1', false], [['127.0.0.1'], 'garbage', false],
  ];
  for (const [list, addr, want] of rows) t.equal(trustedList(list)(addr), want, `${list.join(',')} trusts ${addr}: ${want}`);
});

t.test('dispatch: GET/HEAD under a prefix with one segment, decoded, query dropped; the rest to Fastify', async (t) => {
  const seen: string[] = [];
  const d = rawDispatch([{ prefix: '/t/o/', handler: (_q, _s, rest, ip) => seen.push(`raw:${rest}:${ip}`) }], () => '1.2.3.4', (req) => seen.push(`fastify:${req.method} ${req.url}`));
  const call = (method: string, url: string) => d({ method, url, headers: {} } as IncomingMessage, {} as ServerResponse);
  call('GET', '/t/o/abc.gif'); call('HEAD', '/t/o/a%2Eb?x=1'); call('POST', '/t/o/abc'); call('GET', '/t/o/'); call('GET', '/t/o/a/b'); call('GET', '/t/x/abc'); call('GET', '/admin'); call('GET', '/t/o/%E0%A4%A');
  t.same(seen, ['raw:abc.gif:1.2.3.4', 'raw:a.b:1.2.3.4', 'fastify:POST /t/o/abc', 'fastify:GET /t/o/', 'fastify:GET /t/o/a/b', 'fastify:GET /t/x/abc', 'fastify:GET /admin', 'fastify:GET /t/o/%E0%A4%A']);
});
