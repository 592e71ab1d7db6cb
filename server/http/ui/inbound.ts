/*
 * Inbound pages: the message list (filters, search, sort, pages) and the detail page with
 * envelope, headers, verdicts, pipeline steps, text, the sanitized HTML in a sandboxed
 * iframe served under a CSP that allows nothing, attachments, raw download, reprocess, and
 * Retry of an unprocessable message (resumes at the first step without a result).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, flash } from './session.js';
import { notFound, AppError } from '../../errors.js';
import { principalOf, inboundScope } from '../../auth/access.js';
import type { viewMessage as ViewMessage } from '../../inbound/view/render.js';
import { displayText, contentDisposition } from '../../lib/display.js';

/** mailparser and sanitize-html (~9 MB of heap) load when someone first opens a message. */
const viewMessage: typeof ViewMessage = async (raw) => (await import('../../inbound/view/render.js')).viewMessage(raw);

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function inboundUi(app: FastifyInstance, s: Services) {
  const repo = s.inboundPipeline.repo;
  const store = s.inboundView;
  const access = s.access;
  // What this user may read (auth/access.ts); out-of-scope messages are as missing as absent ones.
  const scopeOf = async (req: FastifyRequest) => inboundScope(await access.scopeOf(principalOf(req.user!)));
  const load = async (req: FastifyRequest, id: number) => { const m = await repo.get(id, await scopeOf(req)); if (!m) throw notFound('Message'); return m; };

  app.get('/inbound', { preHandler: requireUser }, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query, ['state', 'kind', 'listener', 'spf', 'dkim', 'dmarc']);
    const day = (d?: string) => (d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? Date.parse(`${d}T00:00:00Z`) : undefined);
    const scope = await scopeOf(req);
    const page = await repo.list({
      ...lq, scope, filters: { ...lq.filters, from_addr: query.sender?.toLowerCase() || undefined }, address: query.address || undefined,
      messageId: query.messageId || undefined, from: day(query.from), to: day(query.to) ? day(query.to)! + 86_400_000 : undefined,
    });
    const blocked = await s.suppressions.blockedAmong(page.items.map((m) => m.from_addr ?? '').filter(Boolean));
    return render(req, reply, 'pages/inbound/list.eta', { title: tr(req).t('inbound.list.title'), page, query, links: listLinks('/admin/inbound', query, page), blocked, shown: displayText });
  });
  app.get('/inbound/:id', { preHandler: requireUser }, async (req, reply) => {
    const m = await load(req, Number((req.params as { id: string }).id));
    let view = null, viewError = null;
    try { view = await viewMessage(await store.readRaw(m.id)); } catch (e) { viewError = (e as Error).message; }
    return render(req, reply, 'pages/inbound/detail.eta', {
      title: displayText(m.subject) || tr(req).t('inbound.detail.title', { id: m.id }), m, view, viewError, shown: displayText, steps: await repo.steps(m.id), recipients: await store.recipients(m.id),
      blocked: await s.suppressions.blockedAmong([m.from_addr ?? '', ...m.rcpt_to].filter(Boolean)),
      links: await s.links.ofMessage(m.id),
    });
  });
  // The HTML part alone, for the sandboxed iframe: no scripts, no plugins, no requests out.
  app.get('/inbound/:id/body', { preHandler: requireUser }, async (req, reply) => {
    const m = await load(req, Number((req.params as { id: string }).id));
    // Past the MIME limits there is no view: the frame says which limit, not a 500.
    const view = await viewMessage(await store.readRaw(m.id)).catch((e: Error) => { if ((e as { code?: string }).code === 'too_complex') return { html: `<p>${escapeHtml(tr(req).t('inbound.body.tooComplex', { reason: e.message }))}</p>` }; throw e; });
    reply.header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'");
    reply.header('x-frame-options', 'SAMEORIGIN');
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><meta charset="utf-8"><base target="_blank">${view.html ?? `<p>${escapeHtml(tr(req).t('inbound.body.noHtml'))}</p>`}`);
  });
  app.get('/inbound/:id/raw', { preHandler: requireUser }, async (req, reply) => {
    const m = await load(req, Number((req.params as { id: string }).id));
    reply.header('content-disposition', `attachment; filename="inbound-${m.id}.eml"`).type('message/rfc822');
    return store.readRaw(m.id);
  });
  app.get('/inbound/:id/attachments/:n', { preHandler: requireUser }, async (req, reply) => {
    const p = req.params as { id: string; n: string };
    const m = await load(req, Number(p.id));
    const a = (await viewMessage(await store.readRaw(m.id)).catch((e: Error) => { throw (e as { code?: string }).code === 'too_complex' ? new AppError('bad_request', e.message) : e; })).parsed.attachments[Number(p.n)];
    if (!a) throw notFound('Attachment');
    // Always a download, never rendered in our origin.
    reply.header('content-disposition', contentDisposition(a.filename, `attachment-${Number(p.n) + 1}`)).type('application/octet-stream');
    return a.content;
  });
  app.post('/inbound/:id/reprocess', { preHandler: requireUser }, async (req, reply) => {
    const m = await load(req, Number((req.params as { id: string }).id));
    const ok = await repo.reprocess(m.id, s.ctx.clock.now());
    flash(reply, ok ? 'ok' : 'error', tr(req).t((await repo.get(m.id))?.state === 'received' ? 'inbound.flash.reprocessed' : 'inbound.flash.busy'));
    return reply.redirect(`/admin/inbound/${m.id}`, 303);
  });
  app.post('/inbound/:id/retry', { preHandler: requireUser }, async (req, reply) => {
    const m = await load(req, Number((req.params as { id: string }).id));
    const ok = await repo.retry(m.id, s.ctx.clock.now());
    flash(reply, ok ? 'ok' : 'error', tr(req).t(ok ? 'inbound.flash.retried' : 'inbound.flash.notFailed'));
    return reply.redirect(`/admin/inbound/${m.id}`, 303);
  });
}
