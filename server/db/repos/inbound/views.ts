/*
 * The inbound owner (db/repos/inbound/: store.ts, pipeline.ts, views.ts) is the only writer of inbound_messages,
 * inbound_raw and inbound_recipients; this file is its views part.
 * Writes: inbound_messages (reprocess, retry). Reads: inbound_messages, inbound_recipients.
 * Inbound messages for the views: one message, its step results, list queries, reprocess and retry. The pipeline's writes are in pipeline.ts.
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { stepsOf, type StepRecord } from './pipeline.js';
import { columns, jsonList, type DbRow } from '../../row.js';

export interface InboundRow {
  id: number; state: string; listener: string; mail_from: string; rcpt_to: string[]; remote_ip: string; helo: string; tls: boolean; size: number;
  message_id: string | null; subject: string | null; from_addr: string | null; kind: string | null; spf: string | null; dkim: string | null; dmarc: string | null;
  parse_error: string | null; received_at: number; processed_at: number | null; attempts: number;
  /** Old mail imported in bulk (an IMAP account's first sync, migration 090): notifies nobody. */
  bulk: boolean;
}
export const toInboundRow = (r: DbRow): InboundRow => ({
  ...columns<InboundRow>(r), id: Number(r.id), tls: Boolean(r.tls), size: Number(r.size), attempts: Number(r.attempts), rcpt_to: jsonList(r.rcpt_to), bulk: Boolean(r.bulk),
});

/** Narrows to messages with a recipient in one of these mailboxes (undefined: no narrowing). */
export interface InboundScope { mailboxIds: number[] }

export function inboundRepo(db: Db) {
  const k = db.knex;
  const inScope = (qb: Knex.QueryBuilder, scope?: InboundScope): Knex.QueryBuilder =>
    (scope ? qb.whereIn('inbound_messages.id', k('inbound_recipients').select('message_id').whereIn('mailbox_id', scope.mailboxIds)) : qb);
  return {
    async get(id: number, scope?: InboundScope) { const r = await inScope(k('inbound_messages').where({ id }), scope).first(); return r ? toInboundRow(r) : undefined; },
    async steps(id: number): Promise<StepRecord[]> {
      return stepsOf((await k('inbound_messages').select('steps').where({ id }).first())?.steps);
    },
    async list(q: ListQuery & { address?: string; messageId?: string; from?: number; to?: number; scope?: InboundScope }): Promise<Page<InboundRow>> {
      const base = inScope(k('inbound_messages').select('inbound_messages.*'), q.scope);
      if (q.address) base.whereIn('id', k('inbound_recipients').select('message_id').where('address', q.address.toLowerCase()));
      if (q.messageId) { const mid = q.messageId.trim().replace(/^<|>$/g, ''); base.whereIn('message_id', [mid, `<${mid}>`]); }
      if (q.from) base.where('received_at', '>=', q.from);
      if (q.to) base.where('received_at', '<', q.to);
      return listPage(base, { sortable: ['id', 'received_at', 'from_addr', 'subject', 'state', 'kind', 'size'], defaultSort: 'id', defaultDir: 'desc', searchable: ['subject'], filterable: ['state', 'kind', 'listener', 'from_addr', 'spf', 'dkim', 'dmarc'] }, q, toInboundRow);
    },
    async reprocess(id: number, now: number): Promise<boolean> {
      return (await k('inbound_messages').where({ id }).whereNot('state', 'processing').update({ state: 'received', run_at: now, steps: null, parse_error: null, processed_at: null, updated_at: now })) === 1;
    },
    /**
     * An unprocessable (`failed`) message back to the queue with fresh attempts. Unlike reprocess it
     * keeps the step results, so the run resumes at the first step without one. False: not failed.
     */
    async retry(id: number, now: number): Promise<boolean> {
      return (await k('inbound_messages').where({ id, state: 'failed' }).update({ state: 'received', run_at: now, attempts: 0, last_error: null, parse_error: null, updated_at: now })) === 1;
    },
  };
}

export type InboundRepo = ReturnType<typeof inboundRepo>;
