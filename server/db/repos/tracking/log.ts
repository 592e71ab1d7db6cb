/*
 * Writes: campaign_log, campaign_log_once, campaign_stats. Reads: campaign_log, campaign_stats, outbound_queue, mass_emails.
 * The campaign log: events written in groups (one transaction for many), each row's first event
 * per action, link and humanity marked `first` and counted in the counters of its mass email
 * and campaign in the same transaction, so stats are reads of a few counter rows.
 */
import type { Db } from '../../connect.js';
import { inList, readExec, transact, valuesList, type Exec } from '../../exec.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import type { Knex } from 'knex';

/** The log's lists count up to this many rows (the counters hold the real totals). */
export const LOG_COUNT_CAP = 10_000;
export const LOG_ACTIONS = ['sent', 'opened', 'clicked', 'opted_out', 'bounced', 'complained'] as const;
export type LogAction = (typeof LOG_ACTIONS)[number];

export interface LogEvent {
  campaignId: number; massEmailId: number; queueId: number; action: LogAction; address: string;
  recordType: string | null; recordId: number | null;
  /** 'u<id>' a tracking URL, 'a<index>' a tracked link, '' otherwise. */
  link?: string; trackingUrlId?: number | null;
  class?: string | null; rule?: string | null; human?: boolean; ip?: string | null; userAgent?: string | null;
  bounceClass?: string | null; reason?: string | null; at: number;
}

/** The hour an event falls in (epoch hours): the charts' buckets, kept as counters too. */
export const hourOf = (at: number) => Math.floor(at / 3_600_000);

/** The counters one first event adds to (per mass email and per campaign); `h:<action>:<hour>` feed the charts. */
export function metricsOf(e: LogEvent): string[] {
  const human = e.human !== false;
  switch (e.action) {
    case 'opened': return human ? ['opened', `h:opened:${hourOf(e.at)}`] : ['opened_machine', `h:opened_machine:${hourOf(e.at)}`];
    case 'clicked': return human ? ['clicked', `click:${e.link ?? ''}`, `h:clicked:${hourOf(e.at)}`] : ['clicked_machine', `click_machine:${e.link ?? ''}`, `h:clicked_machine:${hourOf(e.at)}`];
    case 'bounced': return [e.bounceClass === 'hard' ? 'bounced_hard' : 'bounced_soft'];
    default: return [e.action];
  }
}
/** Events of one row that count once: bounces once per class, the rest once per action, link and humanity. */
const onceKey = (e: LogEvent) => (e.action === 'bounced' ? `bounced:${e.bounceClass ?? ''}` : `${e.action}:${e.link ?? ''}:${e.human === false ? 'm' : 'h'}`);

const COLS = 'campaign_id, mass_email_id, queue_id, action, address, record_type, record_id, link, tracking_url_id, class, rule, human, ip, user_agent, bounce_class, reason, first, at';
const COL_COUNT = COLS.split(',').length;

/** An event's `address` when the writer is to take the recipient (address, record) from its queue row. */
export const FROM_ROW = '';

/**
 * Splits n rows into chunks of powers of two (50 = 32 + 16 + 2): a multi-row statement per chunk,
 * and at most 9 distinct statement texts per kind, so the prepared-statement caches keep them.
 */
function chunks(n: number): number[] {
  const out: number[] = [];
  for (let size = 256; n > 0; size >>= 1) while (n >= size) { out.push(size); n -= size; }
  return out;
}
/** Statement texts by (kind, rows): built once. */
const sqlCache = new Map<string, string>();
const sqlOf = (kind: string, rows: number, build: (rows: number) => string) => {
  const key = `${kind}:${rows}`;
  let sql = sqlCache.get(key);
  if (!sql) { sql = build(rows); sqlCache.set(key, sql); }
  return sql;
};

/** Fills in the recipients of FROM_ROW events with one read for the group; drops those whose row is gone. */
async function withRecipients(x: Exec, events: LogEvent[]): Promise<LogEvent[]> {
  const ids = [...new Set(events.filter((e) => e.address === FROM_ROW).map((e) => e.queueId))];
  if (!ids.length) return events;
  const rows = new Map<number, DbRow>();
  let i = 0;
  for (const n of chunks(ids.length)) {
    const part = ids.slice(i, i += n);
    const sql = sqlOf('rcpt', n, (k) => `SELECT id, recipient, record_type, record_id FROM outbound_queue WHERE id IN (${inList(k)})`);
    for (const r of await x.all<DbRow>(sql, part)) rows.set(Number(r.id), r);
  }
  const out: LogEvent[] = [];
  for (const e of events) {
    if (e.address !== FROM_ROW) { out.push(e); continue; }
    const r = rows.get(e.queueId);
    if (!r) continue;
    e.address = String(r.recipient); e.recordType = strOrNull(r.record_type); e.recordId = numOrNull(r.record_id);
    out.push(e);
  }
  return out;
}

/**
 * One transaction for a group: the once-keys in multi-row INSERT … IGNORE … RETURNING (the rows
 * returned are the keys this group saw first; SQLite ≥ 3.35 and MariaDB ≥ 10.5 return only rows
 * inserted), then the log rows in multi-row INSERTs, then the counters. With two statements per
 * event (once key, log row), statement runs were ~8 % of a hit's CPU (--cpu-prof of
 * bench/tracking.sh, 5.2 % `run` + 2.4 % `all`); per chunk of rows they cost one each.
 */
async function write(x: Exec, group: LogEvent[]): Promise<LogEvent[]> {
  const events = await withRecipients(x, group);
  if (!events.length) return [];
  const ins = x.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  // Each (row, key) once per group: repeats of a hit (a pixel reloaded, the single-token bench)
  // probed the primary key once per event.
  const ids = events.map((e) => `${e.queueId}\t${onceKey(e)}`);
  const distinct = new Map<string, LogEvent>();
  for (let j = 0; j < events.length; j++) if (!distinct.has(ids[j]!)) distinct.set(ids[j]!, events[j]!);
  const once = [...distinct.values()];
  const fresh = new Set<string>();
  let i = 0;
  for (const n of chunks(once.length)) {
    const params: unknown[] = [];
    for (let j = i; j < i + n; j++) params.push(once[j]!.queueId, onceKey(once[j]!));
    i += n;
    const sql = sqlOf(`once-${x.dialect}`, n, (k) => `${ins} INTO campaign_log_once (queue_id, k) VALUES ${valuesList(k, 2)} RETURNING queue_id, k`);
    for (const r of await x.all<DbRow>(sql, params)) fresh.add(`${Number(r.queue_id)}\t${String(r.k)}`);
  }
  // A key inserted by this group is first for the group's earliest event with it.
  const firstOnes: LogEvent[] = [];
  const first = events.map((e, j) => {
    if (!fresh.delete(ids[j]!)) return false;
    firstOnes.push(e);
    return true;
  });
  i = 0;
  for (const n of chunks(events.length)) {
    const params: unknown[] = [];
    for (let j = i; j < i + n; j++) {
      const e = events[j]!;
      params.push(e.campaignId, e.massEmailId, e.queueId, e.action, e.address.slice(0, 320), e.recordType, e.recordId, e.link ?? '', e.trackingUrlId ?? null,
        e.class ?? null, e.rule ?? null, e.human !== false, e.ip?.slice(0, 45) ?? null, e.userAgent?.slice(0, 300) ?? null, e.bounceClass ?? null, e.reason?.slice(0, 32) ?? null,
        first[j], e.at);
    }
    i += n;
    await x.run(sqlOf('log', n, (k) => `INSERT INTO campaign_log (${COLS}) VALUES ${valuesList(k, COL_COUNT)}`), params);
  }
  const counts = new Map<string, number>();
  for (const e of firstOnes) {
    for (const m of metricsOf(e)) {
      for (const key of [`m\t${e.massEmailId}\t${m}`, `c\t${e.campaignId}\t${m}`]) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const upsert = x.dialect === 'sqlite'
    ? 'INSERT INTO campaign_stats (scope, scope_id, metric, value) VALUES (?, ?, ?, ?) ON CONFLICT (scope, scope_id, metric) DO UPDATE SET value = value + excluded.value'
    : 'INSERT INTO campaign_stats (scope, scope_id, metric, value) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE value = value + VALUES(value)';
  // Sorted: two nodes adding to the same counters lock them in one order (no deadlock).
  for (const key of [...counts.keys()].sort()) {
    const [scope, id, metric] = key.split('\t');
    await x.run(upsert, [scope, Number(id), metric!.slice(0, 40), counts.get(key)]);
  }
  return firstOnes;
}

/** A queue row as tracking and opt-out see it. */
export interface TrackedRow {
  id: number; messageId: number; massEmailId: number | null; recipient: string; recordType: string | null; recordId: number | null;
  state: string; sentAt: number | null; source: string;
}
/** Which log events a list, an export or a bulk action takes. `human` false: machine events too. */
/** `returned`: bounced or complained; `not_opened`: sent rows no person opened. */
export type LogView = LogAction | 'returned' | 'not_opened';
export interface LogFilter { campaignId?: number; massEmailId?: number; action?: LogView; link?: string; human?: boolean; firstOnly?: boolean }
export interface LogItem {
  id: number; action: string; address: string; record_type: string | null; record_id: number | null; at: number; class: string | null; rule: string | null;
  link: string; tracking_url_id: number | null; human: boolean; bounce_class: string | null; reason: string | null; mass_email_id: number; campaign_id: number;
}
const toItem = (r: DbRow): LogItem => ({
  id: Number(r.id), action: String(r.action), address: String(r.address), record_type: strOrNull(r.record_type), record_id: numOrNull(r.record_id), at: Number(r.at),
  class: strOrNull(r.class), rule: strOrNull(r.rule), link: String(r.link ?? ''), tracking_url_id: numOrNull(r.tracking_url_id), human: Boolean(Number(r.human)),
  bounce_class: strOrNull(r.bounce_class), reason: strOrNull(r.reason), mass_email_id: Number(r.mass_email_id), campaign_id: Number(r.campaign_id),
});

export function logWhere(q: Knex.QueryBuilder, f: LogFilter): Knex.QueryBuilder {
  if (f.massEmailId) q.where('l.mass_email_id', f.massEmailId);
  if (f.campaignId) q.where('l.campaign_id', f.campaignId);
  if (f.action === 'returned') q.whereIn('l.action', ['bounced', 'complained']);
  else if (f.action === 'not_opened') {
    // The row's first human open leaves its key in campaign_log_once (one indexed probe per sent row).
    q.where('l.action', 'sent').whereNotExists((x) => x.select(x.client.raw('1')).from('campaign_log_once as o').whereRaw('o.queue_id = l.queue_id').where('o.k', 'opened::h'));
  } else if (f.action) q.where('l.action', f.action);
  if (f.link) q.where('l.link', f.link);
  if (f.human !== false) q.where('l.human', true);
  if (f.firstOnly) q.where('l.first', true);
  return q;
}

export function campaignLogRepo(db: Db) {
  const k = db.knex;
  return {
    async list(f: LogFilter, q: ListQuery): Promise<Page<LogItem>> {
      return listPage(logWhere(k('campaign_log as l').select('l.*'), f), { sortable: ['l.id', 'l.at', 'l.address', 'l.action'], defaultSort: 'l.id', defaultDir: 'desc', searchable: ['l.address'], countCap: LOG_COUNT_CAP }, q, toItem);
    },
    /** The distinct records of a filtered selection, as (member_type, member_id) for a target list. */
    recordsOf(f: LogFilter): Knex.QueryBuilder {
      return logWhere(k('campaign_log as l').distinct('l.record_type as member_type', 'l.record_id as member_id').whereNotNull('l.record_id'), f);
    },
    /**
     * Sent rows of a mass email that no person opened and that did not bounce, complain or opt
     * out: the audience of "resend to non-openers", as (member_type, member_id).
     */
    nonOpeners(massEmailId: number): Knex.QueryBuilder {
      return logWhere(k('campaign_log as l').distinct('l.record_type as member_type', 'l.record_id as member_id').whereNotNull('l.record_id'), { massEmailId, action: 'not_opened' })
        .whereNotExists((x) => x.select(x.client.raw('1')).from('campaign_log_once as o2').whereRaw('o2.queue_id = l.queue_id')
          .whereIn('o2.k', ['bounced:hard', 'bounced:soft', 'bounced:', 'complained::h', 'opted_out::h']));
    },
    /** Contact ids of a filtered selection, in id order after `afterId` (marking former employees in pages). */
    async contactIds(f: LogFilter, afterId: number, limit: number): Promise<number[]> {
      const rows = await logWhere(k('campaign_log as l').distinct('l.record_id').where('l.record_type', 'contact').where('l.record_id', '>', afterId), f)
        .orderBy('l.record_id').limit(limit) as DbRow[];
      return rows.map((r) => Number(r.record_id));
    },
    /** One page of a filtered selection in id order after `afterId` (for exports that never hold the whole log). */
    async page(f: LogFilter, afterId: number, limit: number): Promise<LogItem[]> {
      return (await logWhere(k('campaign_log as l').select('l.*'), f).where('l.id', '>', afterId).orderBy('l.id').limit(limit)).map(toItem);
    },
    /**
     * Writes a group of events in one transaction; returns those that were the first of their kind.
     * Committed, not fsynced: a hit is answered once its event survives a crash of the process
     * (SQLite WAL, synchronous=NORMAL; MariaDB syncs each commit itself). Waiting for the fsync
     * too held 50 connections at 2,900 req/s, fsync-bound (bench/tracking.sh); a power loss may
     * drop the last moments of opens and clicks, never mail, whose commits are fsynced.
     */
    async record(events: LogEvent[]): Promise<LogEvent[]> {
      if (!events.length) return [];
      return transact(db, (x) => write(x, events));
    },
    async stats(scope: 'm' | 'c', id: number): Promise<Record<string, number>> {
      const rows = await k('campaign_stats').where({ scope, scope_id: id }).select('metric', 'value') as DbRow[];
      return Object.fromEntries(rows.map((r) => [String(r.metric), Number(r.value)]));
    },
    /** The row a tracking token names, with what the log needs to know about it. */
    async row(queueId: number): Promise<TrackedRow | undefined> {
      const [r] = await readExec(db, (x) => x.all<DbRow>(
        'SELECT id, message_id, mass_email_id, recipient, record_type, record_id, state, sent_at, source FROM outbound_queue WHERE id = ?', [queueId]));
      return r && {
        id: Number(r.id), messageId: Number(r.message_id), massEmailId: r.mass_email_id === null ? null : Number(r.mass_email_id), recipient: String(r.recipient),
        recordType: r.record_type === null ? null : String(r.record_type), recordId: r.record_id === null ? null : Number(r.record_id), state: String(r.state),
        sentAt: r.sent_at === null ? null : Number(r.sent_at), source: String(r.source),
      };
    },
  };
}
