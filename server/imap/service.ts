/*
 * IMAP accounts: group (admins) and personal (their owner, and admins) accounts with
 * validation, passwords sealed at rest and never returned, the sync on/off toggle, "test
 * connection" by stage, sync status rows (per account and folder) and the node's sync
 * supervisor (worker role). Fetched mail goes into the inbound store like MX mail. An own
 * SMTP side is kept as a managed upstream account (accounts service) after every change.
 */
import type { Ctx } from '../context.js';
import type { Principal } from '../auth/access.js';
import type { AccountsService } from '../outbound/accounts/service.js';
import type { Directory } from '../inbound/directory.js';
import type { User } from '../db/repos/users.js';
import { AppError, invalid, notFound, type FieldError } from '../errors.js';
import { imapAccountsRepo, type ImapAccountRow } from '../db/repos/imap/accounts.js';
import { imapSyncRepo } from '../db/repos/imap/sync.js';
import type { ListQuery } from '../db/list.js';
import { seal, open } from '../lib/secretbox.js';
import { deriveKey } from '../lib/keys.js';
import { parseMailbox } from '../lib/addresses.js';
import { createSupervisor, type Supervisor } from './supervisor.js';
import type { MailerLogRecord } from '../operations/types.js';

const IMAP_ERROR_STATES = ['auth_error', 'connect_error', 'stalled'];
import { SYNC_DEFAULTS, type Running, type SyncOptions } from './session.js';
import { testImap, testSmtp, type StageResult } from './stageTest.js';
import { managedSmtpOf } from './logic.js';

export interface ImapAccountInput {
  name?: string; kind?: string; host?: string; port?: number; security?: string; username?: string; password?: string; folders?: string[];
  verifyCert?: boolean; mailboxAddress?: string | null; userId?: number | null; active?: boolean;
  smtpAccountId?: number | null; smtpHost?: string | null; smtpPort?: number | null; smtpSecurity?: string | null; smtpUsername?: string | null; smtpPassword?: string | null;
  useForIntegration?: boolean; syncEnabled?: boolean; maxAgeDays?: number | null;
}
/** Without secrets, the lease, and the unused create_cases/auto_reply columns (a group account routes through its mailbox's settings). */
export type PublicImapAccount = Omit<ImapAccountRow, 'password_enc' | 'smtp_password_enc' | 'locked_by' | 'locked_until' | 'create_cases' | 'auto_reply'> & {
  has_password: boolean; has_smtp_password: boolean; sync_node: string | null;
};
export const toPublicImap = (
  { password_enc, smtp_password_enc, locked_by, locked_until, create_cases: _cases, auto_reply: _reply, ...a }: ImapAccountRow, now: number,
): PublicImapAccount => ({
  ...a, has_password: Boolean(password_enc), has_smtp_password: Boolean(smtp_password_enc), sync_node: locked_by && (locked_until ?? 0) >= now ? locked_by : null,
});
export interface StatusRow {
  accountId: number; accountName: string; kind: string; folder: string | null; state: string; lastSyncAt: number | null;
  fetched: number; duplicates: number; failed: number; lastError: string | null; syncEnabled: boolean; node: string | null;
}

const HOST_RE = /^[a-z0-9.-]+$|^\[?[0-9a-f:.]+\]?$/i;
const SMTP_HOST_RE = /^[a-z0-9.-]+$/i;
const SECURITIES = ['tls', 'starttls', 'none'];

export function imapService(s: {
  ctx: Ctx; accounts: Pick<AccountsService, 'get' | 'testConnection' | 'syncManaged'>; directory: Pick<Directory, 'classify'>; users: { get(id: number): Promise<User | undefined> };
  /** Sync failures and recoveries go to the mailer log (source `imap`). */
  mailerLog?: MailerLogRecord;
}) {
  const repo = imapAccountsRepo(s.ctx.db);
  const sync = imapSyncRepo(s.ctx.db);
  const box = deriveKey(s.ctx.config.secret, 'secretbox');
  const now = () => s.ctx.clock.now();
  let supervisor: Supervisor | null = null;
  /** The last state this node reported per account: the mailer log gets changes, not every retry. */
  const reported = new Map<number, string>();
  async function reportState(id: number, state: string, error: string | null) {
    const before = reported.get(id);
    reported.set(id, state);
    if (!s.mailerLog || before === state) return;
    const failing = IMAP_ERROR_STATES.includes(state);
    if (!failing && !(before && IMAP_ERROR_STATES.includes(before) && state === 'idle')) return;
    const a = await repo.get(id).catch(() => undefined);
    const name = a?.name ?? `#${id}`;
    await s.mailerLog(failing
      ? { level: state === 'stalled' ? 'warn' : 'error', source: 'imap', event: `imap.${state}`, message: `IMAP account "${name}" (${a?.host ?? '?'}): ${state.replace('_', ' ')}`, reply: error }
      : { level: 'info', source: 'imap', event: 'imap.recovered', message: `IMAP account "${name}" syncs again` });
  }

  async function fields(input: ImapAccountInput, actor: Principal, cur?: ImapAccountRow): Promise<Record<string, unknown>> {
    const creating = !cur;
    const errs: FieldError[] = [];
    const out: Record<string, unknown> = {};
    const err = (field: string, message: string) => errs.push({ field, message, key: `imap.err.${field}` });
    if (creating || input.name !== undefined) { const n = (input.name ?? '').trim(); if (!n || n.length > 100) err('name', 'is required (at most 100 characters)'); else out.name = n; }
    const kind = input.kind ?? cur?.kind;
    if (creating || input.kind !== undefined) {
      if (kind !== 'group' && kind !== 'personal') err('kind', 'must be group or personal');
      else if (cur && kind !== cur.kind) err('kind', 'cannot be changed');
      else out.kind = kind;
    }
    if (kind === 'group' && actor.role !== 'admin') throw new AppError('forbidden', 'Only admins manage group IMAP accounts');
    if (creating || input.host !== undefined) { const h = (input.host ?? '').trim(); if (!h || h.length > 253 || !HOST_RE.test(h)) err('host', 'is required: a host name or IP address'); else out.host = h; }
    if (creating || input.port !== undefined) { const p = input.port; if (p === undefined || !Number.isInteger(p) || p < 1 || p > 65535) err('port', 'must be 1–65535'); else out.port = p; }
    if (creating || input.security !== undefined) { if (!SECURITIES.includes(input.security ?? '')) err('security', 'must be tls, starttls or none'); else out.security = input.security; }
    if (creating || input.username !== undefined) { const u = (input.username ?? '').trim(); if (!u || u.length > 320) err('username', 'is required (at most 320 characters)'); else out.username = u; }
    if (creating || (input.password !== undefined && input.password !== '')) {
      if (!input.password || input.password.length > 1000) err('password', 'is required (at most 1,000 characters)'); else out.password_enc = seal(box, input.password);
    }
    if (creating || input.folders !== undefined) {
      const list = [...new Set((input.folders ?? ['INBOX']).map((f) => f.trim()).filter(Boolean))];
      if (!list.length || list.length > 20 || list.some((f) => f.length > 191 || /[\r\n\0]/.test(f))) err('folders', 'one to 20 folder names (at most 191 characters each)');
      else out.folders = JSON.stringify(list);
    }
    if (input.verifyCert !== undefined) out.verify_cert = input.verifyCert;
    if (input.mailboxAddress !== undefined) {
      const v = (input.mailboxAddress ?? '').trim();
      if (!v) out.mailbox_address = null;
      else { const p = parseMailbox(v); if (!p.ok) err('mailboxAddress', p.message); else out.mailbox_address = p.address.toLowerCase(); }
    }
    // A group account's mail is routed as mail to its mailbox: that mailbox's settings (create
    // cases, auto-reply, teams, assignment) are the account's, so the address must be one.
    const boxAddress = out.mailbox_address !== undefined ? out.mailbox_address : cur?.mailbox_address;
    if (kind === 'group' && typeof boxAddress === 'string' && (creating || out.mailbox_address !== undefined)) {
      const d = await s.directory.classify(boxAddress).catch(() => null);
      if (!d || !d.ok || d.mailboxId === null) errs.push({ field: 'mailboxAddress', message: 'must be one of our mailboxes (its settings route this account\'s mail)', key: 'imap.err.mailboxNotLocal' });
    }
    if (kind === 'personal') {
      let uid = input.userId ?? cur?.user_id ?? actor.userId;
      if (actor.role !== 'admin') {
        if (input.userId !== undefined && input.userId !== null && input.userId !== actor.userId) throw new AppError('forbidden', 'A personal IMAP account belongs to the user who manages it');
        uid = actor.userId;
      }
      if (uid === null || uid === undefined) err('userId', 'a personal account needs its user');
      else if (creating || input.userId !== undefined) { if (!(await s.users.get(uid))) err('userId', 'no such user'); else out.user_id = uid; }
    } else if (kind === 'group' && (creating || input.userId !== undefined)) out.user_id = null;
    if (input.active !== undefined) out.active = input.active;
    if (input.useForIntegration !== undefined) out.use_for_integration = input.useForIntegration;
    if (input.syncEnabled !== undefined) out.sync_enabled = input.syncEnabled;
    if (input.maxAgeDays !== undefined) {
      const v = input.maxAgeDays;
      if (v !== null && (!Number.isInteger(v) || v < 1 || v > 36500)) err('maxAgeDays', 'a whole number of days (1–36500) or empty'); else out.max_age_days = v;
    }
    if (input.smtpAccountId !== undefined) {
      if (input.smtpAccountId === null) out.smtp_account_id = null;
      else {
        const up = await s.accounts.get(input.smtpAccountId).catch(() => undefined);
        // Another IMAP account's own SMTP side sends only as that account's address: not a choice here.
        if (!up || (up.imap_account_id && up.imap_account_id !== cur?.id)) err('smtpAccountId', 'no such upstream account');
        else out.smtp_account_id = input.smtpAccountId;
      }
    }
    // As upstream accounts take it (the own SMTP side becomes one): a name or an IPv4 address.
    if (input.smtpHost !== undefined) { const h = (input.smtpHost ?? '').trim(); if (h && (h.length > 253 || !SMTP_HOST_RE.test(h))) err('smtpHost', 'a host name or IPv4 address'); else out.smtp_host = h || null; }
    if (input.smtpPort !== undefined) { const p = input.smtpPort; if (p !== null && (!Number.isInteger(p) || p < 1 || p > 65535)) err('smtpPort', 'must be 1–65535'); else out.smtp_port = p; }
    if (input.smtpSecurity !== undefined) { const v = input.smtpSecurity; if (v !== null && v !== '' && !SECURITIES.includes(v)) err('smtpSecurity', 'must be tls, starttls or none'); else out.smtp_security = v || null; }
    if (input.smtpUsername !== undefined) out.smtp_username = (input.smtpUsername ?? '').trim() || null;
    if (input.smtpPassword !== undefined && input.smtpPassword !== '') out.smtp_password_enc = input.smtpPassword === null ? null : seal(box, input.smtpPassword);
    const smtpAccount = out.smtp_account_id !== undefined ? out.smtp_account_id : cur?.smtp_account_id;
    const smtpHost = out.smtp_host !== undefined ? out.smtp_host : cur?.smtp_host;
    if (smtpAccount && smtpHost) err('smtpHost', 'choose an upstream account or an SMTP server, not both');
    if (errs.length) throw invalid(errs);
    if (creating && out.sync_enabled === undefined) out.sync_enabled = true;
    if (out.active === false || out.sync_enabled === false) out.state = 'disabled';
    else if (out.active === true || out.sync_enabled === true) out.state = 'connecting';
    return out;
  }

  /** The account if `actor` may manage it; a personal account of someone else is "not found" to an agent. */
  async function get(id: number, actor: Principal): Promise<ImapAccountRow> {
    const a = await repo.get(id);
    if (!a) throw notFound('IMAP account');
    if (actor.role !== 'admin' && !(a.kind === 'personal' && a.user_id === actor.userId)) throw notFound('IMAP account');
    return a;
  }
  const poke = () => { void supervisor?.poke(); };
  const log = s.ctx.log.child({ mod: 'imap' });
  /** Brings the managed upstream account of the own SMTP side in line with the account (after every write). */
  async function syncSmtp(id: number): Promise<void> {
    const a = await repo.get(id);
    const spec = a ? managedSmtpOf(a, a.smtp_password_enc ? open(box, a.smtp_password_enc) : null) : null;
    const upstreamId = await s.accounts.syncManaged(id, spec);
    log.info({ evt: 'imap.smtp_side', account: id, upstreamAccount: upstreamId }, 'IMAP account sending side updated');
  }

  return {
    repo, sync,
    list: (q: ListQuery, actor: Principal) => repo.list({ ...q, owner: actor.role === 'admin' ? undefined : actor.userId }),
    get,
    publicOf: (a: ImapAccountRow) => toPublicImap(a, now()),
    async folders(id: number, actor: Principal) { await get(id, actor); return sync.folders(id); },
    async create(input: ImapAccountInput, actor: Principal): Promise<PublicImapAccount> {
      const f = await fields(input, actor);
      const id = await repo.create(f, now());
      await syncSmtp(id);
      poke();
      return toPublicImap((await repo.get(id))!, now());
    },
    async update(id: number, input: ImapAccountInput, actor: Principal): Promise<PublicImapAccount> {
      const cur = await get(id, actor);
      await repo.update(id, await fields(input, actor, cur), now());
      await syncSmtp(id);
      poke();
      return toPublicImap((await repo.get(id))!, now());
    },
    /** The sync toggle: off stops the account's connection (on this node at once, elsewhere within a tick). */
    async setSync(id: number, enabled: boolean, actor: Principal): Promise<PublicImapAccount> { return this.update(id, { syncEnabled: enabled }, actor); },
    async remove(id: number, actor: Principal): Promise<void> {
      await get(id, actor);
      await repo.remove(id);
      await syncSmtp(id);
      poke();
    },
    password(a: ImapAccountRow): string { return open(box, a.password_enc); },
    /** Tests the IMAP side stage by stage and, when the account has one, its sending side. */
    async testConnection(id: number, actor: Principal): Promise<StageResult & { smtp: { ok: boolean; stage: string; message: string } | null }> {
      const a = await get(id, actor);
      const imap = await testImap({
        host: a.host, port: a.port, security: a.security, username: a.username, password: open(box, a.password_enc), verifyCert: a.verify_cert, folders: a.folders,
      });
      let smtp = null;
      if (a.smtp_account_id) smtp = await s.accounts.testConnection(a.smtp_account_id);
      else if (a.smtp_host && a.smtp_port) {
        smtp = await testSmtp({ host: a.smtp_host, port: a.smtp_port, security: a.smtp_security ?? 'starttls', username: a.smtp_username,
          password: a.smtp_password_enc ? open(box, a.smtp_password_enc) : null, verifyCert: a.verify_cert });
      }
      return { ...imap, smtp };
    },
    /** Sync status per account and folder (an account not synced yet has one row without a folder). For the mailer status page. */
    async statusRows(actor: Principal = { role: 'admin', userId: null }): Promise<StatusRow[]> {
      const page = await repo.list({ perPage: 200, owner: actor.role === 'admin' ? undefined : actor.userId });
      const folders = await sync.allFolders();
      const t = now();
      return page.items.flatMap((a): StatusRow[] => {
        const node = a.locked_by && (a.locked_until ?? 0) >= t ? a.locked_by : null;
        const base = { accountId: a.id, accountName: a.name, kind: a.kind, syncEnabled: a.sync_enabled && a.active, node };
        const mine = folders.filter((f) => f.account_id === a.id);
        if (!mine.length) return [{ ...base, folder: null, state: a.state, lastSyncAt: a.last_sync_at, fetched: 0, duplicates: 0, failed: 0, lastError: a.last_error }];
        return mine.map((f) => ({ ...base, folder: f.name, state: a.state === 'idle' || a.state === 'syncing' ? f.state : a.state, lastSyncAt: f.last_sync_at,
          fetched: f.fetched, duplicates: f.duplicates, failed: f.failed, lastError: f.last_error ?? a.last_error }));
      });
    },
    /** Starts this node's sync (worker role). `opts` shortens the timings in tests. */
    async start(opts: Partial<SyncOptions> = {}): Promise<Running> {
      const o = { ...SYNC_DEFAULTS, ...opts };
      // Own SMTP sides saved before managed accounts existed (or a write that failed half-way) get theirs now.
      // Logged by code only: a driver's message could quote the sealed password it tried to write.
      for (let page = 1, more = true; more; page++) {
        const p = await repo.list({ perPage: 200, page });
        more = p.items.length === p.perPage;
        for (const a of p.items.filter((x) => x.smtp_host)) {
          await syncSmtp(a.id).catch((e: unknown) => log.warn({ evt: 'imap.smtp_side_failed', account: a.id, code: (e as { code?: unknown }).code ?? 'error' }, 'could not update the sending side'));
        }
      }
      const sup = createSupervisor(s.ctx, repo, {
        sync, password: (a) => open(box, a.password_enc),
        durable: () => s.ctx.db.durable(),
        setState: async (id, state, extra) => {
          await repo.setState(id, s.ctx.nodeId, state, { ...extra, now: now() });
          await reportState(id, state, extra.error ?? null);
        },
        messageFailed: async (a, folder, uid, error) => {
          await s.mailerLog?.({ level: 'error', source: 'imap', event: 'imap.message_failed', reply: error,
            message: `IMAP account "${a.name}": ${folder} UID ${uid} could not be stored; kept on the server, logged under its UID and skipped` });
        },
        recipients: async (a) => {
          if (!a.mailbox_address) return [];
          const d = await s.directory.classify(a.mailbox_address).catch(() => null);
          return d && d.ok ? [{ address: d.address, kind: d.kind, mailbox_id: d.mailboxId, target_id: d.targetId }] : [];
        },
      }, o);
      supervisor = sup;
      await sup.start();
      return { stop: async () => { await sup.stop(); if (supervisor === sup) supervisor = null; } };
    },
    /** Tests: the supervisor of this node (held accounts, crash). */
    get supervisor() { return supervisor; },
  };
}
export type ImapService = ReturnType<typeof imapService>;
