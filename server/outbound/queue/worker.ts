/*
 * Delivery worker (worker role). For each account with due rows, one node at a time holds
 * the account lease, claims rows within the account's rate budget and sends them through a
 * pooled nodemailer transport. Results: 2xx sent; 4xx, timeouts and network errors
 * deferred with capped jittered backoff until maxAgeHours, then failed; 5xx failed with a
 * bounce event; an auth or TLS failure pauses the account and returns the rows without
 * spending an attempt; 421 / 4.7.x "too many" slows the account down.
 * Never twice: a row is marked sent by a statement fenced on its lease right after the
 * upstream accepted it; only a crash inside that window can send it again.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Services } from '../../services.js';
import { claim, complete, release, type QueueSpec } from '../../db/queue.js';
import { outboundQueueRepo } from '../../db/repos/outboundQueue.js';
import { bounceEventsRepo } from '../../db/repos/bounceEvents.js';
import type { AccountRow } from '../../db/repos/accounts.js';
import { nextDelayMs } from '../../lib/backoff.js';
import { classifyReply } from '../../bounces/classify.js';
import { createRenderer } from './render.js';
import type { AccountsService } from '../accounts/service.js';

export const OUTBOUND_QUEUE: QueueSpec = { table: 'outbound_queue', readyStates: ['queued', 'deferred'], claimedState: 'sending', returnState: 'queued' };
const SLOW_MS = 10 * 60_000;

type Row = { id: number; locked_by: string; message_id: number; recipient: string; attempts: number; first_attempt_at: number | null; account_id: number };
type Outcome = 'sent' | 'deferred' | 'failed' | 'paused' | 'suppressed';

export function createDeliveryWorker(s: Services, accounts: AccountsService) {
  const log = s.ctx.log.child({ mod: 'outbound' });
  const repo = outboundQueueRepo(s.ctx.db);
  const events = bounceEventsRepo(s.ctx.db);
  const renderer = createRenderer(s);
  const transports = new Map<number, { t: Transporter; stamp: number }>();
  const workerId = `${s.ctx.nodeId}/outbound`;
  const now = () => s.ctx.clock.now();

  function transportFor(a: AccountRow): Transporter {
    const cur = transports.get(a.id);
    if (cur && cur.stamp === a.updated_at) return cur.t;
    cur?.t.close();
    const pass = accounts.password(a);
    const t = nodemailer.createTransport({
      pool: true, maxConnections: a.max_connections, maxMessages: Infinity, host: a.host, port: a.port, secure: a.security === 'tls',
      requireTLS: a.security === 'starttls', ignoreTLS: a.security === 'none', auth: a.username ? { user: a.username, pass: pass ?? '' } : undefined,
      tls: { rejectUnauthorized: a.verify_cert }, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000,
    });
    transports.set(a.id, { t, stamp: a.updated_at });
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

  async function deliver(a: AccountRow, row: Row): Promise<Outcome> {
    const started = Date.now();
    const first = row.first_attempt_at ?? now();
    const record = (result: string, code: number | null, response: string | null) => repo.attempt({ queue_id: row.id, at: now(), result, code, response: response?.slice(0, 2000) ?? null, duration_ms: Date.now() - started });
    if ((await s.suppressions.blockedAmong([row.recipient])).size) {
      await complete(s.ctx.db, OUTBOUND_QUEUE, row.id, row.locked_by, { state: 'suppressed', suppressed_reason: 'blocked before sending' }, now());
      return 'suppressed';
    }
    const msg = await repo.message(row.message_id);
    const r = await renderer.render(row.message_id, row.id, Boolean(msg.bulk));
    await repo.setMessageId(row.id, r.messageId);
    const from = await renderer.envelopeFrom(row.id, msg.from_addr);
    try {
      let response: string;
      if (a.kind === 'sandbox') {
        await repo.sandbox({ queue_id: row.id, account_id: a.id, recipient: row.recipient, subject: r.subject, raw: Buffer.concat([Buffer.from(`Return-Path: <${from}>\r\n`), r.raw]), created_at: now() });
        response = '250 2.0.0 stored in the sandbox (not sent)';
      } else {
        const dkim = await s.dkim?.signerFor(r.fromDomain);
        const info = await transportFor(a).sendMail({ envelope: { from, to: [row.recipient] }, raw: r.raw, ...(dkim ? { dkim } : {}) });
        response = String(info.response ?? '250');
      }
      // Fenced on the lease: a row someone else re-claimed is not marked twice.
      await complete(s.ctx.db, OUTBOUND_QUEUE, row.id, row.locked_by, { state: 'sent', sent_at: now(), attempts: row.attempts + 1, first_attempt_at: first, upstream_response: response.slice(0, 1000), upstream_queue_id: /queued as ([^\s)]+)/i.exec(response)?.[1] ?? /\bid[= ]([A-Za-z0-9._-]+)/.exec(response)?.[1] ?? null, last_error: null }, now());
      await record('sent', Number(response.slice(0, 3)) || 250, response);
      const t = now();
      await accounts.repo.countSent(a.id, Math.floor(t / 3_600_000), Math.floor(t / 86_400_000));
      await repo.accountTouched(a.id, { last_success_at: t }, t);
      await s.suppressions.recordDelivered(row.recipient);
      log.info({ evt: 'send.sent', id: row.id, account: a.id }, 'sent');
      return 'sent';
    } catch (e) {
      const err = e as { code?: string; responseCode?: number; response?: string; message: string };
      const code = err.responseCode ?? null;
      const text = err.response ?? err.message;
      if (err.code === 'EAUTH' || code === 535 || code === 534 || code === 530 || err.code === 'ETLS' || /certificate|self[- ]signed|wrong version number/i.test(err.message)) {
        const reason = `${err.code === 'EAUTH' || (code && code >= 530) ? 'authentication failed' : 'TLS problem'}: ${text}`.slice(0, 1000);
        await accounts.pause(a.id, reason);
        await release(s.ctx.db, OUTBOUND_QUEUE, row.id, row.locked_by, { now: now() });
        await record('paused', code, text);
        log.warn({ evt: 'send.account_paused', account: a.id, reason }, 'account paused');
        return 'paused';
      }
      if (code && code >= 500) {
        await complete(s.ctx.db, OUTBOUND_QUEUE, row.id, row.locked_by, { state: 'failed', attempts: row.attempts + 1, first_attempt_at: first, upstream_response: text.slice(0, 1000), last_error: text.slice(0, 2000) }, now());
        await record('failed', code, text);
        const c = classifyReply({ code, text });
        const ev = await events.upsert({ queue_id: row.id, recipient: row.recipient, source: 'smtp', status: c.status, action: 'failed', class: c.class, reason: c.reason, side: c.side, reply_code: code, diagnostic: text.slice(0, 4000), inbound_id: null, account_id: a.id, at: now() });
        if (c.side === 'sender') await events.noteAccountRefusal(a.id, `${c.reason}: ${text}`, now());
        else await s.suppressions.recordBounce({ address: row.recipient, class: c.class, reason: c.reason, side: c.side, eventId: ev.id, queueId: row.id });
        log.info({ evt: 'send.failed', id: row.id, code }, 'refused by upstream');
        return 'failed';
      }
      const tooMany = code === 421 || (code !== null && code >= 400 && /4\.7\.\d+/.test(text) && /too many|rate|throttl|slow down/i.test(text));
      if (tooMany) await repo.accountTouched(a.id, { slow_until: now() + SLOW_MS, last_error: text.slice(0, 1000), last_error_at: now() }, now());
      else await repo.accountTouched(a.id, { last_error: text.slice(0, 1000), last_error_at: now() }, now());
      const attempts = row.attempts + 1;
      const expired = now() - first >= s.ctx.config.outbound.maxAgeHours * 3_600_000;
      const o = s.ctx.config.outbound;
      await complete(s.ctx.db, OUTBOUND_QUEUE, row.id, row.locked_by, {
        state: expired ? 'failed' : 'deferred', attempts, first_attempt_at: first, last_error: text.slice(0, 2000), upstream_response: text.slice(0, 1000),
        run_at: now() + nextDelayMs(attempts, { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs, jitter: 0.5 }),
      }, now());
      await record(expired ? 'failed' : 'deferred', code, text);
      log.info({ evt: expired ? 'send.expired' : 'send.deferred', id: row.id, code, err: err.code }, expired ? 'gave up' : 'deferred');
      return expired ? 'failed' : 'deferred';
    }
  }

  /** One pass over every account with due rows; returns how many rows it handled. */
  const nextPass = new Map<number, number>();
  async function runOnce(): Promise<number> {
    let handled = 0;
    for (const id of await repo.dueAccountIds(now())) {
      const a = await accounts.repo.get(id);
      if (!a || !a.active || a.paused_at) continue;
      // A per-second rate allows one budget per second.
      if (a.rate_per_second && Date.now() < (nextPass.get(id) ?? 0)) continue;
      if (a.rate_per_second) nextPass.set(id, Date.now() + 1000);
      if (!(await accounts.repo.lease(id, workerId, now() + s.ctx.config.worker.leaseMs, now()))) continue;
      const n = await budget(a);
      if (!n) continue;
      const rows = await claim<Row & { locked_by: string }>(s.ctx.db, OUTBOUND_QUEUE, { workerId, leaseMs: s.ctx.config.worker.leaseMs, limit: n, now: now(), filter: (q) => q.where('account_id', id) });
      // Rows of one account go out side by side over its connection pool.
      const width = Math.max(1, a.max_connections);
      for (let i = 0; i < rows.length; i += width) {
        const results = await Promise.all(rows.slice(i, i + width).map((r) => deliver(a, { ...r, id: Number(r.id), message_id: Number(r.message_id), attempts: Number(r.attempts), first_attempt_at: r.first_attempt_at === null ? null : Number(r.first_attempt_at), account_id: id })));
        handled += results.length;
        if (results.includes('paused')) {
          for (const r of rows.slice(i + width)) await release(s.ctx.db, OUTBOUND_QUEUE, Number(r.id), r.locked_by, { now: now() });
          break;
        }
      }
    }
    return handled;
  }

  return {
    runOnce,
    start() {
      let stopped = false;
      let current: Promise<unknown> = Promise.resolve();
      const loop = async () => {
        while (!stopped) {
          let n = 0;
          current = runOnce().then((x) => { n = x; }, (e) => log.error({ evt: 'send.error', err: e }, 'delivery pass failed'));
          await current;
          if (!n && !stopped) await new Promise((r) => setTimeout(r, s.ctx.config.worker.pollMs));
          else if (!stopped) await new Promise((r) => setImmediate(r));
        }
      };
      void loop();
      return {
        stop: async () => {
          stopped = true;
          await current;
          for (const a of await accounts.repo.all()) await accounts.repo.unlease(a.id, workerId);
          for (const { t } of transports.values()) t.close();
        },
      };
    },
  };
}
