/*
 * Writes: imap_accounts. Reads: imap_accounts.
 * IMAP accounts: settings (passwords sealed by the caller, never opened here), the sync lease
 * one node holds per account (acquire, renew, release; `fenceLease` for the sync repo's
 * transactions) and the account's sync state.
 */
import type { Db } from '../../connect.js';
import type { Exec } from '../../exec.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { columns, jsonList, numOrNull, strOrNull, type DbRow } from '../../row.js';

export type ImapState = 'connecting' | 'syncing' | 'idle' | 'auth_error' | 'connect_error' | 'disabled' | 'stalled';
export interface ImapAccountRow {
  id: number; name: string; kind: 'group' | 'personal'; user_id: number | null; host: string; port: number; security: 'tls' | 'starttls' | 'none';
  username: string; password_enc: string; folders: string[]; verify_cert: boolean; mailbox_address: string | null; create_cases: boolean; auto_reply: boolean;
  smtp_account_id: number | null; smtp_host: string | null; smtp_port: number | null; smtp_security: string | null; smtp_username: string | null;
  smtp_password_enc: string | null; use_for_integration: boolean; active: boolean; sync_enabled: boolean; max_age_days: number | null;
  state: ImapState; last_sync_at: number | null; last_error: string | null; last_error_at: number | null; locked_by: string | null; locked_until: number | null;
  created_at: number; updated_at: number;
}
const toRow = (r: DbRow): ImapAccountRow => ({
  ...columns<ImapAccountRow>(r), id: Number(r.id), user_id: numOrNull(r.user_id), port: Number(r.port), folders: jsonList(r.folders), verify_cert: Boolean(r.verify_cert),
  mailbox_address: strOrNull(r.mailbox_address), create_cases: Boolean(r.create_cases), auto_reply: Boolean(r.auto_reply), smtp_account_id: numOrNull(r.smtp_account_id),
  smtp_port: numOrNull(r.smtp_port), use_for_integration: Boolean(r.use_for_integration), active: Boolean(r.active), sync_enabled: Boolean(r.sync_enabled),
  max_age_days: numOrNull(r.max_age_days), last_sync_at: numOrNull(r.last_sync_at), last_error: strOrNull(r.last_error), last_error_at: numOrNull(r.last_error_at),
  locked_by: strOrNull(r.locked_by), locked_until: numOrNull(r.locked_until), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});

/** Inside the sync repo's transaction: extends the lease, or reports (false) that this node no longer holds it. */
export async function fenceLease(x: Exec, id: number, node: string, now: number, leaseMs: number): Promise<boolean> {
  const f = fenceStatement(id, node, now, leaseMs);
  return (await x.run(f.sql, f.params)).changes === 1;
}
/** fenceLease as a statement for a batch (Exec.batch): the lease holds when it changed one row. */
export function fenceStatement(id: number, node: string, now: number, leaseMs: number): { sql: string; params: unknown[] } {
  return { sql: 'UPDATE imap_accounts SET locked_until = ? WHERE id = ? AND locked_by = ? AND locked_until >= ?', params: [now + leaseMs, id, node, now] };
}

export function imapAccountsRepo(db: Db) {
  const k = db.knex;
  return {
    /** `owner`: only the personal accounts of that user (an agent's view). */
    list: (q: ListQuery & { owner?: number }): Promise<Page<ImapAccountRow>> => {
      const base = k('imap_accounts').select('*');
      if (q.owner !== undefined) base.where({ kind: 'personal', user_id: q.owner });
      return listPage(base, { sortable: ['id', 'name', 'host', 'state', 'last_sync_at', 'created_at'], defaultSort: 'id', searchable: ['name', 'host', 'username', 'mailbox_address'],
        filterable: ['kind', 'state', 'active'] }, q, toRow);
    },
    async get(id: number): Promise<ImapAccountRow | undefined> { const r = await k('imap_accounts').where({ id }).first(); return r ? toRow(r) : undefined; },
    async byName(name: string): Promise<ImapAccountRow | undefined> { const r = await k('imap_accounts').where({ name }).first(); return r ? toRow(r) : undefined; },
    async create(row: Record<string, unknown>, now: number): Promise<number> {
      const [id] = await k('imap_accounts').insert({ ...row, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: Record<string, unknown>, now: number): Promise<void> { await k('imap_accounts').where({ id }).update({ ...patch, updated_at: now }); },
    async remove(id: number): Promise<boolean> { return (await k('imap_accounts').where({ id }).delete()) === 1; },
    /** Accounts a node should sync: active with sync on. */
    async syncable(): Promise<ImapAccountRow[]> { return (await k('imap_accounts').where({ active: true, sync_enabled: true }).orderBy('id')).map(toRow); },
    /** Takes the lease when it is free, expired, or already this node's; true when this node holds it now. */
    async acquire(id: number, node: string, now: number, leaseMs: number): Promise<boolean> {
      const n = await k('imap_accounts').where({ id, active: true, sync_enabled: true })
        .where((q) => q.whereNull('locked_by').orWhere('locked_until', '<', now).orWhere('locked_by', node))
        .update({ locked_by: node, locked_until: now + leaseMs });
      return n === 1;
    },
    async renew(id: number, node: string, now: number, leaseMs: number): Promise<boolean> {
      const n = await k('imap_accounts').where({ id, locked_by: node, active: true, sync_enabled: true }).where('locked_until', '>=', now).update({ locked_until: now + leaseMs });
      return n === 1;
    },
    async release(id: number, node: string): Promise<void> { await k('imap_accounts').where({ id, locked_by: node }).update({ locked_by: null, locked_until: null }); },
    /** State written by the lease holder only (a node that lost the lease writes nothing). */
    async setState(id: number, node: string, state: ImapState, extra: { error?: string | null; syncedAt?: number; now: number }): Promise<void> {
      const patch: Record<string, unknown> = { state };
      if (extra.error !== undefined) { patch.last_error = extra.error === null ? null : extra.error.slice(0, 2000); if (extra.error !== null) patch.last_error_at = extra.now; }
      if (extra.syncedAt !== undefined) patch.last_sync_at = extra.syncedAt;
      await k('imap_accounts').where({ id, locked_by: node }).update(patch);
    },
    /** State for an account no node syncs (disabled, inactive). */
    async setIdleState(id: number, state: ImapState): Promise<void> { await k('imap_accounts').where({ id }).whereNull('locked_by').update({ state }); },
  };
}
export type ImapAccountsRepo = ReturnType<typeof imapAccountsRepo>;
