/*
 * The outbound queue's operator view: list and counts (filtered), one row with its message
 * and every attempt, retry now, cancel, bulk "retry failed only". Adapters (API, UI) call
 * only this; the guarded updates live in db/repos/outbound/admin.ts.
 */
import type { Ctx } from '../../context.js';
import { AppError, conflict, invalid, notFound } from '../../errors.js';
import { queueViewRepo, type QueueFilters, type OutboundScope } from '../../db/repos/outbound/admin.js';
import { massEmailsRepo } from '../../db/repos/campaigns/massEmails.js';
import type { ListQuery } from '../../db/list.js';

export type { QueueFilters, OutboundScope };
export type QueueAdminService = ReturnType<typeof queueAdminService>;

/** Every state an outbound queue row can be in, in the order the pages show them. */
export const QUEUE_STATES = ['queued', 'sending', 'sent', 'deferred', 'failed', 'canceled', 'suppressed'] as const;
export type QueueState = typeof QUEUE_STATES[number];

export function queueAdminService(s: { ctx: Ctx }) {
  const log = s.ctx.log.child({ mod: 'outbound.queue_admin' });
  const queue = queueViewRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  // A finished mass email keeps its counts; rows moved by hand may belong to one (rare: forget them all).
  const moved = () => massEmailsRepo(s.ctx.db).forgetCounts(null);

  /** `scope` (auth/access): rows outside it are as missing as absent ones. */
  async function get(id: number, scope?: OutboundScope) {
    const row = await queue.get(id, scope);
    if (!row) throw notFound('Queue row');
    const [attempt_log, message] = await Promise.all([queue.attempts(id), queue.message(row.message_id)]);
    return { ...row, attempt_log, message };
  }

  return {
    list: (q: ListQuery, f: QueueFilters) => queue.list(q, f),
    counts: (f: QueueFilters = {}) => queue.countByState(f),
    get,
    attachment: (messageId: number, attId: number) => queue.attachment(messageId, attId),
    async retry(id: number, scope?: OutboundScope) {
      if (scope) await get(id, scope);
      if (await queue.retry(id, now())) { await moved(); log.info({ evt: 'outbound.retry', id }, 'queue row retried by an operator'); return get(id); }
      const row = await queue.get(id);
      if (!row) throw notFound('Queue row');
      throw conflict(`Only failed or deferred rows can be retried (this one is ${row.state})`);
    },
    async cancel(id: number, scope?: OutboundScope) {
      if (scope) await get(id, scope);
      if (await queue.cancel(id, now())) { await moved(); log.info({ evt: 'outbound.cancel', id }, 'queue row canceled by an operator'); return get(id); }
      const row = await queue.get(id);
      if (!row) throw notFound('Queue row');
      throw conflict(`Only queued or deferred rows can be canceled (this one is ${row.state})`);
    },
    async retryFailed(f: QueueFilters) {
      const n = await queue.retryFailed(f, now());
      if (n) await moved();
      log.info({ evt: 'outbound.retry_failed', n }, 'failed rows retried in bulk');
      return n;
    },
  };
}

/** Parses queue filters from strings (query string of the API or UI). */
export function queueFiltersFrom(q: Record<string, unknown>): QueueFilters {
  const int = (v: unknown) => (v !== undefined && v !== '' && /^\d+$/.test(String(v)) ? Number(v) : undefined);
  const date = (v: unknown, endOfDay = false) => {
    if (v === undefined || v === '' || v === null) return undefined;
    const str = String(v);
    if (/^\d{10,}$/.test(str)) return Number(str);
    const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(str) ? `${str}T00:00:00Z` : str);
    if (!Number.isFinite(t)) {
      throw new AppError('validation_failed', `Not a date: ${str.slice(0, 40)}`, { fields: [{ field: endOfDay ? 'until' : 'since', message: 'Not a date' }] });
    }
    return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(str) ? t + 86_400_000 : t;
  };
  const state = q.state ? String(q.state) : undefined;
  if (state && !(QUEUE_STATES as readonly string[]).includes(state)) throw invalid([{ field: 'state', message: `One of ${QUEUE_STATES.join(', ')}` }]);
  return {
    state, accountId: int(q.accountId), source: q.source ? String(q.source) : undefined, messageTypeId: int(q.messageTypeId),
    messageId: int(q.messageId), recipient: q.recipient ? String(q.recipient) : undefined, search: q.q ? String(q.q).slice(0, 200) : undefined,
    since: date(q.since), until: date(q.until, true),
  };
}
