/*
 * Writes: jobs. Reads: jobs.
 * Scheduled jobs table: definitions an admin can edit (cron, active) and the per-tick lease
 * that lets exactly one node run each tick: a conditional UPDATE that only one node wins.
 */
import type { Db } from '../connect.js';
import { columns, type DbRow } from '../row.js';

export interface JobRow {
  name: string; description: string; cron: string; active: boolean; last_tick: number | null;
  running_by: string | null; running_until: number | null; last_started_at: number | null; last_finished_at: number | null;
  last_status: string | null; last_error: string | null; last_error_at: number | null; next_run_at: number | null;
  run_count: number; updated_at: number;
}
const toRow = (r: DbRow): JobRow => ({ ...columns<JobRow>(r), active: Boolean(r.active), run_count: Number(r.run_count) });

export function jobsRepo(db: Db) {
  const k = db.knex;
  return {
    /** Inserts missing jobs with their default schedule; never overwrites an admin's edit. */
    async ensure(defs: Array<{ name: string; description: string; cron: string }>, now: number) {
      for (const d of defs) {
        await k('jobs').insert({ name: d.name, description: d.description, cron: d.cron, active: true, updated_at: now }).onConflict('name').ignore();
        await k('jobs').where({ name: d.name }).whereNot({ description: d.description }).update({ description: d.description });
      }
    },
    async list(): Promise<JobRow[]> { return (await k('jobs').orderBy('name')).map(toRow); },
    async get(name: string): Promise<JobRow | undefined> { const r = await k('jobs').where({ name }).first(); return r && toRow(r); },
    async update(name: string, patch: { cron?: string; active?: boolean }, now: number): Promise<boolean> {
      return (await k('jobs').where({ name }).update({ ...patch, updated_at: now })) === 1;
    },
    /**
     * Claims one scheduled tick: succeeds for exactly one node per (job, tick), and never
     * while a previous run still holds the running lease (no overlap).
     */
    async claimTick(name: string, tick: number, node: string, leaseMs: number, now: number): Promise<boolean> {
      const n = await k('jobs').where({ name, active: true })
        .where((q) => q.whereNull('last_tick').orWhere('last_tick', '<', tick))
        .where((q) => q.whereNull('running_until').orWhere('running_until', '<', now))
        .update({ last_tick: tick, running_by: node, running_until: now + leaseMs, last_started_at: now, last_status: 'running' });
      return n === 1;
    },
    /** "Run now": the same running lease, without the tick condition. */
    async claimManual(name: string, node: string, leaseMs: number, now: number): Promise<boolean> {
      const n = await k('jobs').where({ name })
        .where((q) => q.whereNull('running_until').orWhere('running_until', '<', now))
        .update({ running_by: node, running_until: now + leaseMs, last_started_at: now, last_status: 'running' });
      return n === 1;
    },
    /** Keeps a running job's lease while its node is alive (a dead node's lease then runs out within one lease). */
    async extend(name: string, node: string, until: number): Promise<void> {
      await k('jobs').where({ name, running_by: node }).whereNotNull('running_until').update({ running_until: until });
    },
    async finish(name: string, node: string, r: { ok: boolean; error?: string }, now: number): Promise<void> {
      await k('jobs').where({ name, running_by: node }).update({
        running_by: null, running_until: null, last_finished_at: now, last_status: r.ok ? 'ok' : 'failed',
        run_count: k.raw('run_count + 1'), ...(r.ok ? {} : { last_error: (r.error ?? 'failed').slice(0, 2000), last_error_at: now }),
      });
    },
    async setNextRun(name: string, at: number | null) { await k('jobs').where({ name }).update({ next_run_at: at }); },
  };
}
