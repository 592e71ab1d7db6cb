/*
 * The public tracking routes under the public URL: /t/o/<token>.gif (the open pixel) and
 * /t/c/<token> (a tracked link: 302 to the stored URL, 404 for a token that is not ours).
 * They answer after the event is committed (group commit in tracking/writer.ts). No session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import type { HitRequest } from '../../tracking/service.js';

// The smallest transparent GIF (43 bytes).
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;

function hitOf(req: FastifyRequest): HitRequest {
  const h = req.headers;
  return {
    method: req.method, userAgent: one(h['user-agent']), ip: req.ip ?? null,
    headers: { purpose: one(h.purpose), secPurpose: one(h['sec-purpose']), xMoz: one(h['x-moz']), secFetchMode: one(h['sec-fetch-mode']) },
  };
}
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store, no-cache, must-revalidate, private').header('referrer-policy', 'no-referrer');

export function trackingRoutes(app: FastifyInstance, s: Services) {
  const pixel = async (req: FastifyRequest, reply: FastifyReply) => {
    const { token } = req.params as { token: string };
    // A broken or foreign token still gets the image: a mail client shows no broken picture.
    await s.tracking.open(token, hitOf(req)).catch((e: unknown) => req.log.error({ evt: 'tracking.open_failed', err: e }, 'open not recorded'));
    return noStore(reply).type('image/gif').send(GIF);
  };
  app.get('/t/o/:token', { schema: { hide: true } }, pixel);
  const click = async (req: FastifyRequest, reply: FastifyReply) => {
    const url = await s.tracking.click((req.params as { token: string }).token, hitOf(req));
    if (!url) return noStore(reply).status(404).type('text/plain; charset=utf-8').send('This link is not valid.');
    return noStore(reply).redirect(url, 302);
  };
  // HEAD is routed like GET (Fastify's exposeHeadRoutes) and logged: scanners HEAD links.
  app.get('/t/c/:token', { schema: { hide: true } }, click);
}
