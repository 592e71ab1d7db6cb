/*
 * The inbound pipeline worker (worker role): claims received messages under a lease, runs
 * the named steps in order, recording each result, and resumes after a crash at the first
 * step without a result. Unparseable mail ends in state `failed` with its error, never lost.
 * Poison isolation: each step (and each route hook) runs under `pipeline.stepBudgetMs`; one
 * that outlives it is abandoned and its message ends `failed` (unprocessable) at once, so the
 * rest of its group commits on time. An ordinary error retries with backoff, `failed` after 5.
 */
import type { Ctx } from '../../context.js';
import type { SuppressionService } from '../../suppression/service.js';
import type { Log } from '../../log.js';
import type { Directory } from '../directory.js';
import { claim, type QueueSpec } from '../../db/queue.js';
import { inboundRepo, toInboundRow } from '../../db/repos/inbound/views.js';
import { inboundBatchRepo, stepsOf, type BatchResult, type StepRecord } from '../../db/repos/inbound/pipeline.js';
import { nextDelayMs } from '../../lib/backoff.js';
import { buildSteps, withinBudget, BudgetExceeded, DEFAULT_STEP_BUDGET_MS, type PipelineHook, type StepContext } from './steps.js';
import { systemResolver, type DnsResolver } from './auth.js';
import { yielder } from '../../lib/yielder.js';
import { pollLoop, type PollLoop } from '../../lib/poll.js';
import type { WebhookEmit } from '../../webhooks/events.js';
import type { MailerLogRecord } from '../../operations/types.js';

export const INBOUND_QUEUE: QueueSpec = { table: 'inbound_messages', readyStates: ['received'], claimedState: 'processing', returnState: 'received' };
const MAX_ATTEMPTS = 5;
/** Messages of a group run side by side (their DNS waits overlap) and commit together. */
const GROUP = 64;
/** …and a group holds at most this many raw bytes in memory. */
const GROUP_BYTES = 16 * 1024 * 1024;

type Claimed = Record<string, unknown> & { id: number; locked_by: string; attempts: number; size: number };

/** Consecutive rows, at most GROUP of them and GROUP_BYTES of mail (one row always fits). */
export function groupsOf<T extends { size: number }>(rows: T[], max = GROUP, maxBytes = GROUP_BYTES): T[][] {
  const out: T[][] = [];
  let cur: T[] = [], bytes = 0;
  for (const r of rows) {
    if (cur.length && (cur.length >= max || bytes + r.size > maxBytes)) { out.push(cur); cur = []; bytes = 0; }
    cur.push(r); bytes += r.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * A log line for after the group's commit. Built outside processOne on purpose: a closure
 * made there would keep the message's whole step context (parse tree, raw bytes) alive
 * until the group is written, and all of it would be promoted to the old generation.
 */
function later(log: Log, level: 'info' | 'warn', fields: Record<string, unknown>, msg: string): () => void {
  return () => log[level](fields, msg);
}

/**
 * `hooks` is read at each message, so the composition root can fill it once every service
 * the hooks call exists (a hook may need a service built after the pipeline).
 */
export function createPipeline(s: {
  ctx: Ctx; suppressions: SuppressionService; directory: Pick<Directory, 'bounceDomains'>; hooks: readonly PipelineHook[];
  /** A message that failed for good: the `message.failed` webhook and the mailer log, after its group is written. */
  emit?: WebhookEmit; mailerLog?: MailerLogRecord;
}) {
  const repo = inboundRepo(s.ctx.db);
  const batch = inboundBatchRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'pipeline' });
  const now = () => s.ctx.clock.now();
  // Between steps the pipeline lets SMTP sessions run at least every 2 ms.
  const turn = yielder(2);
  const budgetMs = s.ctx.config.pipeline?.stepBudgetMs ?? DEFAULT_STEP_BUDGET_MS;

  /** Runs a message's remaining steps in memory; the group's results are written together. */
  async function processOne(row: Claimed, loaded: { raw: Buffer; recipients: StepContext['recipients'] }): Promise<BatchResult & { log(): void }> {
    const msg = toInboundRow(row);
    const ctx: StepContext = {
      s: { ctx: s.ctx, suppressions: s.suppressions, directory: s.directory, resolver: api.resolver },
      msg, raw: loaded.raw, recipients: loaded.recipients, kind: msg.kind ?? undefined, fields: {},
    };
    // Results of an earlier run (before a crash or a retry) stay, and their steps are not run again.
    const records: StepRecord[] = stepsOf(row.steps);
    const done = new Map(records.map((r) => [r.step, r.status]));
    const base = { id: row.id, token: row.locked_by, records, fields: ctx.fields };
    try {
      for (const step of buildSteps(s.hooks, budgetMs)) {
        const status = done.get(step.name);
        if (status === 'ok' || status === 'skipped') continue;
        await turn();
        const r = step.partsBudgeted ? await step.run(ctx) : await withinBudget(ctx, { step: step.name }, budgetMs, () => step.run(ctx));
        records.push({ step: step.name, status: r.status, result: r.result === undefined ? null : r.result, at: now() });
      }
      return { ...base, final: { state: 'processed', processed_at: now() }, log: later(log, 'info', { evt: 'inbound.processed', id: row.id, kind: ctx.kind }, 'message processed') };
    } catch (e) {
      const err = ((e as Error).message ?? String(e)).slice(0, 2000);
      const unparseable = Boolean((e as { unparseable?: boolean }).unparseable);
      const attempts = row.attempts + 1;
      // Something that hangs would hang again: no retries of a timeout, only an explicit Retry.
      const timedOut = e instanceof BudgetExceeded;
      // Results of the steps that did finish are kept, so the retry resumes after them.
      if (unparseable || timedOut || attempts >= MAX_ATTEMPTS) {
        // An abandoned step still holds ctx and may set fields before the group is written: a
        // timed-out message writes its fields as they were when the budget ran out.
        const fields = { ...(timedOut ? e.fields : ctx.fields), parse_error: err };
        const why = { evt: 'inbound.poison', id: row.id, reason: timedOut ? 'timeout' : unparseable ? 'unparseable' : 'error', attempts,
          ...(timedOut ? { step: e.step, hook: e.hook, budgetMs } : {}), err };
        return { ...base, records: [...records], fields, final: { state: 'failed', attempts, last_error: err }, log: later(log, 'warn', why, 'message kept raw as unprocessable') };
      }
      return { ...base, final: { state: 'received', attempts, last_error: err, run_at: now() + nextDelayMs(attempts, { baseMs: 5000, maxMs: 600_000, jitter: 0.5 }) },
        log: later(log, 'warn', { evt: 'inbound.retry', id: row.id, err }, 'pipeline step failed; will retry') };
    }
  }

  async function runGroup(rows: Claimed[]) {
    const loaded = await batch.load(rows.map((r) => r.id));
    const results = await Promise.all(rows.map((r, i) => processOne(r, loaded[i]!)));
    await batch.finish(results, now());
    for (const r of results) r.log();
    for (const [i, r] of results.entries()) if (r.final.state === 'failed') await failedForGood(toInboundRow(rows[i]!), String(r.final.last_error ?? ''), Number(r.final.attempts));
  }

  /** Reports a message the pipeline gave up on (rare: one event each, idempotent by its id). */
  async function failedForGood(m: ReturnType<typeof toInboundRow>, error: string, attempts: number) {
    await s.mailerLog?.({ level: 'error', source: 'inbound', event: 'inbound.failed', inboundId: m.id, address: m.mail_from || null, message: `Inbound message #${m.id} is unprocessable after ${attempts} attempt${attempts === 1 ? '' : 's'} (kept raw; Retry on its page): ${error}` });
    await s.emit?.('message.failed', { inboundId: m.id, listener: m.listener, mailFrom: m.mail_from, rcptTo: m.rcpt_to, messageId: m.message_id, subject: m.subject, receivedAt: m.received_at, attempts, error }, `failed:${m.id}`)
      .catch((e: unknown) => log.error({ evt: 'pipeline.webhook_failed', id: m.id, err: e }, 'message.failed not queued'));
  }

  const api = {
    repo,
    /** DNS for SPF/DKIM/DMARC; tests replace it with a local table. */
    resolver: systemResolver() as DnsResolver,
    /** Claims and processes one batch; returns how many it took. */
    async runOnce(workerId: string): Promise<number> {
      const rows = await claim<Claimed>(s.ctx.db, INBOUND_QUEUE, { workerId, leaseMs: s.ctx.config.worker.leaseMs, limit: s.ctx.config.worker.batchSize, now: now() });
      const typed = rows.map((r) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts), size: Number(r.size) }));
      for (const g of groupsOf(typed)) await runGroup(g);
      return rows.length;
    },
    start(): PollLoop {
      const workerId = `${s.ctx.nodeId}/inbound`;
      // A full batch means more is waiting: go again at once; otherwise poll.
      return pollLoop({
        pass: () => api.runOnce(workerId), more: (n) => n >= s.ctx.config.worker.batchSize, pollMs: () => s.ctx.config.worker.pollMs,
        onError: (e) => log.error({ evt: 'pipeline.error', err: e }, 'pipeline batch failed'),
      });
    },
  };
  return api;
}
export type InboundPipeline = ReturnType<typeof createPipeline>;
