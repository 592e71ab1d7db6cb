/*
 * Delivery worker (worker role). For each account with due rows, one node at a time holds
 * the account lease, claims rows within the account's rate budget and sends them through a
 * pooled nodemailer transport, several per connection in flight. Results (outcome.ts) are
 * written in groups by the result writer: one transaction for many rows instead of ~10
 * small commits per row (measured 208 msgs/s before, bench/outbound.sh).
 * Never twice: a row is marked sent, fenced on its lease, in the first group write after the
 * upstream accepted it; only a crash inside that window (a few ms) can send it again.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Ctx } from '../../context.js';
import type { SuppressionService } from '../../suppression/service.js';
import type { DkimService } from '../dkim/service.js';
import type { Directory } from '../../inbound/directory.js';
import { release } from '../../db/queue.js';
import { outboundQueueRepo, OUTBOUND_QUEUE } from '../../db/repos/outbound/queue.js';
import { deliveryResultsRepo, type RowResult } from '../../db/repos/outbound/results.js';
import { bounceEventsRepo } from '../../db/repos/bounceEvents.js';
import { classifyReply } from '../../bounces/classify.js';
import type { AccountRow, AccountTouch } from '../../db/repos/accounts.js';
import { nextDelayMs } from '../../lib/backoff.js';
import { createRenderer, type MessageParts, type MessageRow } from './render.js';
import { outcomeOf, upstreamQueueId, type Outcome, type SendError } from './outcome.js';
import { createResultWriter } from './results.js';
import { pollLoop } from '../../lib/poll.js';
import type { AccountsService } from '../accounts/service.js';
import type { MailerLogRecord } from '../../operations/types.js';
import type { WebhookEmitMany } from '../../webhooks/events.js';
import { deliveryReports, accountHealthEntry } from '../../operations/mailerLogDelivery.js';

export { OUTBOUND_QUEUE };
const SLOW_MS = 10 * 60_000;
/** Messages handed to the pool per connection at once (the shared anchor keeps 4 × connections). */
const IN_FLIGHT_PER_CONNECTION = 4;

type Row = {
  id: number; locked_by: string; message_id: number; recipient: string; attempts: number; first_attempt_at: number | null; account_id: number;
  record_type?: string | null; record_id?: number | string | null; mass_email_id?: number | string | null;
};

/** What a campaign renderer answers for one row: its signed copy (and return-path domain), or why it is skipped. */
export type CampaignRowRender = { composed: Awaited<ReturnType<ReturnType<typeof createRenderer>['render']>>; bounceDomain?: string } | { skip: string };
/**
 * Renders the rows of messages it owns (campaign mass email and its test sends: one copy per
 * recipient from their record), prepared once per claimed batch. Given by the campaigns feature.
 */
export interface CampaignRenderHook {
  owns(m: MessageRow): boolean;
  /** Rows the upstream accepted, once their result is written (the campaign log's `sent`). */
  sent(rows: Row[]): Promise<void>;
  batch(rows: Row[], messages: Map<number, MessageRow>): Promise<(row: Row, m: MessageRow) => Promise<CampaignRowRender>>;
}
type Bounced = { row: Row; c: ReturnType<typeof classifyReply>; eventId: number; text: string };

/** Connection settings only: health writes must not recycle the pool. */
const fingerprint = (a: AccountRow) => JSON.stringify([a.host, a.port, a.security, a.username, a.password_enc, a.verify_cert, a.max_connections]);

export interface DeliveryDeps {
  ctx: Ctx; accounts: AccountsService; suppressions: SuppressionService; dkim: DkimService; directory: Pick<Directory, 'bounceDomains'>;
  campaigns?: CampaignRenderHook;
  /** Deferred and failed rows, account health changes (never sent rows). */
  mailerLog?: MailerLogRecord;
  /** `delivery.*` webhook events, one call per event kind and group (cheap when nobody listens). */
  webhooks?: { emitMany: WebhookEmitMany };
}

export function createDeliveryWorker(s: DeliveryDeps) {
  const { accounts } = s;
  const log = s.ctx.log.child({ mod: 'outbound' });
  const queueRepo = outboundQueueRepo(s.ctx.db);
  const results = deliveryResultsRepo(s.ctx.db);
  const renderer = createRenderer(s);
  const events = bounceEventsRepo(s.ctx.db);
  const writer = createResultWriter(s.ctx.db, results, () => s.ctx.clock.now());
  const transports = new Map<number, { t: Transporter; stamp: string }>();
  const workerId = `${s.ctx.nodeId}/outbound`;
  const now = () => s.ctx.clock.now();

  function transportFor(a: AccountRow): Transporter {
    const stamp = fingerprint(a);
    const cur = transports.get(a.id);
    if (cur && cur.stamp === stamp) return cur.t;
    cur?.t.close();
    const pass = accounts.password(a);
    const t = nodemailer.createTransport({
      // A 421 before DATA on a reused connection is retried once by the pool on a fresh one
      // (upstreams that cap messages per connection answer exactly that); a 421 on a fresh
      // connection comes back to us as a 421 and defers the row and slows the account.
      pool: true, maxConnections: a.max_connections, maxMessages: Infinity, maxRequeues: 1, host: a.host, port: a.port, secure: a.security === 'tls',
      requireTLS: a.security === 'starttls', ignoreTLS: a.security === 'none', auth: a.username ? { user: a.username, pass: pass ?? '' } : undefined,
      tls: { rejectUnauthorized: a.verify_cert }, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000,
    });
    transports.set(a.id, { t, stamp });
    return t;
  }

  async function budget(a: AccountRow): Promise<number> {
    const t = now();
    let n = s.ctx.config.worker.batchSize;
    if (a.rate_per_second) n = Math.min(n, Math.max(1, a.slow_until && a.slow_until > t ? Math.floor(a.rate_per_second / 2) : a.rate_per_second));
    else if (a.slow_until && a.slow_until > t) n = Math.min(n, 5);
    if (a.rate_per_hour || a.rate_per_day) {
      const u = await accounts.repo.usage(a.id, Math.floor(t / 3_600_000), Math.floor(t / 86_400_000));
      if (a.rate_per_hour) n = Math.min(n, a.rate_per_hour - u.hour);
      if (a.rate_per_day) n = Math.min(n, a.rate_per_day - u.day);
    }
    return Math.max(0, n);
  }

  /** Sends one claimed row; returns its result for the writer and, when it was refused, the outcome. */
  async function deliver(
    a: AccountRow, row: Row, m: MessageRow, parts: MessageParts | undefined, bounceDomain: string | undefined,
    own?: Extract<CampaignRowRender, { composed: unknown }>,
  ): Promise<{ result: RowResult; outcome?: Outcome }> {
    const started = Date.now();
    const first = row.first_attempt_at ?? now();
    const base = { id: row.id, token: row.locked_by, accountId: a.id, recipient: row.recipient };
    const attempt = (result: string, code: number | null, response: string | null) => ({
      at: now(), result, code, response: response?.slice(0, 2000) ?? null, duration_ms: Date.now() - started,
    });
    const r = own ? own.composed : await renderer.render(m, row.id, row.recipient, parts);
    const from = renderer.envelopeFrom(row.id, own ? own.bounceDomain : bounceDomain, m.from_addr);
    try {
      let response: string;
      let sandbox: RowResult['sandbox'];
      if (a.kind === 'sandbox') {
        sandbox = { subject: r.subject, raw: Buffer.concat([Buffer.from(`Return-Path: <${from}>\r\n`), r.raw]) };
        response = '250 2.0.0 stored in the sandbox (not sent)';
      } else {
        const info = await transportFor(a).sendMail({ envelope: { from, to: [row.recipient] }, raw: r.raw });
        response = String(info.response ?? '250');
      }
      log.info({ evt: 'send.sent', id: row.id, account: a.id }, 'sent');
      return { result: {
        ...base, messageId: r.messageId, sent: true, sandbox, attempt: attempt('sent', Number(response.slice(0, 3)) || 250, response),
        patch: { state: 'sent', sent_at: now(), attempts: row.attempts + 1, first_attempt_at: first, upstream_response: response.slice(0, 1000), upstream_queue_id: upstreamQueueId(response), last_error: null },
      } };
    } catch (e) {
      const o = outcomeOf(e as SendError);
      if (o.kind === 'paused') {
        // Returned without spending an attempt: the account is at fault, not the message.
        return { outcome: o, result: { ...base, messageId: r.messageId, attempt: attempt('paused', o.code, o.text), patch: { state: OUTBOUND_QUEUE.returnState, run_at: now() } } };
      }
      if (o.kind === 'failed') {
        log.info({ evt: 'send.failed', id: row.id, code: o.code }, 'refused by upstream');
        return { outcome: o, result: { ...base, messageId: r.messageId, attempt: attempt('failed', o.code, o.text), patch: { state: 'failed', attempts: row.attempts + 1, first_attempt_at: first, upstream_response: o.text.slice(0, 1000), last_error: o.text.slice(0, 2000) } } };
      }
      const attempts = row.attempts + 1;
      const expired = now() - first >= s.ctx.config.outbound.maxAgeHours * 3_600_000;
      const cfg = s.ctx.config.outbound;
      log.info({ evt: expired ? 'send.expired' : 'send.deferred', id: row.id, code: o.code, err: (e as SendError).code }, expired ? 'gave up' : 'deferred');
      return { outcome: o, result: {
        ...base, messageId: r.messageId, attempt: attempt(expired ? 'failed' : 'deferred', o.code, o.text),
        patch: { state: expired ? 'failed' : 'deferred', attempts, first_attempt_at: first, last_error: o.text.slice(0, 2000), upstream_response: o.text.slice(0, 1000),
          run_at: now() + nextDelayMs(attempts, { baseMs: cfg.retryBaseMs, maxMs: cfg.retryMaxMs, jitter: 0.5 }) },
      } };
    }
  }

  /** Sends a claimed batch of one account; returns how many rows it handled. */
  /**
   * `claimedAt`: when the rows' lease began. No row starts once half the lease is gone: past
   * its end the sweeper hands the row to another worker, and a send that started late would
   * go out twice (seen with a 2 s lease on a busy machine: 85 of 1,000 rows).
   */
  async function sendBatch(a: AccountRow, rows: Row[], claimedAt = now()): Promise<number> {
    const startBy = claimedAt + s.ctx.config.worker.leaseMs / 2;
    const ids = rows.map((r) => r.message_id);
    const [blocked, messages, bounceDomains] = await Promise.all([
      s.suppressions.blockedAmong(rows.map((r) => r.recipient)), results.messages(ids), s.directory.bounceDomains(),
    ]);
    const parts = await results.parts(ids, new Set([...messages.values()].filter((m) => Boolean(Number(m.bulk))).map((m) => Number(m.id))));
    const campaign = s.campaigns && [...messages.values()].some((m) => s.campaigns!.owns(m)) ? await s.campaigns.batch(rows, messages) : null;
    const written: Array<Promise<{ result: RowResult; applied: boolean }>> = [];
    const bounced: Bounced[] = [];
    const touch: AccountTouch = { id: a.id };
    let paused = false;
    let broken: unknown = null;
    let next = 0;
    // Marked handled at once, so a failed write (the database gone) stops this pass instead of
    // surfacing as an unhandled rejection; all are awaited together after the lanes.
    const record = (r: RowResult) => {
      const p = writer.add(r);
      p.catch((e) => { broken ??= e; });
      written.push(p);
      return p;
    };
    const suppress = (row: Row, why: string) => record({ id: row.id, token: row.locked_by, accountId: a.id, recipient: row.recipient,
      patch: { state: 'suppressed', suppressed_reason: why }, attempt: { at: now(), result: 'suppressed', code: null, response: why, duration_ms: 0 } });
    const lane = async () => {
      while (next < rows.length && !paused && !broken && now() < startBy) {
        const row = rows[next++]!;
        if (blocked.has(row.recipient.toLowerCase())) { void suppress(row, 'blocked before sending'); continue; }
        const m = messages.get(row.message_id);
        // Its message was deleted meanwhile: the row is gone with it (ON DELETE CASCADE).
        if (!m) continue;
        const own = campaign && s.campaigns!.owns(m) ? await campaign(row, m) : undefined;
        if (own && 'skip' in own) { void suppress(row, own.skip); continue; }
        const { result, outcome } = await deliver(a, row, m, parts.get(row.message_id), bounceDomains[0], own);
        // The bounce event is on record before the row shows `failed` (a retry after a crash
        // merges into the same event); the policy that counts it runs after the write.
        if (outcome?.kind === 'failed') bounced.push(await bounceEvent(a, row, outcome));
        // A lane sends its next row only once this one's result is written (in a group with
        // the other lanes'): an upstream acceptance that is not on record is at most one per
        // lane, and a database that stops answering stops the sending (measured: a cut
        // database let 100 of 300 rows go out twice when lanes ran ahead of the writer).
        await record(result).catch(() => {});
        if (result.sent) touch.lastSuccessAt = now();
        if (outcome?.kind === 'paused' && !paused) {
          paused = true;
          await accounts.pause(a.id, outcome.reason);
          log.warn({ evt: 'send.account_paused', account: a.id, reason: outcome.reason }, 'account paused');
        } else if (outcome?.kind === 'deferred') {
          touch.lastError = { text: outcome.text, at: now() };
          if (outcome.tooMany) touch.slowUntil = now() + SLOW_MS;
        }
      }
    };
    const width = a.kind === 'sandbox' ? 1 : Math.max(1, a.max_connections) * IN_FLIGHT_PER_CONNECTION;
    await Promise.all(Array.from({ length: Math.min(width, rows.length) }, lane));
    if (broken) throw broken; // leases expire and the sweeper returns the unfinished rows
    // Rows not started (the account was paused, or the lease is half gone) go back without an attempt.
    for (const r of rows.slice(next)) await release(s.ctx.db, OUTBOUND_QUEUE, r.id, r.locked_by, { now: now() });
    const done = await Promise.all(written);
    await accounts.repo.touchHealth(touch);
    await afterWrite(a, bounced, done, rows);
    await report(a, touch, done, rows);
    return done.length;
  }

  /** A 5xx refusal, classified and merged into the row's SMTP bounce event. */
  async function bounceEvent(a: AccountRow, row: Row, o: Extract<Outcome, { kind: 'failed' }>): Promise<Bounced> {
    const c = classifyReply({ code: o.code, text: o.text });
    const ev = await events.upsert({ queue_id: row.id, recipient: row.recipient, source: 'smtp', status: c.status, action: 'failed', class: c.class, reason: c.reason, side: c.side,
      reply_code: o.code, diagnostic: o.text.slice(0, 4000), inbound_id: null, account_id: a.id, at: now() });
    return { row, c, eventId: ev.id, text: o.text };
  }

  /** The bounce policy for refusals, account health for sender-side ones, and bounce-count decay for clean deliveries. */
  async function afterWrite(a: AccountRow, bounced: Bounced[], done: Array<{ result: RowResult; applied: boolean }>, batchRows: Row[]) {
    for (const { row, c, eventId, text } of bounced) {
      if (c.side === 'sender') await accounts.repo.noteRefusal(a.id, `${c.reason}: ${text}`, now());
      else await s.suppressions.recordBounce({ address: row.recipient, class: c.class, reason: c.reason, side: c.side, eventId, queueId: row.id });
    }
    const delivered = done.filter((d) => d.result.sent).map((d) => d.result.recipient);
    if (delivered.length) await s.suppressions.recordDelivered(delivered);
    if (s.campaigns) {
      const sentIds = new Set(done.filter((d) => d.result.sent && d.applied).map((d) => d.result.id));
      const rows = batchRows.filter((r) => sentIds.has(r.id) && r.mass_email_id);
      if (rows.length) await s.campaigns.sent(rows).catch((e: unknown) => log.error({ evt: 'send.log_failed', err: e }, 'campaign log write failed'));
    }
  }

  /** After the group is written: the mailer log (buffered there, not awaited) and the webhook events, a few statements per group. */
  async function report(a: AccountRow, touch: AccountTouch, done: Array<{ result: RowResult; applied: boolean }>, batchRows: Row[]) {
    const r = deliveryReports(done, batchRows, a.name);
    const health = accountHealthEntry(a, touch);
    if (s.mailerLog) for (const e of health ? [...r.entries, health] : r.entries) void s.mailerLog(e);
    for (const [event, items] of r.events) {
      await s.webhooks?.emitMany(event, items).catch((e: unknown) => log.error({ evt: 'send.webhook_failed', err: e, event }, 'delivery webhook events not queued'));
    }
  }

  /** One pass over every account with due rows; returns how many rows it handled. */
  const nextPass = new Map<number, number>();
  async function runOnce(): Promise<number> {
    let handled = 0;
    for (const id of await queueRepo.dueAccountIds(now())) {
      const a = await accounts.repo.get(id);
      if (!a || !a.active || a.paused_at) continue;
      // A per-second rate allows one budget per second.
      if (a.rate_per_second && Date.now() < (nextPass.get(id) ?? 0)) continue;
      if (a.rate_per_second) nextPass.set(id, Date.now() + 1000);
      if (!(await accounts.repo.lease(id, workerId, now() + s.ctx.config.worker.leaseMs, now()))) continue;
      const n = await budget(a);
      if (!n) continue;
      const claimedAt = now();
      const rows = await queueRepo.claimForAccount<Row>(id, { workerId, leaseMs: s.ctx.config.worker.leaseMs, limit: n, now: claimedAt });
      const typed = rows.map((r) => ({
        ...r, id: Number(r.id), message_id: Number(r.message_id), attempts: Number(r.attempts),
        first_attempt_at: r.first_attempt_at === null ? null : Number(r.first_attempt_at), account_id: id,
      }));
      handled += await sendBatch(a, typed, claimedAt);
    }
    return handled;
  }

  /** Writes what is pending and closes the pooled upstream connections (after the last pass). */
  async function close() {
    await writer.flush();
    for (const { t } of transports.values()) t.close();
    transports.clear();
  }

  return {
    runOnce,
    close,
    start() {
      // Any pass that sent something goes again at once: budgets and leases decide the pace.
      const loop = pollLoop({
        pass: runOnce, more: (n) => n > 0, pollMs: () => s.ctx.config.worker.pollMs,
        onError: (e) => log.error({ evt: 'send.error', err: e }, 'delivery pass failed'),
      });
      return {
        stop: async () => {
          await loop.stop();
          await writer.flush();
          for (const a of await accounts.repo.all()) await accounts.repo.unlease(a.id, workerId);
          await close();
        },
      };
    },
  };
}
