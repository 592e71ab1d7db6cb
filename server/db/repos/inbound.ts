/* Inbound messages for the pipeline and the views: step results, parsed fields, list queries. */
import type { Knex } from 'knex';
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';

export interface InboundRow {
  id: number; state: string; listener: string; mail_from: string; rcpt_to: string[]; remote_ip: string; helo: string; tls: boolean; size: number;
  message_id: string | null; subject: string | null; from_addr: string | null; kind: string | null; spf: string | null; dkim: string | null; dmarc: string | null;
  parse_error: string | null; received_at: number; processed_at: number | null; attempts: number;
}
export const toInboundRow = (r: any): InboundRow => ({ ...r, id: Number(r.id), tls: Boolean(r.tls), size: Number(r.size), attempts: Number(r.attempts), rcpt_to: (() => { try { return JSON.parse(r.rcpt_to); } catch { return []; } })() });

/** With `trx`, every query runs in that transaction (the pipeline writes a whole batch at once). */
export function inboundRepo(db: Db, trx?: Knex.Transaction) {
  const k = trx ?? db.knex;
  return {
    async get(id: number) { const r = await k('inbound_messages').where({ id }).first(); return r ? toInboundRow(r) : undefined; },
    async steps(id: number): Promise<Array<{ step: string; status: string; result: unknown; at: number }>> {
      return (await k('inbound_steps').where({ message_id: id }).orderBy('id')).map((r: any) => ({ step: r.step, status: r.status, at: Number(r.at), result: r.result ? JSON.parse(r.result) : null }));
    },
    async recordStep(id: number, step: string, status: 'ok' | 'skipped' | 'failed', result: unknown, now: number) {
      await k('inbound_steps').insert({ message_id: id, step, status, result: result === undefined ? null : JSON.stringify(result), at: now }).onConflict(['message_id', 'step']).merge();
    },
    async setFields(id: number, f: Partial<Pick<InboundRow, 'message_id' | 'subject' | 'from_addr' | 'kind' | 'parse_error'>>, now: number) {
      await k('inbound_messages').where({ id }).update({ ...f, updated_at: now });
    },
    async setVerdicts(id: number, v: { spf: string; dkim: string; dmarc: string; arc: string; details: unknown }, now: number) {
      await k('inbound_messages').where({ id }).update({ spf: v.spf.slice(0, 16), dkim: v.dkim.slice(0, 16), dmarc: v.dmarc.slice(0, 16), arc: v.arc.slice(0, 16), auth_results: JSON.stringify(v.details), updated_at: now });
    },
    async list(q: ListQuery & { address?: string; messageId?: string; from?: number; to?: number }): Promise<Page<InboundRow>> {
      const base = k('inbound_messages').select('inbound_messages.*');
      if (q.address) base.whereIn('id', k('inbound_recipients').select('message_id').where('address', q.address.toLowerCase()));
      if (q.messageId) { const mid = q.messageId.trim().replace(/^<|>$/g, ''); base.whereIn('message_id', [mid, `<${mid}>`]); }
      if (q.from) base.where('received_at', '>=', q.from);
      if (q.to) base.where('received_at', '<', q.to);
      return listPage(base, { sortable: ['id', 'received_at', 'from_addr', 'subject', 'state', 'kind', 'size'], defaultSort: 'id', defaultDir: 'desc', searchable: ['subject'], filterable: ['state', 'kind', 'listener', 'from_addr', 'spf', 'dkim', 'dmarc'] }, q, toInboundRow);
    },
    async reprocess(id: number, now: number): Promise<boolean> {
      return db.knex.transaction(async (trx) => {
        await trx('inbound_steps').where({ message_id: id }).delete();
        return (await trx('inbound_messages').where({ id }).whereNot('state', 'processing').update({ state: 'received', run_at: now, parse_error: null, processed_at: null, updated_at: now })) === 1;
      });
    },
  };
}

export type InboundRepo = ReturnType<typeof inboundRepo>;
