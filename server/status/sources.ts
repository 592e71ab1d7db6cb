/*
 * Status sources: every kind of mail source the status page lists (upstream accounts, SMTP
 * mailboxes; IMAP accounts plug in the same way) answers its rows and its enable/disable
 * toggle through one small interface, so a new kind is one entry in the list services.ts
 * passes to the status service.
 */
import type { AccountsService } from '../outbound/accounts/service.js';
import type { DomainsService } from '../inbound/domains.js';
import type { ImapService } from '../imap/service.js';
import type { MailStatsRepo } from '../db/repos/status/stats.js';
import { sourceState, failingSince, HOUR, type SourceState } from './logic.js';

export interface SourceRow {
  /** `account` | `mailbox` | `imap` … */
  kind: string;
  /** The source's path segment: `/status/{path}/{id}/enable|disable|test`. */
  path: string;
  id: number; name: string; detail: string; enabled: boolean; state: SourceState;
  pausedAt: number | null; pausedReason: string | null; failingSince: number | null;
  lastSuccessAt: number | null; lastError: string | null; lastErrorAt: number | null;
  /** Messages this hour and over the last 24 hours (sent for accounts, received for mailboxes; null: not counted by the hour). */
  lastHour: number | null; lastDay: number | null;
  settingsHref: string;
  /** The mailer log filtered for this source, when there is one. */
  logHref: string | null;
  canTest: boolean;
}
export interface TestResult { ok: boolean; stage: string; message: string }
export interface StatusSource {
  kind: string;
  /** Plural path segment of its rows' actions: `accounts`, `mailboxes`, `imap-accounts`. */
  path: string;
  rows(now: number): Promise<SourceRow[]>;
  setEnabled(id: number, on: boolean): Promise<void>;
  /** "Send test" / "test connection" of the source's own service, when it has one. */
  test?(id: number): Promise<TestResult>;
}

/** Counts of many scopes for this hour and the last 24 hours. */
async function counts(stats: MailStatsRepo, scopes: string[], kind: string, now: number) {
  const hour = Math.floor(now / HOUR);
  const [h, d] = await Promise.all([stats.sums(scopes, hour), stats.sums(scopes, hour - 23)]);
  const pick = (rows: Array<{ scope: string; kind: string; n: number }>, scope: string) => rows.find((r) => r.scope === scope && r.kind === kind)?.n ?? 0;
  return (scope: string) => ({ lastHour: pick(h, scope), lastDay: pick(d, scope) });
}

export function accountSource(s: { accounts: AccountsService; stats: MailStatsRepo }): StatusSource {
  return {
    kind: 'account',
    path: 'accounts',
    async rows(now) {
      const all = await s.accounts.repo.all();
      const scopes = all.map((a) => `a:${a.id}`);
      const [count, health] = await Promise.all([counts(s.stats, scopes, 'out.sent', now), s.stats.health(scopes)]);
      return all.map((a) => {
        const state = sourceState({ enabled: a.active, pausedAt: a.paused_at, lastSuccessAt: a.last_success_at, lastErrorAt: a.last_error_at });
        return {
          kind: 'account', path: 'accounts', id: a.id, name: a.name, detail: a.kind === 'sandbox' ? 'sandbox' : `${a.host}:${a.port}`, enabled: a.active, state,
          pausedAt: a.paused_at, pausedReason: a.paused_reason, failingSince: failingSince(state, health.get(`a:${a.id}`), a.last_error_at),
          lastSuccessAt: a.last_success_at, lastError: a.last_error, lastErrorAt: a.last_error_at, ...count(`a:${a.id}`),
          settingsHref: `/admin/accounts/${a.id}`, logHref: `/admin/mailer-log?accountId=${a.id}`, canTest: true,
        };
      });
    },
    async setEnabled(id, on) { await s.accounts.update(id, { active: on }); },
    test: (id) => s.accounts.testConnection(id),
  };
}

export function mailboxSource(s: { domains: DomainsService; stats: MailStatsRepo }): StatusSource {
  return {
    kind: 'mailbox',
    path: 'mailboxes',
    async rows(now) {
      const all = [];
      for (let page = 1; ; page++) {
        const p = await s.domains.mailboxes.list({ page, perPage: 200, sort: 'address' });
        all.push(...p.items);
        if (page * p.perPage >= p.total || !p.items.length) break;
      }
      const scopes = all.map((m) => `m:${m.id}`);
      const [count, health] = await Promise.all([counts(s.stats, scopes, 'in.received', now), s.stats.health(scopes)]);
      return all.map((m) => ({
        kind: 'mailbox', path: 'mailboxes', id: m.id, name: m.address, detail: m.name, enabled: m.active, state: m.active ? 'ok' as const : 'disabled' as const,
        pausedAt: null, pausedReason: null, failingSince: null, lastSuccessAt: health.get(`m:${m.id}`)?.last_ok_at ?? null, lastError: null, lastErrorAt: null,
        ...count(`m:${m.id}`), settingsHref: `/admin/mailboxes/${m.id}`, logHref: null, canTest: false,
      }));
    },
    async setEnabled(id, on) { await s.domains.updateMailbox(id, { active: on }); },
  };
}

/** IMAP state → the page's state: connecting, syncing and idle are working; the errors and `stalled` fail. */
const IMAP_STATE: Record<string, SourceState> = { connecting: 'ok', syncing: 'ok', idle: 'ok', disabled: 'disabled', auth_error: 'failing', connect_error: 'failing', stalled: 'failing' };

/** IMAP accounts, one row each; its folders (state, fetched) in the detail. The toggle is the account's sync switch. */
export function imapSource(s: { imap: ImapService }): StatusSource {
  const admin = { role: 'admin' as const, userId: null };
  return {
    kind: 'imap',
    path: 'imap-accounts',
    async rows() {
      const byAccount = new Map<number, Awaited<ReturnType<ImapService['statusRows']>>>();
      for (const r of await s.imap.statusRows(admin)) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r]);
      return [...byAccount.values()].map((folders) => {
        const a = folders[0]!;
        const state = a.syncEnabled ? folders.map((f) => IMAP_STATE[f.state] ?? 'failing').find((x) => x !== 'ok') ?? 'ok' : 'disabled';
        const lastSync = Math.max(0, ...folders.map((f) => f.lastSyncAt ?? 0)) || null;
        const lastError = folders.find((f) => f.lastError)?.lastError ?? null;
        return {
          kind: 'imap', path: 'imap-accounts', id: a.accountId, name: a.accountName, detail: folders.map((f) => `${f.folder ?? '—'}: ${f.state}, ${f.fetched}`).join(' · '), enabled: a.syncEnabled, state,
          pausedAt: null, pausedReason: null, failingSince: null, lastSuccessAt: lastSync, lastError: state === 'failing' ? lastError : null, lastErrorAt: null,
          lastHour: null, lastDay: null, settingsHref: `/admin/imap-accounts/${a.accountId}`, logHref: `/admin/mailer-log?source=imap`, canTest: true,
        };
      });
    },
    async setEnabled(id, on) { await s.imap.setSync(id, on, admin); },
    async test(id) { const r = await s.imap.testConnection(id, admin); return { ok: r.ok, stage: r.stage, message: r.message }; },
  };
}
