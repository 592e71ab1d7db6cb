/*
 * The public tracking routes under the public URL: /t/o/<token>.gif (the open pixel) and
 * /t/c/<token> (a tracked link: 302 to the stored URL, 404 for a token that is not ours).
 * They answer after the event is committed (group commit in tracking/writer.ts). No session,
 * no cookie: raw routes in front of Fastify (http/raw.ts says why). HEAD is answered like GET
 * and logged: scanners HEAD links.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../services.js';
import type { HitRequest } from '../../tracking/service.js';
import type { RawRoute } from '../raw.js';

// The smallest transparent GIF (43 bytes), as a latin1 string: Node prepends the header to a
// string body (one chunk). send() was 12 % of a hit's CPU (inclusive, the socket write included)
// in a --cpu-prof of bench/tracking.sh, mostly Node's own; what is ours is built once here.
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64').toString('latin1');
const CACHE_CONTROL = 'no-store, no-cache, must-revalidate, private';
// Header objects built once (a spread per answer was garbage on the hot path).
const PIXEL_HEADERS = { 'cache-control': CACHE_CONTROL, 'referrer-policy': 'no-referrer', 'content-type': 'image/gif', 'content-length': GIF.length };
const NOT_VALID = 'This link is not valid.';
const NOT_VALID_HEADERS = { 'cache-control': CACHE_CONTROL, 'referrer-policy': 'no-referrer', 'content-type': 'text/plain; charset=utf-8', 'content-length': NOT_VALID.length };
const FAILED = 'Internal error.';
const FAILED_HEADERS = { ...NOT_VALID_HEADERS, 'content-length': FAILED.length };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;

/** An answer; a HEAD gets the headers only. Bodies here are ASCII/latin1. */
function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string) {
  res.writeHead(status, headers);
  if (body === undefined || req.method === 'HEAD') res.end();
  else res.end(body, 'latin1');
}

export function trackingRoutes(s: Services): RawRoute[] {
  const log = s.ctx.log.child({ mod: 'tracking' });
  const hitOf = (req: IncomingMessage, ip: string): HitRequest => {
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
        s.tracking.open(token, hitOf(req, ip)).then(
          () => send(req, res, 200, PIXEL_HEADERS, GIF),
          (e: unknown) => {
            log.error({ evt: 'tracking.open_failed', err: e }, 'open not recorded');
            send(req, res, 200, PIXEL_HEADERS, GIF);
          },
        );
      },
    },
    {
      prefix: '/t/c/',
      handler(req, res, token, ip) {
        s.tracking.click(token, hitOf(req, ip)).then(
          (location) => {
            if (location) send(req, res, 302, { 'cache-control': CACHE_CONTROL, 'referrer-policy': 'no-referrer', location, 'content-length': 0 });
            else send(req, res, 404, NOT_VALID_HEADERS, NOT_VALID);
          },
          (e: unknown) => {
            log.error({ evt: 'tracking.click_failed', err: e }, 'click failed');
            send(req, res, 500, FAILED_HEADERS, FAILED);
          },
        );
      },
    },
  ];
}
