/*
 * The mailer log service: `record(entry)` for every service that reports (given to them as a
 * plain MailerLogRecord), buffered and written many rows per INSERT so a deferral storm is a
 * few statements, not one transaction per row; the filtered list, the streamed CSV and NDJSON
 * exports (id-ordered pages, never the whole log in memory), the retention setting and purge.
 */
import { Readable } from 'node:stream';
import type { Ctx } from '../context.js';
import { invalid } from '../errors.js';
import { mailerLogRepo } from '../db/repos/operations/mailerLog.js';
import { settingsRepo } from '../db/repos/settings.js';
import { retentionSetting } from './retention.js';
import type { ListQuery } from '../db/list.js';
import { csvStream } from '../lib/csv.js';
import { byIdPages } from '../lib/pages.js';
import { CSV_HEADER, csvRecord, filterFrom, massStateEntry, ndjsonLine, refusalEntry, toRow, type MailerLogFilter, type NewMailerLogRow } from './mailerLogEntry.js';
import type { MailerLogEntry, MassEmailStateChange, SmtpRefusal } from './types.js';

export interface MailerLogSettings { retentionDays: number }
const DEFAULT_SETTINGS: MailerLogSettings = { retentionDays: 30 };
const SETTINGS_KEY = 'mailerLog';
/** Entries waiting while the database does not answer: past this, new ones are dropped (and counted) rather than filling memory. */
const MAX_BUFFER = 20_000;
const EXPORT_PAGE = 1000;

export function mailerLogService(s: { ctx: Ctx }) {
  const repo = mailerLogRepo(s.ctx.db);
  const settings = settingsRepo(s.ctx.db);
  const retention = retentionSetting({ settings, name: SETTINGS_KEY, field: 'retentionDays', defaults: DEFAULT_SETTINGS, errKey: 'mailerLog.err.retentionDays', now: () => s.ctx.clock.now() });
  const log = s.ctx.log.child({ mod: 'mailer-log' });
  const now = () => s.ctx.clock.now();
  let buffer: Array<{ row: NewMailerLogRow; done(): void }> = [];
  let draining: Promise<void> | null = null;
  let dropped = 0;

  // Group commit without a timer: the first entry is written at once, whatever arrives while
  // that INSERT runs goes in the next one (as the delivery results writer does).
  function kick() {
    draining ??= drain().finally(() => { draining = null; if (buffer.length) kick(); });
  }
  async function drain() {
    while (buffer.length) {
      const group = buffer;
      buffer = [];
      try {
        await repo.insertMany(group.map((g) => g.row));
      } catch (e) {
        log.error({ evt: 'mailer_log.write_failed', err: e, entries: group.length }, 'mailer log entries not written');
      }
      for (const g of group) g.done();
    }
    if (dropped) { log.warn({ evt: 'mailer_log.dropped', entries: dropped }, 'mailer log entries dropped while the database was slow'); dropped = 0; }
  }

  /** Records an entry; resolves once it is written (or known lost). Never rejects. */
  function record(e: MailerLogEntry): Promise<void> {
    let row: NewMailerLogRow;
    try { row = toRow(e, now()); } catch (err) { log.error({ evt: 'mailer_log.bad_entry', err }, 'mailer log entry refused'); return Promise.resolve(); }
    if (buffer.length >= MAX_BUFFER) { dropped++; return Promise.resolve(); }
    return new Promise<void>((done) => { buffer.push({ row, done }); kick(); });
  }

  const pages = (f: MailerLogFilter) => byIdPages((after, limit) => repo.after(f, after, limit), EXPORT_PAGE);

  return {
    repo,
    record,
    /** The SMTP listeners' seam: what they refused, as an entry (the level and wording are decided here, not in the adapter). */
    refused(r: SmtpRefusal): void { void record(refusalEntry(r)); },
    /** The campaigns' seam: a mass email changed state. */
    massState: (c: MassEmailStateChange) => record(massStateEntry(c)),
    /** Resolves when every entry recorded so far is written. */
    async flush(): Promise<void> { while (draining) await draining; },
    /** The filter of a query (API or page); a bad value is a 400 naming its field. */
    filter(q: Record<string, unknown>): MailerLogFilter {
      const { filter, errors } = filterFrom(q);
      if (errors.length) throw invalid(errors);
      return filter;
    },
    list: (f: MailerLogFilter, q: ListQuery) => repo.list(f, q),
    /** The filtered log as CSV with a header row, streamed in id order. */
    exportCsv(f: MailerLogFilter): Readable {
      return csvStream((async function* () { yield [...CSV_HEADER]; for await (const r of pages(f)) yield csvRecord(r); })());
    },
    /** The filtered log as NDJSON (one JSON object a line), streamed in id order. */
    exportNdjson(f: MailerLogFilter): Readable {
      return Readable.from((async function* () { for await (const r of pages(f)) yield ndjsonLine(r); })());
    },
    settings: (): Promise<MailerLogSettings> => retention.get(),
    setSettings: (v: Partial<MailerLogSettings>): Promise<MailerLogSettings> => retention.set(v),
    /** The purge job: forgets entries older than the retention setting. */
    async purge(): Promise<{ deleted: number; retentionDays: number }> {
      const { retentionDays } = await this.settings();
      const deleted = await repo.purge(now() - retentionDays * 86_400_000);
      if (deleted) log.info({ evt: 'mailer_log.purged', deleted, retentionDays }, 'mailer log purged');
      return { deleted, retentionDays };
    },
  };
}
export type MailerLogService = ReturnType<typeof mailerLogService>;
