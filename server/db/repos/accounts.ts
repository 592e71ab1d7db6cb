/*
 * Writes: upstream_accounts, account_usage. Reads: upstream_accounts, account_usage.
 * Upstream SMTP accounts, their per-account lease, health and usage counters: the only
 * writer of upstream_accounts (other repos call the exported helpers inside their
 * transactions).
 */
import type { Knex } from 'knex';
import type { Db } from '../connect.js';
import type { Exec } from '../exec.js';
import { listPage, type ListQuery, type Page } from '../list.js';

export interface AccountRow {
  id: number; name: string; kind: 'smtp' | 'sandbox'; host: string; port: number; security: 'none' | 'starttls' | 'tls'; username: string | null;
  password_enc: string | null; verify_cert: boolean; allowed_from: string[]; from_name: string; message_type_id: number | null;
  rate_per_second: number | null; rate_per_hour: number | null; rate_per_day: number | null; max_connections: number; active: boolean; is_default: boolean;
  paused_at: number | null; paused_reason: string | null; slow_until: number | null; last_success_at: number | null; last_error: string | null;
  last_error_at: number | null; created_at: number; updated_at: number;
  /** The IMAP account whose own SMTP side this is (created, changed and removed by it only), or null. */
  imap_account_id: number | null;
}
/** An account as the compose form, the submission relay and the queue filters need it. */
export interface SenderAccount {
  id: number; name: string; kind: string; allowed_from: string[]; from_name: string; message_type_id: number | null; is_default: boolean; active: boolean;
}
/** Account health after a delivery batch. */
export interface AccountTouch { id: number; lastSuccessAt?: number; lastError?: { text: string; at: number }; slowUntil?: number }

type Raw = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const toRow = (r: Raw): AccountRow => ({
  ...(r as unknown as AccountRow), id: Number(r.id), port: Number(r.port), verify_cert: Boolean(r.verify_cert), active: Boolean(r.active),
  is_default: Boolean(r.is_default), max_connections: Number(r.max_connections), imap_account_id: num(r.imap_account_id), allowed_from: JSON.parse(String(r.allowed_from || '[]')) as string[],
});
const parseList = (s: unknown) => {
  try { const v: unknown = JSON.parse(typeof s === 'string' ? s : '[]'); return Array.isArray(v) ? v.map(String) : []; } catch { return []; }
};

/** Counts `n` sent messages in an account's usage bucket, inside the caller's transaction (the delivery results write). */
export async function addUsage(x: Exec, accountId: number, bucket: string, n: number) {
  const tail = x.dialect === 'mysql' ? ' ON DUPLICATE KEY UPDATE sent = sent + VALUES(sent)' : ' ON CONFLICT (account_id, bucket) DO UPDATE SET sent = sent + excluded.sent';
  await x.run(`INSERT INTO account_usage (account_id, bucket, sent) VALUES (?, ?, ?)${tail}`, [accountId, bucket, n]);
}

/** Accounts defaulting to a message type being deleted fall back to none (inside the caller's transaction). */
export async function clearMessageType(trx: Knex | Knex.Transaction, messageTypeId: number, now: number): Promise<void> {
  await trx('upstream_accounts').where({ message_type_id: messageTypeId }).update({ message_type_id: null, updated_at: now });
}

export function accountsRepo(db: Db) {
  const k = db.knex;
  return {
    async list(q: ListQuery): Promise<Page<AccountRow>> {
      return listPage(k('upstream_accounts').select('*'), {
        sortable: ['name', 'kind', 'created_at', 'last_success_at'], defaultSort: 'name', searchable: ['name', 'host'], filterable: ['kind', 'active'],
      }, q, toRow);
    },
    async all(): Promise<AccountRow[]> { return (await k('upstream_accounts').orderBy('id')).map(toRow); },
    async get(id: number) { const r = await k('upstream_accounts').where({ id }).first(); return r ? toRow(r) : undefined; },
    async byName(name: string) { const r = await k('upstream_accounts').where({ name }).first(); return r ? toRow(r) : undefined; },
    /** The managed account of an IMAP account's own SMTP side. */
    async byImapAccount(imapAccountId: number) { const r = await k('upstream_accounts').where({ imap_account_id: imapAccountId }).first(); return r ? toRow(r) : undefined; },
    async defaultAccount() { const r = await k('upstream_accounts').where({ is_default: true, active: true }).first(); return r ? toRow(r) : undefined; },
    async count() { const [{ n }] = (await k('upstream_accounts').count({ n: '*' })) as Array<{ n: number | string }>; return Number(n); },
    async create(a: Record<string, unknown>, now: number) {
      return k.transaction(async (trx) => {
        if (a.is_default) await trx('upstream_accounts').update({ is_default: false });
        const [id] = await trx('upstream_accounts').insert({ ...a, created_at: now, updated_at: now });
        return Number(id);
      });
    },
    async update(id: number, patch: Record<string, unknown>, now: number) {
      await k.transaction(async (trx) => {
        if (patch.is_default) await trx('upstream_accounts').whereNot({ id }).update({ is_default: false });
        await trx('upstream_accounts').where({ id }).update({ ...patch, updated_at: now });
      });
    },
    async remove(id: number) { return (await k('upstream_accounts').where({ id }).delete()) === 1; },
    /** One node at a time sends for an account, so its rate budget is exact cluster-wide. */
    async lease(id: number, owner: string, until: number, now: number): Promise<boolean> {
      const n = await k('upstream_accounts').where({ id, active: true }).whereNull('paused_at')
        .where((q) => q.whereNull('lease_owner').orWhere('lease_until', '<', now).orWhere('lease_owner', owner))
        .update({ lease_owner: owner, lease_until: until });
      return n === 1;
    },
    async unlease(id: number, owner: string) { await k('upstream_accounts').where({ id, lease_owner: owner }).update({ lease_owner: null, lease_until: null }); },
    /** Account health after a batch: last success, last error, slowed down until (never `updated_at`: that is for edits). */
    async touchHealth(t: AccountTouch): Promise<void> {
      const set: Record<string, number | string> = {};
      if (t.lastSuccessAt !== undefined) set.last_success_at = t.lastSuccessAt;
      if (t.lastError) { set.last_error = t.lastError.text.slice(0, 1000); set.last_error_at = t.lastError.at; }
      if (t.slowUntil !== undefined) set.slow_until = t.slowUntil;
      if (Object.keys(set).length) await k('upstream_accounts').where({ id: t.id }).update(set);
    },
    /** A sender-side refusal goes on the upstream account's health, not on the recipient. */
    async noteRefusal(id: number, message: string, at: number): Promise<void> {
      await k('upstream_accounts').where({ id }).update({ last_error: message.slice(0, 2000), last_error_at: at, updated_at: at });
    },
    /** Accounts as the compose form, the submission relay and the queue filters need them. */
    async senderAccounts(): Promise<SenderAccount[]> {
      const rows: Raw[] = await k('upstream_accounts').select('id', 'name', 'kind', 'allowed_from', 'from_name', 'message_type_id', 'is_default', 'active').orderBy('name');
      return rows.map((r) => ({
        id: Number(r.id), name: String(r.name), kind: String(r.kind), allowed_from: parseList(r.allowed_from), from_name: String(r.from_name ?? ''),
        message_type_id: num(r.message_type_id), is_default: Boolean(r.is_default), active: Boolean(r.active),
      }));
    },
    async usage(id: number, hour: number, day: number): Promise<{ hour: number; day: number }> {
      const rows = await k('account_usage').where({ account_id: id }).whereIn('bucket', [`h:${hour}`, `d:${day}`]);
      const get = (b: string) => Number((rows as Raw[]).find((r) => r.bucket === b)?.sent ?? 0);
      return { hour: get(`h:${hour}`), day: get(`d:${day}`) };
    },
    async countSent(id: number, hour: number, day: number, n = 1) {
      for (const bucket of [`h:${hour}`, `d:${day}`]) {
        await k('account_usage').insert({ account_id: id, bucket, sent: 0 }).onConflict(['account_id', 'bucket']).ignore();
        await k('account_usage').where({ account_id: id, bucket }).update({ sent: k.raw('sent + ?', [n]) });
      }
    },
  };
}
export type AccountsRepo = ReturnType<typeof accountsRepo>;
