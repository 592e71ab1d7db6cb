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

/**
 * What a hit's verdict reads of its headers, from `rawHeaders`: `req.headers` builds an object
 * of every header on first use (its _addHeaderLine plus our reads were 4.7 % of the server's
 * samples in a --cpu-prof of bench/tracking.sh, pixel on one token). The values are those of
 * req.headers: the first User-Agent (Node drops repeats), other repeats joined with ', '.
 */
export function hitHeaders(raw: string[]): { userAgent: string | null; headers: HitRequest['headers'] } {
  let userAgent: string | null = null, purpose: string | null = null, secPurpose: string | null = null, xMoz: string | null = null, secFetchMode: string | null = null;
  const join = (a: string | null, v: string) => (a === null ? v : `${a}, ${v}`);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!.length;
    // Only names of the lengths asked for are lower-cased (user-agent 10, purpose 7, sec-purpose 11, x-moz 5, sec-fetch-mode 14).
    if (n !== 10 && n !== 7 && n !== 11 && n !== 5 && n !== 14) continue;
    const v = raw[i + 1]!;
    switch (raw[i]!.toLowerCase()) {
      case 'user-agent': userAgent ??= v; break;
      case 'purpose': purpose = join(purpose, v); break;
      case 'sec-purpose': secPurpose = join(secPurpose, v); break;
      case 'x-moz': xMoz = join(xMoz, v); break;
      case 'sec-fetch-mode': secFetchMode = join(secFetchMode, v); break;
    }
  }
  return { userAgent, headers: { purpose, secPurpose, xMoz, secFetchMode } };
}

/** An answer; a HEAD gets the headers only. Bodies here are ASCII/latin1. */
function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string) {
  res.writeHead(status, headers);
  if (body === undefined || req.method === 'HEAD') res.end();
  else res.end(body, 'latin1');
}

export function trackingRoutes(s: Services): RawRoute[] {
  const log = s.ctx.log.child({ mod: 'tracking' });
  const hitOf = (req: IncomingMessage, ip: string): HitRequest => {
    const h = hitHeaders(req.rawHeaders);
    return { method: req.method ?? 'GET', userAgent: h.userAgent, ip: ip || null, headers: h.headers };
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
