/*
 * The sync supervisor of one node (worker role): every tick it takes the lease of each
 * syncable account no node holds (or whose lease expired), renews the leases it holds, runs
 * one session per held account, stops a session whose account was disabled, changed or whose
 * lease was lost, and restarts a stalled one. Stopping releases the leases for another node.
 */
import type { Ctx } from '../context.js';
import type { ImapAccountsRepo } from '../db/repos/imap/accounts.js';
import { accountSession, type AccountSession, type Running, type SessionDeps, type SyncOptions } from './session.js';

export function createSupervisor(ctx: Ctx, repo: ImapAccountsRepo, deps: Omit<SessionDeps, 'node' | 'opts' | 'log' | 'clock'>, opts: SyncOptions) {
  const log = ctx.log.child({ mod: 'imap' });
  const node = ctx.nodeId;
  // `until`: when this node's lease ends by its own clock (measured from before the acquire or
  // renew query); past it the node no longer counts the account as held, renewed or not, so a
  // late tick (a busy event loop) never has it believe it holds what another node took.
  const sessions = new Map<number, { s: AccountSession; version: number; until: number }>();
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> = Promise.resolve();
  let running = false;
  const now = () => ctx.clock.now();

  async function drop(id: number, release: boolean) {
    const h = sessions.get(id);
    if (!h) return;
    sessions.delete(id);
    await h.s.stop();
    if (release) await repo.release(id, node).catch(() => undefined);
  }

  async function tick() {
    const accounts = await repo.syncable();
    const want = new Map(accounts.map((a) => [a.id, a]));
    for (const [id, h] of [...sessions]) {
      const a = want.get(id);
      if (!a) { await drop(id, true); await repo.setIdleState(id, 'disabled'); continue; }
      if (a.updated_at !== h.version) { await drop(id, false); continue; } // settings changed: a new session below
      const t = now();
      if (t >= h.until) { log.warn({ evt: 'imap.lease_expired', account: id }, 'lease expired before it was renewed'); await drop(id, false); continue; }
      if (!(await repo.renew(id, node, t, opts.leaseMs))) { log.warn({ evt: 'imap.lease_lost', account: id }, 'lease lost'); await drop(id, false); continue; }
      h.until = t + opts.leaseMs;
      await h.s.checkStalled();
    }
    for (const a of accounts) {
      if (!running || sessions.has(a.id)) continue;
      const t = now();
      if (!(await repo.acquire(a.id, node, t, opts.leaseMs))) continue;
      const s = accountSession({ ...deps, node, opts, log: ctx.log, clock: ctx.clock }, a);
      sessions.set(a.id, { s, version: a.updated_at, until: t + opts.leaseMs });
      log.info({ evt: 'imap.lease_taken', account: a.id, node }, 'syncing account');
      s.start();
    }
  }
  const runTick = () => {
    ticking = ticking.then(() => (running ? tick() : undefined)).catch((e: unknown) => log.error({ evt: 'imap.tick_failed', err: e }, 'IMAP supervisor tick failed'));
    return ticking;
  };

  return {
    /** Account ids this node syncs now. */
    held: () => { const t = now(); return [...sessions].filter(([, h]) => h.until > t).map(([id]) => id); },
    session: (id: number) => sessions.get(id)?.s,
    /** Runs a tick now (an account was changed here: no need to wait for the next one). */
    poke: () => (running ? runTick() : Promise.resolve()),
    async start(): Promise<Running> {
      running = true;
      await runTick();
      const loop = () => { timer = setTimeout(() => { void runTick().then(() => { if (running) loop(); }); }, opts.tickMs); };
      loop();
      return { stop: () => this.stop() };
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await ticking;
      await Promise.all([...sessions.keys()].map((id) => drop(id, true)));
    },
    /** A crash as the tests make one: connections dropped mid-batch, leases kept until they expire. */
    async kill() {
      running = false;
      if (timer) clearTimeout(timer);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((h) => h.s.stop(true)));
    },
  };
}
export type Supervisor = ReturnType<typeof createSupervisor>;
