/*
 * Upstream accounts: validation, passwords sealed at rest (never returned), the built-in
 * sandbox account (stores instead of sending; the default on a fresh install), health,
 * pause/resume, "test connection" that names the stage that failed, and the managed accounts
 * that are IMAP accounts' own SMTP sides (written by the IMAP service only: 409 here).
 */
import { testSmtp } from './smtpTest.js';
import type { Ctx } from '../../context.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { accountsRepo, type AccountRow } from '../../db/repos/accounts.js';
import { seal, open } from '../../lib/secretbox.js';
import { deriveKey } from '../../lib/keys.js';
import { normalizeDomain, parseMailbox } from '../../lib/addresses.js';
import type { MailerLogRecord } from '../../operations/types.js';

export interface AccountInput {
  name?: string; kind?: string; host?: string; port?: number; security?: string; username?: string | null; password?: string | null;
  verifyCert?: boolean; allowedFrom?: string[]; fromName?: string; messageTypeId?: number | null; ratePerSecond?: number | null;
  ratePerHour?: number | null; ratePerDay?: number | null; maxConnections?: number; active?: boolean; isDefault?: boolean;
}
/** `managed_by`: the IMAP account whose own SMTP side this is (read-only here), or null. */
export type PublicAccount = Omit<AccountRow, 'password_enc' | 'imap_account_id'> & { has_password: boolean; managed_by: { imapAccountId: number } | null };
export const toPublic = ({ password_enc, imap_account_id, ...a }: AccountRow): PublicAccount => ({
  ...a, has_password: Boolean(password_enc), managed_by: imap_account_id ? { imapAccountId: imap_account_id } : null,
});
/**
 * An IMAP account's own SMTP side as its managed upstream account. `allowedFrom` names the
 * account's address only (never empty: an empty list would allow any From); `password` is the
 * plain text the IMAP service opened, sealed here as every account password is.
 */
export interface ManagedSmtp {
  name: string; host: string; port: number; security: string; username: string | null; password: string | null; verifyCert: boolean; allowedFrom: string[]; active: boolean;
}
const managedConflict = (a: AccountRow) =>
  conflict(`Account ${a.name} is the own SMTP side of IMAP account #${a.imap_account_id}: change it there (/api/v1/imap-accounts/${a.imap_account_id})`);

/**
 * `mailerLog`: pauses and resumes are recorded there (the worker reports failing and recovered).
 * `onChange`: called after every write that can change which account sends as an address (create,
 * update, an IMAP account's managed side), so the routing hooks' per-node cache drops what it read.
 */
export function accountsService(s: { ctx: Ctx; mailerLog?: MailerLogRecord; onChange?: () => void }) {
  const repo = accountsRepo(s.ctx.db);
  const box = deriveKey(s.ctx.config.secret, 'secretbox');
  const now = () => s.ctx.clock.now();

  function fields(input: AccountInput, creating: boolean, cur?: AccountRow): Record<string, unknown> {
    const errs: Array<{ field: string; message: string }> = [];
    const out: Record<string, unknown> = {};
    const kind = input.kind ?? cur?.kind ?? 'smtp';
    if (creating || input.name !== undefined) { const n = (input.name ?? '').trim(); if (!n || n.length > 100) errs.push({ field: 'name', message: 'is required (at most 100 characters)' }); else out.name = n; }
    if (input.kind !== undefined) { if (kind !== 'smtp' && kind !== 'sandbox') errs.push({ field: 'kind', message: 'must be smtp or sandbox' }); else out.kind = kind; }
    if (kind === 'smtp' && (creating || input.host !== undefined)) { const h = (input.host ?? '').trim(); if (!/^[a-z0-9.-]+$/i.test(h) || h.length > 253) errs.push({ field: 'host', message: 'is required: a host name or IP address' }); else out.host = h; }
    if (input.port !== undefined) { if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) errs.push({ field: 'port', message: 'must be 1–65535' }); else out.port = input.port; }
    if (input.security !== undefined) { if (!['none', 'starttls', 'tls'].includes(input.security)) errs.push({ field: 'security', message: 'must be none, starttls or tls' }); else out.security = input.security; }
    if (input.username !== undefined) out.username = input.username || null;
    if (input.password !== undefined && input.password !== '') out.password_enc = input.password === null ? null : seal(box, input.password);
    if (input.verifyCert !== undefined) out.verify_cert = input.verifyCert;
    if (input.allowedFrom !== undefined || creating) {
      const list: string[] = [];
      for (const v of input.allowedFrom ?? []) {
        const x = v.trim().toLowerCase();
        if (!x) continue;
        if (x.includes('@')) { const p = parseMailbox(x); if (p.ok) list.push(p.address.toLowerCase()); else errs.push({ field: 'allowedFrom', message: `${v}: ${p.message}` }); }
        else { const d = normalizeDomain(x); if (d) list.push(d); else errs.push({ field: 'allowedFrom', message: `${v} is neither an address nor a domain` }); }
      }
      out.allowed_from = JSON.stringify(list);
    }
    if (input.fromName !== undefined) out.from_name = input.fromName;
    if (input.messageTypeId !== undefined) out.message_type_id = input.messageTypeId;
    for (const [k, col] of [['ratePerSecond', 'rate_per_second'], ['ratePerHour', 'rate_per_hour'], ['ratePerDay', 'rate_per_day']] as const) {
      const v = input[k];
      if (v === undefined) continue;
      if (v !== null && (!Number.isInteger(v) || v < 1)) errs.push({ field: k, message: 'must be a positive whole number or empty' }); else out[col] = v;
    }
    if (input.maxConnections !== undefined) { if (!Number.isInteger(input.maxConnections) || input.maxConnections < 1 || input.maxConnections > 100) errs.push({ field: 'maxConnections', message: 'must be 1–100' }); else out.max_connections = input.maxConnections; }
    if (input.active !== undefined) out.active = input.active;
    if (input.isDefault !== undefined) out.is_default = input.isDefault;
    if (errs.length) throw invalid(errs);
    return out;
  }

  /** syncManaged's write (see there). */
  async function writeManaged(imapAccountId: number, spec: ManagedSmtp | null): Promise<number | null> {
    const cur = await repo.byImapAccount(imapAccountId);
    if (!spec) { if (cur) await repo.remove(cur.id); return null; }
    if (!spec.allowedFrom.length) throw invalid([{ field: 'allowedFrom', message: 'a managed account sends as its IMAP account\'s address only' }]);
    // The name is the IMAP account's; a clash with another account gets the IMAP account's id.
    const clash = await repo.byName(spec.name.slice(0, 100));
    const name = clash && clash.id !== cur?.id ? `${spec.name.slice(0, 88)} (IMAP #${imapAccountId})` : spec.name.slice(0, 100);
    const f = fields({
      name, kind: 'smtp', host: spec.host, port: spec.port, security: spec.security, username: spec.username, password: spec.password ?? null,
      verifyCert: spec.verifyCert, allowedFrom: spec.allowedFrom, active: spec.active, isDefault: false,
    }, !cur, cur);
    if (cur) { await repo.update(cur.id, f, now()); return cur.id; }
    return repo.create({ ...f, imap_account_id: imapAccountId }, now());
  }

  return {
    repo,
    password(a: AccountRow): string | null { return a.password_enc ? open(box, a.password_enc) : null; },
    async create(input: AccountInput) {
      const f = fields(input, true);
      if (await repo.byName(f.name as string)) throw invalid([{ field: 'name', message: 'is taken' }]);
      const id = await repo.create(f, now());
      s.onChange?.();
      return toPublic((await repo.get(id))!);
    },
    async update(id: number, input: AccountInput) {
      const cur = await repo.get(id);
      if (!cur) throw notFound('Account');
      if (cur.imap_account_id) throw managedConflict(cur);
      await repo.update(id, fields(input, false, cur), now());
      s.onChange?.();
      return toPublic((await repo.get(id))!);
    },
    /**
     * Creates, updates or (spec null) removes the managed account of IMAP account `imapAccountId`;
     * returns its id, or null when there is none. Only the IMAP service calls this.
     */
    async syncManaged(imapAccountId: number, spec: ManagedSmtp | null): Promise<number | null> {
      try { return await writeManaged(imapAccountId, spec); } finally { s.onChange?.(); }
    },
    async get(id: number) { const a = await repo.get(id); if (!a) throw notFound('Account'); return a; },
    /** Every account as compose, the submission relay and the queue filters need it (no secrets). */
    senderAccounts: () => repo.senderAccounts(),
    async pause(id: number, reason: string) {
      await repo.update(id, { paused_at: now(), paused_reason: reason.slice(0, 1000) }, now());
      const a = await repo.get(id);
      await s.mailerLog?.({ level: 'error', source: 'account', event: 'account.paused', accountId: id, message: `Upstream account ${a?.name ?? id} paused: ${reason}`, reply: reason });
    },
    async resume(id: number) {
      const a = await this.get(id);
      await repo.update(id, { paused_at: null, paused_reason: null }, now());
      if (a.paused_at) await s.mailerLog?.({ level: 'info', source: 'account', event: 'account.resumed', accountId: id, message: `Upstream account ${a.name} resumed` });
    },
    async health(a: AccountRow) {
      const t = now();
      const u = await repo.usage(a.id, Math.floor(t / 3_600_000), Math.floor(t / 86_400_000));
      return { sentThisHour: u.hour, sentToday: u.day, limitHour: a.rate_per_hour, limitDay: a.rate_per_day, paused: Boolean(a.paused_at), pausedReason: a.paused_reason,
        lastSuccessAt: a.last_success_at, lastError: a.last_error, lastErrorAt: a.last_error_at, slowUntil: a.slow_until && a.slow_until > t ? a.slow_until : null };
    },
    /** The built-in sandbox: a fresh install can try every flow and read the result in the UI. */
    async bootstrap() {
      if ((await repo.count()) > 0) return;
      await repo.create({ name: 'Sandbox', kind: 'sandbox', host: '', port: 0, security: 'none', allowed_from: '[]', is_default: true, active: true }, now()).catch(async (e) => { if ((await repo.count()) === 0) throw e; });
    },
    /** Connects and logs in without sending; names the stage that failed with the server's reply. */
    async testConnection(id: number): Promise<{ ok: boolean; stage: 'DNS' | 'TCP' | 'TLS' | 'AUTH' | 'OK' | 'SANDBOX'; message: string }> {
      const a = await this.get(id);
      if (a.kind === 'sandbox') return { ok: true, stage: 'SANDBOX', message: 'The sandbox stores messages instead of sending them' };
      const pw = this.password(a);
      return testSmtp({ host: a.host, port: a.port, security: a.security, username: a.username, password: pw, verifyCert: a.verify_cert });
    },
  };
}
export type AccountsService = ReturnType<typeof accountsService>;
