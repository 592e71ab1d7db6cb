/*
 * The public tracking routes under the public URL: /t/o/<token>.gif (the open pixel) and
 * /t/c/<token> (a tracked link: 302 to the stored URL, 404 for a token that is not ours).
 * They answer after the event is committed (group commit in tracking/writer.ts). No session,
 * no cookie: raw routes in front of Fastify (http/raw.ts says why). HEAD is answered like GET
 * and logged: scanners HEAD links.
 */
import type { ServerResponse } from 'node:http';
import type { Services } from '../../services.js';
import type { HitRequest } from '../../tracking/service.js';
import type { RawRoute } from '../raw.js';

// The smallest transparent GIF (43 bytes).
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_STORE = { 'cache-control': 'no-store, no-cache, must-revalidate, private', 'referrer-policy': 'no-referrer' };
const NOT_VALID = Buffer.from('This link is not valid.');
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;

function send(res: ServerResponse, head: boolean, status: number, headers: Record<string, string | number>, body?: Buffer) {
  res.writeHead(status, { ...NO_STORE, ...headers, ...(body ? { 'content-length': body.length } : {}) });
  res.end(head ? undefined : body);
}

export function trackingRoutes(s: Services): RawRoute[] {
  const log = s.ctx.log.child({ mod: 'tracking' });
  const hitOf = (req: Parameters<RawRoute['handler']>[0], ip: string): HitRequest => {
    const h = req.headers;
    return {
      method: req.method ?? 'GET', userAgent: one(h['user-agent']), ip: ip || null,
      headers: { purpose: one(h.purpose), secPurpose: one(h['sec-purpose']), xMoz: one(h['x-moz']), secFetchMode: one(h['sec-fetch-mode']) },
    };
  };
  return [
    {
      prefix: '/t/o/',
      handler(req, res, token, ip) {
        // A broken or foreign token still gets the image: a mail client shows no broken picture.
        s.tracking.open(token, hitOf(req, ip))
          .catch((e: unknown) => log.error({ evt: 'tracking.open_failed', err: e }, 'open not recorded'))
          .finally(() => send(res, req.method === 'HEAD', 200, { 'content-type': 'image/gif' }, GIF));
      },
    },
    {
      prefix: '/t/c/',
      handler(req, res, token, ip) {
        const head = req.method === 'HEAD';
        void (async () => {
          let location: string | null;
          try {
            const url = await s.tracking.click(token, hitOf(req, ip));
            // href: the stored URL with non-ASCII escaped, as a Location header must be.
            location = url ? new URL(url).href : null;
          } catch (e) {
            log.error({ evt: 'tracking.click_failed', err: e }, 'click failed');
            return send(res, head, 500, { 'content-type': 'text/plain; charset=utf-8' }, Buffer.from('Internal error.'));
          }
          if (location) send(res, head, 302, { location, 'content-length': 0 });
          else send(res, head, 404, { 'content-type': 'text/plain; charset=utf-8' }, NOT_VALID);
        })();
      },
    },
  ];
}
