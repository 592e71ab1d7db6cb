/*
 * Outbound queue pages: the list (filters by state, account, source, message type,
 * recipient and date; sort; pager; per-row retry / cancel; bulk "retry failed only") and a
 * row's detail page with its message and every attempt with the upstream's reply.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser } from './session.js';
import { str, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { queueFiltersFrom, QUEUE_STATES, type QueueFilters } from '../../outbound/queueAdmin/service.js';
import { isAppError } from '../../errors.js';
import { principalOf, outboundScope } from '../../auth/access.js';
import { contentDisposition } from '../../lib/display.js';

const FILTER_KEYS = ['state', 'accountId', 'source', 'messageTypeId', 'recipient', 'q', 'since', 'until', 'messageId'];
export const SOURCES = ['single', 'submission', 'campaign', 'auto-reply', 'test'];

/** Only our own list URL (with its query) is a valid place to go back to. */
const backTo = (b: Body, fallback = '/admin/queue') => {
  const v = str(b, 'back');
  return /^\/admin\/queue(\/\d+)?(\?[^\r\n]*)?$/.test(v) ? v : fallback;
};

export function queueUi(app: FastifyInstance, s: Services) {
  const q = s.queueAdmin;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const access = s.access;
  // The rows this user may see and act on (auth/access.ts); others answer 404.
  const scopeOf = async (req: FastifyRequest) => outboundScope(await access.scopeOf(principalOf(req.user!)));

  app.get('/queue', { preHandler: requireUser }, async (req, reply) => {
    const query = Object.fromEntries(Object.entries(req.query as Record<string, string>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    let filters: QueueFilters = {};
    let error: string | undefined;
    try { filters = queueFiltersFrom(query); } catch (e) { if (!isAppError(e)) throw e; error = e.message; reply.status(400); }
    filters.scope = await scopeOf(req);
    const [page, counts, accounts, types] = await Promise.all([
      q.list(listQueryFrom(query), filters), q.counts({ ...filters, state: undefined }), s.accounts.senderAccounts(), s.messageTypes.all(),
    ]);
    // ⚠ next to every recipient that is blocked now, with the reason (one query for the page).
    const blocked = await s.suppressions.blockedAmong(page.items.map((r: { recipient: string }) => r.recipient));
    const here = req.url.replace(/^.*?\/admin\/queue/, '/admin/queue');
    const keep = Object.fromEntries(FILTER_KEYS.filter((k) => query[k]).map((k) => [k, query[k]]));
    const stateHref = (st: string) => {
      const p = new URLSearchParams(keep); p.delete('state'); if (st) p.set('state', st);
      return p.size ? `/admin/queue?${p}` : '/admin/queue';
    };
    return render(req, reply, 'pages/queue/list.eta', {
      title: tr(req).t('queue.list.title'), page, query, links: listLinks('/admin/queue', query, page), counts, states: QUEUE_STATES, sources: SOURCES,
      accounts, types, here, keep, stateHref, error, blocked,
    });
  });

  app.post('/queue/retry-failed', { preHandler: requireUser }, async (req, reply) => {
    const b = req.body as Body;
    return formAction(reply, {
      act: async () => q.retryFailed({ ...queueFiltersFrom(Object.fromEntries(FILTER_KEYS.map((k) => [k, str(b, k)])) as Record<string, string>), scope: await scopeOf(req) }),
      done: (n) => ({ to: backTo(b), flash: n ? tr(req).t('queue.flash.retriedFailed', { n: tr(req).fmt.number(n) }) : tr(req).t('queue.flash.noFailed') }),
      retry: (fe) => back(reply, backTo(b), fe.error),
    });
  });

  app.get('/queue/:id', { preHandler: requireUser }, async (req, reply) => {
    const row = await q.get(idOf(req), await scopeOf(req));
    const blocked = await s.suppressions.blockedAmong([row.recipient]);
    return render(req, reply, 'pages/queue/detail.eta', { title: tr(req).t('queue.detail.title', { id: row.id }), row, here: `/admin/queue/${row.id}`, blocked });
  });
  app.get('/queue/:id/attachments/:att', { preHandler: requireUser }, async (req, reply) => {
    const row = await q.get(idOf(req), await scopeOf(req));
    const a = await q.attachment(row.message_id, Number((req.params as { att: string }).att));
    if (!a) return reply.status(404).type('text/plain').send(tr(req).t('queue.noAttachment'));
    // Always a download, never rendered in our origin.
    return reply.type('application/octet-stream').header('content-disposition', contentDisposition(a.filename)).send(a.content);
  });

  const action = (name: 'retry' | 'cancel', done: 'queue.flash.retried' | 'queue.flash.canceled') => async (req: FastifyRequest, reply: FastifyReply) => {
    const b = req.body as Body;
    const to = backTo(b, `/admin/queue/${idOf(req)}`);
    return formAction(reply, {
      act: async () => q[name](idOf(req), await scopeOf(req)),
      done: () => ({ to, flash: tr(req).t(done, { id: idOf(req) }) }),
      retry: (fe) => back(reply, to, fe.error),
    });
  };
  app.post('/queue/:id/retry', { preHandler: requireUser }, action('retry', 'queue.flash.retried'));
  app.post('/queue/:id/cancel', { preHandler: requireUser }, action('cancel', 'queue.flash.canceled'));
}
