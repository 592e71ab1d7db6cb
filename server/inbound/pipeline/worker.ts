/*
 * The inbound pipeline worker (worker role): claims received messages under a lease, runs
 * the named steps in order, recording each result, and resumes after a crash at the first
 * step without a result. Unparseable mail ends in state `failed` with its error, never lost.
 */
import type { Services } from '../../services.js';
import { claim, complete, type QueueSpec } from '../../db/queue.js';
import { inboundRepo } from '../../db/repos/inbound.js';
import { inboundStoreRepo } from '../../db/repos/inboundStore.js';
import { nextDelayMs } from '../../lib/backoff.js';
import { buildSteps, type PipelineHook, type StepContext } from './steps.js';
import { systemResolver, type DnsResolver } from './auth.js';

export const INBOUND_QUEUE: QueueSpec = { table: 'inbound_messages', readyStates: ['received'], claimedState: 'processing', returnState: 'received' };
const MAX_ATTEMPTS = 5;

export function createPipeline(s: Services) {
  const repo = inboundRepo(s.ctx.db);
  const store = inboundStoreRepo(s.ctx.db);
  const hooks: PipelineHook[] = [];
  const log = s.ctx.log.child({ mod: 'pipeline' });
  const now = () => s.ctx.clock.now();

  async function processOne(row: { id: number; locked_by: string; attempts: number }) {
    const msg = (await repo.get(row.id))!;
    const done = new Map((await repo.steps(row.id)).map((x) => [x.step, x]));
    const ctx: StepContext = { s, msg, raw: await store.readRaw(row.id), recipients: await store.recipients(row.id), kind: msg.kind ?? undefined };
    try {
      for (const step of buildSteps(hooks)) {
        if (done.get(step.name)?.status === 'ok' || done.get(step.name)?.status === 'skipped') continue;
        const r = await step.run(ctx);
        await repo.recordStep(row.id, step.name, r.status, r.result, now());
      }
      await complete(s.ctx.db, INBOUND_QUEUE, row.id, row.locked_by, { state: 'processed', processed_at: now() }, now());
      log.info({ evt: 'inbound.processed', id: row.id, kind: ctx.kind }, 'message processed');
    } catch (e) {
      const err = (e as Error).message ?? String(e);
      const unparseable = Boolean((e as { unparseable?: boolean }).unparseable);
      const attempts = row.attempts + 1;
      if (unparseable || attempts >= MAX_ATTEMPTS) {
        await repo.setFields(row.id, { parse_error: err.slice(0, 2000) }, now());
        await complete(s.ctx.db, INBOUND_QUEUE, row.id, row.locked_by, { state: 'failed', attempts, last_error: err.slice(0, 2000) }, now());
        log.warn({ evt: 'inbound.failed', id: row.id, err: err }, 'message kept as failed');
      } else {
        await complete(s.ctx.db, INBOUND_QUEUE, row.id, row.locked_by, { state: 'received', attempts, last_error: err.slice(0, 2000), run_at: now() + nextDelayMs(attempts, { baseMs: 5000, maxMs: 600_000, jitter: 0.5 }) }, now());
        log.warn({ evt: 'inbound.retry', id: row.id, err }, 'pipeline step failed; will retry');
      }
    }
  }

  return {
    repo,
    /** DNS for SPF/DKIM/DMARC; tests replace it with a local table. */
    resolver: systemResolver() as DnsResolver,
    addHook(h: PipelineHook) { hooks.push(h); },
    /** Claims and processes one batch; returns how many it took. */
    async runOnce(workerId: string): Promise<number> {
      const rows = await claim<{ id: number; locked_by: string; attempts: number }>(s.ctx.db, INBOUND_QUEUE, { workerId, leaseMs: s.ctx.config.worker.leaseMs, limit: s.ctx.config.worker.batchSize, now: now() });
      for (const r of rows) await processOne({ ...r, id: Number(r.id), attempts: Number(r.attempts) });
      return rows.length;
    },
    start() {
      let stopped = false;
      let current: Promise<unknown> = Promise.resolve();
      const workerId = `${s.ctx.nodeId}/inbound`;
      const loop = async () => {
        while (!stopped) {
          let n = 0;
          current = this.runOnce(workerId).then((x) => { n = x; }, (e) => log.error({ evt: 'pipeline.error', err: e }, 'pipeline batch failed'));
          await current;
          // A full batch means more is waiting: go again at once; otherwise poll.
          if (n < s.ctx.config.worker.batchSize && !stopped) await new Promise((r) => setTimeout(r, s.ctx.config.worker.pollMs));
        }
      };
      void loop();
      return { stop: async () => { stopped = true; await current; } };
    },
  };
}
export type InboundPipeline = ReturnType<typeof createPipeline>;
