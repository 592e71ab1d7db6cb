/* The open/click classifier on a labelled table of realistic hits, and the CIDR matcher it stands on. */
import t from 'tap';
import { classifyHit, type TrackingHit, type EventClass, type HitRule } from '../../../server/tracking/classify.js';
import { parseIp, parseCidr, inCidr, networkList, APPLE_MPP_CIDRS, SCANNER_CIDRS } from '../../../server/tracking/networks.js';

const UA = {
  chromeWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  edgeWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
  iphoneMail: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  macMail: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  androidChrome: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  gmailProxy: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
  yahooProxy: 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
  appleMpp: 'Mozilla/5.0',
  curl: 'curl/8.5.0',
  pyRequests: 'python-requests/2.31.0',
  goHttp: 'Go-http-client/1.1',
  barracudaSentinel: 'Barracuda Sentinel (EE)',
  barracudaCompat: 'Mozilla/5.0 (compatible; Barracuda)',
  mimecast: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Mimecast',
  proofpoint: 'Proofpoint URL Defense',
  trendMicro: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Trend Micro Email Security',
  outlookDesktop: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)',
  outlookPreview: 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; ms-office; MSOffice 16)',
  officeDiscovery: 'Microsoft Office Existence Discovery',
};
const IP = {
  home: '203.0.113.45', homeV6: '2001:db8:85a3::8a2e:370:7334', apple: '17.58.101.12', appleMapped: '::ffff:17.123.4.5',
  gmail: '66.249.84.91', eop: '40.107.22.105', eopMapped: '::ffff:40.93.1.2', eopV6: '2a01:111:f403:c201::7', googlebotV6: '2001:4860:4801:2008::1',
};
const HOUR = 3_600_000;
const open = (userAgent: string | null, ip: string | null, extra: Partial<TrackingHit> = {}): TrackingHit => ({ kind: 'open', method: 'GET', userAgent, ip, msSinceSent: HOUR, ...extra });
const click = (userAgent: string | null, ip: string | null, extra: Partial<TrackingHit> = {}): TrackingHit =>
  ({ kind: 'click', method: 'GET', userAgent, ip, msSinceSent: HOUR, recentDistinctClicks: 1, linksInMessage: 4, ...extra });

const cases: Array<[string, TrackingHit, EventClass, HitRule]> = [
  // people
  ['desktop Chrome opens', open(UA.chromeWin, IP.home), 'human', 'default'],
  ['Firefox on Linux opens over IPv6', open(UA.firefoxLinux, IP.homeV6), 'human', 'default'],
  ['iPhone Mail opens (full WebKit UA, home IP)', open(UA.iphoneMail, IP.home), 'human', 'default'],
  ['Apple Mail on a Mac opens', open(UA.macMail, '198.51.100.7'), 'human', 'default'],
  ['Outlook desktop loads images: Office UA on an open is the reader', open(UA.outlookDesktop, IP.home), 'human', 'default'],
  ['Outlook desktop (Word engine) loads images', open(UA.outlookPreview, IP.home), 'human', 'default'],
  ['Safari click', click(UA.safariMac, IP.home), 'human', 'default'],
  ['Edge click over IPv4-mapped IPv6', click(UA.edgeWin, '::ffff:203.0.113.9'), 'human', 'default'],
  ['Android Chrome click 3 s after delivery', click(UA.androidChrome, IP.home, { msSinceSent: 3_000 }), 'human', 'default'],
  ['person clicks one link twice (1 distinct link)', click(UA.chromeWin, IP.home, { recentDistinctClicks: 1 }), 'human', 'default'],
  ['person clicks 2 of 2 links quickly: below the burst minimum', click(UA.chromeWin, IP.home, { recentDistinctClicks: 2, linksInMessage: 2 }), 'human', 'default'],
  ['person clicks 3 of 8 links in 10 s', click(UA.chromeWin, IP.home, { recentDistinctClicks: 3, linksInMessage: 8 }), 'human', 'default'],
  ['browser at an Apple office clicks: the Apple network rule is for opens', click(UA.safariMac, IP.apple), 'human', 'default'],
  ['POST (form-style link) from a browser', click(UA.chromeWin, IP.home, { method: 'POST' }), 'human', 'default'],
  ['open 2 s after delivery from a browser', open(UA.chromeWin, IP.home, { msSinceSent: 2_000 }), 'human', 'default'],
  // method and prefetch hints
  ['HEAD from a browser UA', click(UA.chromeWin, IP.home, { method: 'HEAD' }), 'scanner', 'head-request'],
  ['OPTIONS on the pixel', open(UA.chromeWin, IP.home, { method: 'options' }), 'scanner', 'head-request'],
  ['HEAD wins over the Gmail proxy', open(UA.gmailProxy, IP.gmail, { method: 'HEAD' }), 'scanner', 'head-request'],
  ['Chrome speculative prefetch (Sec-Purpose)', click(UA.chromeWin, IP.home, { headers: { secPurpose: 'prefetch;prerender' } }), 'prefetch', 'prefetch-header'],
  ['Purpose: prefetch', click(UA.chromeWin, IP.home, { headers: { purpose: 'prefetch' } }), 'prefetch', 'prefetch-header'],
  ['Firefox X-Moz: prefetch', open(UA.firefoxLinux, IP.home, { headers: { xMoz: 'prefetch' } }), 'prefetch', 'prefetch-header'],
  ['Sec-Fetch-Mode alone says nothing', click(UA.chromeWin, IP.home, { headers: { secFetchMode: 'navigate', purpose: null } }), 'human', 'default'],
  // provider proxies
  ['Gmail image proxy, an hour later: a person opened it', open(UA.gmailProxy, IP.gmail), 'human', 'gmail-image-proxy'],
  ['Gmail image proxy 2 s after delivery: provider prefetch', open(UA.gmailProxy, IP.gmail, { msSinceSent: 2_000 }), 'provider-proxy', 'gmail-image-proxy'],
  ['Gmail image proxy, unknown send time', open(UA.gmailProxy, IP.gmail, { msSinceSent: null }), 'human', 'gmail-image-proxy'],
  ['Yahoo Mail proxy, 10 min later', open(UA.yahooProxy, '98.136.1.2', { msSinceSent: 600_000 }), 'human', 'yahoo-image-proxy'],
  ['Yahoo Mail proxy 800 ms after delivery', open(UA.yahooProxy, '98.136.1.2', { msSinceSent: 800 }), 'provider-proxy', 'yahoo-image-proxy'],
  ['Gmail proxy UA on a click is no reader: isbot', click(UA.gmailProxy, IP.gmail), 'scanner', 'isbot'],
  // Apple MPP
  ['Apple MPP: bare Mozilla/5.0 from 17.x', open(UA.appleMpp, IP.apple, { msSinceSent: 40_000 }), 'apple-proxy', 'apple-mpp-ua'],
  ['Apple MPP: bare UA from outside 17/8', open(UA.appleMpp, '172.225.46.10'), 'apple-proxy', 'apple-mpp-ua'],
  ['Apple MPP: 17.x with a WebKit UA, IPv4-mapped', open(UA.macMail, IP.appleMapped), 'apple-proxy', 'apple-network'],
  ['Apple MPP within 1 s is still Apple', open(UA.appleMpp, IP.apple, { msSinceSent: 300 }), 'apple-proxy', 'apple-mpp-ua'],
  ['bare Mozilla/5.0 on a click is a script', click(UA.appleMpp, IP.home), 'scanner', 'isbot'],
  // tools and scanners by UA
  ['curl fetches the pixel', open(UA.curl, IP.home), 'scanner', 'isbot'],
  ['python-requests follows a link', click(UA.pyRequests, IP.home), 'scanner', 'isbot'],
  ['Go-http-client follows a link', click(UA.goHttp, IP.home), 'scanner', 'isbot'],
  ['Barracuda Sentinel', click(UA.barracudaSentinel, IP.home), 'scanner', 'isbot'],
  ['Barracuda (compatible) token', click(UA.barracudaCompat, IP.home), 'scanner', 'scanner-ua'],
  ['Mimecast suffix on a Chrome UA', click(UA.mimecast, IP.home), 'scanner', 'scanner-ua'],
  ['Proofpoint URL Defense', click(UA.proofpoint, IP.home), 'scanner', 'isbot'],
  ['Trend Micro Email Security', open(UA.trendMicro, IP.home), 'scanner', 'scanner-ua'],
  ['Outlook preview fetch (ms-office) on a click', click(UA.outlookPreview, IP.home), 'scanner', 'scanner-ua'],
  ['Office UA on a click', click(UA.outlookDesktop, IP.home), 'scanner', 'scanner-ua'],
  ['Office Existence Discovery', click(UA.officeDiscovery, IP.home), 'scanner', 'isbot'],
  // scanners by network
  ['Microsoft EOP with a browser UA clicks', click(UA.chromeWin, IP.eop), 'scanner', 'scanner-network'],
  ['Microsoft EOP, IPv4-mapped, opens', open(UA.edgeWin, IP.eopMapped), 'scanner', 'scanner-network'],
  ['Microsoft EOP over IPv6', click(UA.chromeWin, IP.eopV6), 'scanner', 'scanner-network'],
  ['Google crawler range without the proxy UA', click(UA.chromeWin, IP.gmail), 'scanner', 'scanner-network'],
  ['Googlebot IPv6', open(UA.androidChrome, IP.googlebotV6), 'scanner', 'scanner-network'],
  ['EOP with no UA', click(null, IP.eop), 'scanner', 'scanner-network'],
  // timing
  ['click 500 ms after delivery', click(UA.chromeWin, IP.home, { msSinceSent: 500 }), 'scanner', 'too-fast'],
  ['click at 1999 ms', click(UA.chromeWin, IP.home, { msSinceSent: 1_999 }), 'scanner', 'too-fast'],
  ['click at exactly 2 s is allowed', click(UA.chromeWin, IP.home, { msSinceSent: 2_000 }), 'human', 'default'],
  ['scanner clicks all 4 links in 3 s', click(UA.chromeWin, IP.home, { msSinceSent: 30_000, recentDistinctClicks: 4, linksInMessage: 4 }), 'scanner', 'all-links'],
  ['3 of 3 links in 10 s', click(UA.chromeWin, IP.home, { recentDistinctClicks: 3, linksInMessage: 3 }), 'scanner', 'all-links'],
  ['5 of 20 links in 10 s', click(UA.chromeWin, IP.home, { recentDistinctClicks: 5, linksInMessage: 20 }), 'scanner', 'all-links'],
  ['4 links, link count unknown: below 5', click(UA.chromeWin, IP.home, { recentDistinctClicks: 4, linksInMessage: undefined }), 'human', 'default'],
  ['open 400 ms after delivery', open(UA.chromeWin, IP.home, { msSinceSent: 400 }), 'prefetch', 'too-fast-open'],
  ['open 400 ms after delivery without UA', open(null, IP.home, { msSinceSent: 400 }), 'prefetch', 'too-fast-open'],
  // nothing to go on
  ['null UA open', open(null, IP.home), 'unknown', 'no-user-agent'],
  ['blank UA click, no IP', click('  ', null), 'unknown', 'no-user-agent'],
  ['null UA, null IP, no send time', open(null, null, { msSinceSent: null }), 'unknown', 'no-user-agent'],
];

t.test('classifyHit: labelled table', async (t) => {
  t.ok(cases.length >= 30);
  for (const [label, hit, cls, rule] of cases) t.same(classifyHit(hit), { class: cls, rule }, label);
});

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);

t.test('parseIp: IPv4, IPv6 forms, mapped addresses, garbage', async (t) => {
  t.equal(hex(parseIp('17.0.0.1')), '11000001');
  t.equal(hex(parseIp('::ffff:17.0.0.1')), '11000001', 'IPv4-mapped comes back as IPv4');
  t.equal(hex(parseIp('::FFFF:1100:0001')), '11000001', 'mapped in hex groups too');
  t.equal(hex(parseIp('::')), '0'.repeat(32));
  t.equal(hex(parseIp('::1')), '0'.repeat(31) + '1');
  t.equal(hex(parseIp('2001:db8::1')), '20010db8' + '0'.repeat(23) + '1');
  t.equal(hex(parseIp('2001:db8:0:0:0:0:0:1')), hex(parseIp('2001:db8::1')));
  t.equal(hex(parseIp('fe80::1%eth0')), 'fe80' + '0'.repeat(27) + '1', 'zone id dropped');
  t.equal(hex(parseIp('[2001:db8::1]')), hex(parseIp('2001:db8::1')), 'brackets dropped');
  t.equal(hex(parseIp('64:ff9b::192.0.2.1')), '0064ff9b' + '0'.repeat(16) + 'c0000201', 'NAT64 keeps 16 bytes');
  t.equal(hex(parseIp('1:2:3:4:5:6:7::')), '00010002000300040005000600070000');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', ':1::', '1:2:3:4:5:6:7',
    '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4', 'localhost']) {
    t.equal(parseIp(bad), null, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('parseCidr: well-formed entries only', async (t) => {
  t.same(parseCidr('17.0.0.0/8').bits, 8);
  t.same(parseCidr('2a01:111:f400::/48').bits, 48);
  t.same(parseCidr('0.0.0.0/0').bits, 0);
  for (const bad of ['17.0.0.0', '17.0.0.0/33', '::/129', '17.0.0.0/', '17.0.0.0/8/1', 'x/8', '17.0.0.0/-1']) t.throws(() => parseCidr(bad), `rejects ${bad}`);
});

t.test('inCidr and networkList: range edges, IPv6, mapped, families kept apart', async (t) => {
  const at = (ip: string, cidr: string) => inCidr(parseIp(ip) as Uint8Array, parseCidr(cidr));
  t.ok(at('17.0.0.0', '17.0.0.0/8')); t.ok(at('17.255.255.255', '17.0.0.0/8'));
  t.notOk(at('16.255.255.255', '17.0.0.0/8')); t.notOk(at('18.0.0.0', '17.0.0.0/8'));
  // 40.92.0.0/15 runs to 40.93.255.255
  t.ok(at('40.93.255.255', '40.92.0.0/15')); t.notOk(at('40.94.0.0', '40.92.0.0/15')); t.notOk(at('40.91.255.255', '40.92.0.0/15'));
  // 104.47.0.0/17 ends at 104.47.127.255; 66.249.64.0/19 spans 66.249.64.0–66.249.95.255
  t.ok(at('104.47.127.255', '104.47.0.0/17')); t.notOk(at('104.47.128.0', '104.47.0.0/17'));
  t.ok(at('66.249.64.0', '66.249.64.0/19')); t.ok(at('66.249.95.255', '66.249.64.0/19')); t.notOk(at('66.249.96.0', '66.249.64.0/19')); t.notOk(at('66.249.63.255', '66.249.64.0/19'));
  t.ok(at('1.2.3.4', '0.0.0.0/0')); t.ok(at('1.2.3.4', '1.2.3.4/32')); t.notOk(at('1.2.3.5', '1.2.3.4/32'));
  t.ok(at('2a01:111:f400:ffff:ffff:ffff:ffff:ffff', '2a01:111:f400::/48')); t.notOk(at('2a01:111:f401::', '2a01:111:f400::/48'));
  t.ok(at('2001:db8::', '2001:db8::/33')); t.ok(at('2001:db8:7fff::1', '2001:db8::/33')); t.notOk(at('2001:db8:8000::', '2001:db8::/33'));
  t.notOk(at('::17.0.0.1', '17.0.0.0/8'), 'an IPv4-compatible (not mapped) address stays IPv6');
  t.notOk(at('17.0.0.1', '::/0'), 'IPv4 never matches an IPv6 range');
  const apple = networkList(APPLE_MPP_CIDRS);
  t.ok(apple.has('17.1.2.3')); t.ok(apple.has('::ffff:17.1.2.3')); t.ok(apple.has(' [::ffff:17.1.2.3] '));
  t.notOk(apple.has('172.225.46.10')); t.notOk(apple.has(null)); t.notOk(apple.has('')); t.notOk(apple.has('not an ip'));
  const scanners = networkList(SCANNER_CIDRS);
  for (const ip of ['40.92.0.1', '40.107.0.0', '52.103.255.255', '104.47.0.1', '66.249.66.1', '2a01:111:f403::1', '2001:4860:4801:10::1']) t.ok(scanners.has(ip), ip);
  for (const ip of ['52.104.0.0', '40.106.255.255', '8.8.8.8', '2a01:111:f402::1', '2001:4860:4802::1']) t.notOk(scanners.has(ip), ip);
});
