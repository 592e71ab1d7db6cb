/*
 * The public opt-out route /u/<token>: GET shows a confirmation page (link scanners and
 * previews must not unsubscribe anyone), POST unsubscribes — the RFC 8058 one-click POST
 * from mailbox providers and the page's own button alike. No session: the token is the authority.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services } from '../../services.js';
import { BODY_LIMITS } from '../limits.js';

const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (reply: FastifyReply, status: number, title: string, body: string) => reply.status(status)
  .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
  .header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8')
  .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:10vh auto;padding:0 1rem;color:#1d2330}button{font:inherit;padding:.5rem 1rem}</style></head><body>${body}</body></html>`);

export function optOutRoutes(app: FastifyInstance, s: Services) {
  const svc = s.optOut;
  app.get('/u/:token', { schema: { hide: true } }, async (req, reply) => {
    const { token } = req.params as { token: string };
    const t = await svc.resolve(token);
    if (!t) return page(reply, 404, 'Link not valid', '<h1>This link is not valid</h1><p>It may have been changed or cut short.</p>');
    const what = t.campaign ? `mail about <strong>${esc(t.campaign)}</strong>` : 'these mailings';
    const choice = t.campaign ? '<p><label><input type="checkbox" name="entirely" value="1"> Stop all our mail to this address</label></p>' : '';
    return page(reply, 200, 'Unsubscribe', `<h1>Unsubscribe</h1><p>Stop sending ${what} to <strong>${esc(t.address)}</strong>?</p>`
      + `<form method="post" action="/u/${esc(token)}">${choice}<button type="submit">Unsubscribe</button></form>`);
  });
  // RFC 8058's body is `List-Unsubscribe=One-Click` (this campaign's lists); the page's form may
  // add entirely=1. Anyone can post here, so a big body is refused before it is read.
  app.post('/u/:token', { schema: { hide: true }, bodyLimit: BODY_LIMITS.small }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const address = await svc.unsubscribe((req.params as { token: string }).token, { entirely: body.entirely === '1' || body.entirely === 'on' });
    if (!address) return page(reply, 404, 'Link not valid', '<h1>This link is not valid</h1>');
    return page(reply, 200, 'Unsubscribed', `<h1>You are unsubscribed</h1><p>${esc(address)} will not get these mailings any more.</p>`);
  });
}
