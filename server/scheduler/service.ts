/*
 * The scheduler: node-cron tasks for the jobs in the `jobs` table, re-read every
 * scheduler.syncMs so an edit made on any node reaches every node. Every node fires every
 * tick; the DB tick lease (jobsRepo.claimTick) lets exactly one of them run it.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Ctx } from '../context.js';
import { jobsRepo, type JobRow } from '../db/repos/jobs.js';
import { sweep, type QueueSpec } from '../db/queue.js';
import { AppError, invalid, notFound } from '../errors.js';
import type { MailerLogRecord } from '../operations/types.js';

/** A job as the scheduler runs it: its services are already bound by the composition root. */
export interface SchedulerJob { name: string; description: string; cron: string; run(): Promise<unknown> }
/**
 * A running job holds its lease this long and renews it every RENEW_MS while it runs, so a job
 * of any length keeps it, and a node killed mid-run frees the job within a minute (it was a fixed
 * 10 minutes: a kill during "send-mass-emails" or the lease sweeper stopped them that long).
 */
const RUN_LEASE_MS = 60_000;
const RENEW_MS = 20_000;

export function cronProblem(expr: string): string | null {
  if (typeof expr !== 'string' || !expr.trim() || expr.length > 100) return 'is required';
  const fields = expr.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) return 'needs 5 fields (minute hour day month weekday) or 6 (with seconds first)';
  return cron.validate(expr.trim()) ? null : 'is not a valid cron expression';
}

/** `mailerLog`: a failed run is recorded there (source job) with its error. */
export function createScheduler(s: { ctx: Ctx; jobs: () => SchedulerJob[]; queues: () => Array<{ name: string; spec: QueueSpec }>; mailerLog?: MailerLogRecord }) {
  const defs = s.jobs;
  const repo = jobsRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'scheduler' });
  const node = s.ctx.nodeId;
  const tasks = new Map<string, { task: ScheduledTask; cron: string }>();
  const inflight = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const now = () => s.ctx.clock.now();
  const defOf = (name: string) => defs().find((d) => d.name === name);

  async function execute(def: SchedulerJob): Promise<{ ok: boolean; error?: string }> {
    const started = Date.now();
    const renew = setInterval(() => {
      repo.extend(def.name, node, now() + RUN_LEASE_MS).catch((e) => log.error({ evt: 'job.renew_failed', job: def.name, err: e }, 'could not renew the job lease'));
    }, RENEW_MS);
    log.info({ evt: 'job.started', job: def.name }, `job ${def.name} started`);
    let result: { ok: boolean; error?: string };
    try {
      await def.run();
      result = { ok: true };
      log.info({ evt: 'job.finished', job: def.name, ms: Date.now() - started }, `job ${def.name} finished`);
    } catch (e) {
      result = { ok: false, error: (e as Error)?.message ?? String(e) };
      log.error({ evt: 'job.failed', job: def.name, err: e }, `job ${def.name} failed`);
      await s.mailerLog?.({ level: 'error', source: 'job', event: 'job.failed', message: `Job ${def.name} failed: ${result.error}` });
    }
    clearInterval(renew);
    await repo.finish(def.name, node, result, now()).catch((e) => log.error({ evt: 'job.finish_failed', job: def.name, err: e }, 'could not record job result'));
    return result;
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => {});
    return p;
  }

  async function onTick(name: string, scheduled: Date) {
    const def = defOf(name);
    if (!def || !running) return;
    const tick = Math.floor(scheduled.getTime() / 1000) * 1000;
    if (!(await repo.claimTick(name, tick, node, RUN_LEASE_MS, now()))) {
      log.debug({ evt: 'job.skipped', job: name, tick }, 'tick taken by another node or still running');
      return;
    }
    await execute(def);
    const t = tasks.get(name)?.task.getNextRun();
    await repo.setNextRun(name, t ? t.getTime() : null);
  }

  async function sync() {
    const rows = await repo.list();
    for (const row of rows) {
      const cur = tasks.get(row.name);
      const want = row.active && defOf(row.name) && !cronProblem(row.cron);
      if (cur && (!want || cur.cron !== row.cron)) { await cur.task.destroy(); tasks.delete(row.name); }
      if (want && !tasks.has(row.name)) {
        const task = cron.createTask(row.cron, (ctx) => track(onTick(row.name, ctx.date)), { name: row.name });
        await task.start();
        tasks.set(row.name, { task, cron: row.cron });
        const next = task.getNextRun();
        if (next && next.getTime() !== row.next_run_at) await repo.setNextRun(row.name, next.getTime());
      }
      if (!want && row.next_run_at !== null) await repo.setNextRun(row.name, null);
    }
  }

  return {
    async ensureJobs() { await repo.ensure(defs(), now()); },
    async start() {
      running = true;
      await sync();
      const loop = () => { timer = setTimeout(() => { sync().catch((e) => log.error({ evt: 'scheduler.sync_failed', err: e }, 'sync failed')).finally(() => { if (running) loop(); }); }, s.ctx.config.scheduler.syncMs); };
      loop();
      log.info({ evt: 'scheduler.started', jobs: [...tasks.keys()] }, 'scheduler started');
    },
    /** Stops firing, then waits for running jobs (the caller bounds the wait). */
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      for (const { task } of tasks.values()) await task.destroy();
      tasks.clear();
      await Promise.allSettled([...inflight]);
    },
    list: () => repo.list(),
    async get(name: string): Promise<JobRow> { const r = await repo.get(name); if (!r) throw notFound('Job'); return r; },
    async update(name: string, patch: { cron?: string; active?: boolean }): Promise<JobRow> {
      await this.get(name);
      const p: { cron?: string; active?: boolean } = {};
      if (patch.cron !== undefined) {
        const problem = cronProblem(patch.cron);
        if (problem) throw invalid([{ field: 'cron', message: problem }]);
        p.cron = patch.cron.trim().replace(/\s+/g, ' ');
      }
      if (patch.active !== undefined) p.active = patch.active;
      await repo.update(name, p, now());
      if (running) await sync();
      log.info({ evt: 'job.updated', job: name, ...p }, `job ${name} updated`);
      return this.get(name);
    },
    /** Runs a job on this node now, unless a run of it holds the lease anywhere. */
    async runNow(name: string): Promise<{ ok: boolean; error?: string }> {
      const def = defOf(name);
      if (!def) throw notFound('Job');
      if (!(await repo.claimManual(name, node, RUN_LEASE_MS, now()))) throw new AppError('conflict', `Job ${name} is running already`);
      return track(execute(def));
    },
    /** Returns the expired leases of every queue the features declare (the lease-sweeper job). */
    async sweepAll(): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const q of s.queues()) out[q.name] = await sweep(s.ctx.db, q.spec, now());
      const total = Object.values(out).reduce((a, b) => a + b, 0);
      if (total) log.info({ evt: 'lease.swept', ...out }, `returned ${total} expired leases`);
      return out;
    },
  };
}
export type SchedulerService = ReturnType<typeof createScheduler>;
