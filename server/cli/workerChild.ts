/*
 * `postern serve` with a listener role (smtp, http) and the worker role runs the background roles
 * (worker, and the scheduler when configured) in a child process at a lower CPU priority
 * (worker.process = separate, worker.nice): a burst of mail is accepted at the door's full pace
 * while routing drains behind it. This module decides the split (pure `workerSplit`) and keeps
 * the child running: restarted with backoff if it dies, stopped with the parent, and it stops by
 * itself when the parent is gone (it is re-parented).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import type { Role } from '../config.js';
import type { Log } from '../log.js';

/** Set in the child's environment to the parent's pid: it runs the background roles, prints no banner, watches the parent. */
export const WORKER_CHILD_ENV = 'POSTERN_WORKER_CHILD';

export interface WorkerSplit { parentRoles: Role[]; childRoles: Role[] }

/** The roles that go to the child: the listeners' work is answering; these only drain and tick. */
const BACKGROUND: readonly Role[] = ['worker', 'scheduler'];

/**
 * Whether to run the background roles in a child process (childRoles empty: no), and the roles
 * left to the parent. Only when this node runs the worker and also listens (a back node has no
 * door to protect) and the database is one both processes can open (an in-memory SQLite database
 * exists only in its own process). The scheduler goes along: its jobs (roll-ups, purges, campaign
 * starts) are background work too, and should not take the door's CPU at its priority.
 */
export function workerSplit(roles: Role[], mode: 'separate' | 'inline', databaseUrl: string): WorkerSplit {
  const listens = roles.includes('smtp') || roles.includes('http');
  const shared = !/^(:memory:|sqlite::memory:|file::memory:)/.test(databaseUrl) && !/mode=memory/.test(databaseUrl);
  if (mode !== 'separate' || !roles.includes('worker') || !listens || !shared) return { parentRoles: roles, childRoles: [] };
  return { parentRoles: roles.filter((r) => !BACKGROUND.includes(r)), childRoles: roles.filter((r) => BACKGROUND.includes(r)) };
}

/** Restart delay after the child died: 1 s, doubling to 30 s; back to 1 s once it ran a minute. */
export function restartDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
}

export interface WorkerChildOptions {
  log: Log;
  roles: Role[];
  /** Added to this process's niceness for the child (at most 19). */
  nice: number;
  nodeId: string;
  /** How long the child may take to stop (its own shutdown timeout plus a margin) before SIGKILL. */
  stopTimeoutMs: number;
}

export interface WorkerChild { pid(): number | undefined; stop(): Promise<void> }

/** Starts `postern serve --roles <roles>` as this process ran itself (same loader flags), as node `<nodeId>-worker`. */
export function startWorkerChild(o: WorkerChildOptions): WorkerChild {
  const log = o.log.child({ part: 'worker-child' });
  let child: ChildProcess | null = null;
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = () => {
    const startedAt = Date.now();
    const p = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'serve', '--roles', o.roles.join(',')], {
      env: { ...process.env, [WORKER_CHILD_ENV]: String(process.pid), POSTERN_NODE_ID: `${o.nodeId}-worker` },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child = p;
    // Relative, like `nice -n 10`: a parent that already runs niced keeps its worker below it.
    try { if (p.pid !== undefined && o.nice) setPriority(p.pid, Math.min(19, getPriority() + o.nice)); }
    catch (e) { log.warn({ evt: 'worker.nice_failed', err: (e as Error).message }, 'could not lower the worker process priority'); }
    log.info({ evt: 'worker.started', pid: p.pid, nice: o.nice }, 'worker process started');
    exited = new Promise<void>((resolve) => {
      p.once('exit', (code, signal) => {
        child = null;
        resolve();
        if (stopping) return;
        failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
        const delay = restartDelayMs(failures);
        log.error({ evt: 'worker.exited', code, signal, restartInMs: delay }, 'worker process exited; restarting it');
        restartTimer = setTimeout(launch, delay);
      });
    });
  };
  launch();

  return {
    pid: () => child?.pid,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const p = child;
      if (!p) return;
      p.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), o.stopTimeoutMs); });
      if (await Promise.race([exited.then(() => 'ok' as const), late]) === 'late') {
        log.warn({ evt: 'worker.stop_timeout', pid: p.pid }, 'worker process did not stop in time; killing it');
        p.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    },
  };
}

/**
 * In the child: stop like on SIGTERM once the parent is gone (killed with SIGKILL, it could not stop
 * us). Watched by the parent pid rather than an IPC channel: a TypeScript loader (tsx) takes the
 * channel over, and a 1 s check costs nothing.
 */
export function stopWhenParentGone(stop: (why: string) => void): void {
  const parent = Number(process.env[WORKER_CHILD_ENV]);
  if (!parent) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop('parent gone');
  }, 1000);
  timer.unref();
}
