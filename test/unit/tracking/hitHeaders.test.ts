/*
 * hitHeaders (http/public/tracking.ts) reads a hit's headers from rawHeaders: the same values as
 * Node's req.headers for requests sent over a real socket, with names in any case, repeats
 * (the first User-Agent, others joined with ', '), empty values and headers left out.
 */
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { hitHeaders } from '../../../server/http/public/tracking.js';

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;
const viaHeaders = (req: IncomingMessage) => ({
  userAgent: one(req.headers['user-agent']),
  headers: { purpose: one(req.headers.purpose), secPurpose: one(req.headers['sec-purpose']), xMoz: one(req.headers['x-moz']), secFetchMode: one(req.headers['sec-fetch-mode']) },
});

t.test('same values as req.headers', async (t) => {
  const seen: Array<{ raw: ReturnType<typeof hitHeaders>; node: ReturnType<typeof viaHeaders> }> = [];
  const server = createServer((req, res) => {
    const raw = hitHeaders(req.rawHeaders); // before req.headers is built
    seen.push({ raw, node: viaHeaders(req) });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const requests = [
    ['Host: x', 'User-Agent: Mozilla/5.0 A', 'Connection: keep-alive'],
    ['Host: x', 'user-agent: first', 'USER-AGENT: second', 'Purpose: prefetch', 'purpose: other', 'Sec-Purpose: prefetch;prerender', 'X-Moz: prefetch', 'sec-fetch-mode: navigate', 'Sec-Fetch-Mode: no-cors'],
    ['Host: x', 'x-moz:', 'Accept-Language: en'],
    ['Host: x'],
  ];
  for (const lines of requests) {
    await new Promise<void>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => sock.end(`GET /t/o/x.gif HTTP/1.1\r\n${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`));
      sock.on('data', () => {}).on('close', () => resolve()).on('error', reject);
    });
  }
  server.close();
  t.equal(seen.length, requests.length);
  for (const s of seen) t.same(s.raw, s.node);
  t.same(seen[1]!.raw, {
    userAgent: 'first',
    headers: { purpose: 'prefetch, other', secPurpose: 'prefetch;prerender', xMoz: 'prefetch', secFetchMode: 'navigate, no-cors' },
  }, 'repeats as Node keeps them');
  t.same(seen[2]!.raw, { userAgent: null, headers: { purpose: null, secPurpose: null, xMoz: '', secFetchMode: null } }, 'empty and absent');
});
