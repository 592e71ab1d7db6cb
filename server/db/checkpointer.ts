/*
 * SQLite WAL checkpoints off the event loop: a worker thread with its own connection runs a
 * PASSIVE checkpoint when a writer asks (`soon()`, after its batch is durable). Left to the
 * writer's own autocheckpoint (every 1000 pages, inside COMMIT) the copy into the database
 * and its fsyncs ran on the event loop: bench/imap.ts (10,000 messages) spent 0.56 s of the
 * sync's 3.1 s sampled in BEGIN/COMMIT; 0.20 s of 3.2 s with this worker (0.17 s with no
 * checkpoint at all). A PASSIVE checkpoint takes no writer lock and waits for no one.
 * While requests come the writer's autocheckpoint is raised (WRITER_PAGES_RAISED, back to
 * SQLite's 1000 a second after the last request or when the worker fails), which bounds the
 * WAL if the worker falls behind; the WAL starts over when a write begins after everything was
 * copied, and past CAP_FRAMES the worker waits for the writer once to make sure it does.
 * Measured: the WAL at its largest 20–23 MB in bench/imap.ts (6 MB before).
 * Every SQLite transaction asks after its COMMIT (db/exec.ts `transact`); requests closer than
 * MIN_GAP_MS to the last checkpoint wait for the gap's end (one trailing request), and one that
 * comes during a checkpoint is dropped (the next COMMIT asks again).
 * Started on the first request; one checkpoint at a time.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS run by the worker (eval'd: no loader or build step involved).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// A checkpoint syncs the WAL before the copy and the database after it (NORMAL and FULL alike).
db.pragma('synchronous = NORMAL');
// Only the RESTART below waits for the writer, and not for long.
db.pragma('busy_timeout = 1000');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    let [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // The WAL starts over only when a write begins after everything was copied; a writer that
    // always began during a checkpoint would let it grow: past the cap, wait for the writer once.
    if (r.log > workerData.capFrames) [r] = db.pragma('wal_checkpoint(RESTART)');
    parentPort.postMessage({ ok: true, log: r.log, done: r.checkpointed });
  } catch (e) { parentPort.postMessage({ ok: false, error: String((e && e.message) || e) }); }
});
`;
/** WAL frames (pages) past which a checkpoint waits for the writer: 16 MiB of 4 KiB pages, 4× the autocheckpoint's 1000. */
const CAP_FRAMES = 4096;
/** SQLite's autocheckpoint (pages); while the worker is in use the writer's is raised to twice CAP_FRAMES, a bound it should not reach. */
export const WRITER_PAGES = 1000;
const WRITER_PAGES_RAISED = 2 * CAP_FRAMES;
/** No request for this long: the writer checkpoints by itself again (writes outside `transact` do not ask). */
const IDLE_MS = 1000;
/**
 * At most one checkpoint per this many ms. Asked after every group of tracking hits (35 events),
 * the worker checkpointed without pause (two fsyncs each time) and the CPU per hit rose ~10 µs
 * (40–44 against 30–35); one request per 500–2,000 events, every 15–60 ms at 30,000 hits a
 * second, cost nothing measurable (bench/tracking.sh). A routing drain left to the writer's own
 * autocheckpoint spent 1.80–1.90 ms of CPU a message, 1.46–1.54 asked after each group
 * (bench/routing-drain.sh, SQLite, 5,000 messages).
 */
const MIN_GAP_MS = 50;

export interface Checkpointer {
  /** Asks for a checkpoint; returns at once. */
  soon(): void;
  close(): Promise<void>;
  /** Checkpoints run and the last result (tests, benches). */
  stats(): { runs: number; failures: number; lastLog: number; lastDone: number };
}

/**
 * `writerPages`: sets the writing connection's wal_autocheckpoint. With a worker checkpointing
 * after every batch the writer's own checkpoint (1000 pages) still ran on the event loop
 * whenever the WAL had not started over in time (two 500-message IMAP batches are ~1,300
 * pages): raised while requests come, back to 1000 after IDLE_MS without one or a failure.
 */
export function walCheckpointer(file: string, onError: (message: string) => void = () => {}, writerPages: (pages: number) => void = () => {}): Checkpointer {
  let worker: Worker | null = null;
  let broken = false;
  let busy = false;
  let raised = false;
  let idle: NodeJS.Timeout | null = null;
  let trailing: NodeJS.Timeout | null = null;
  let lastRun = -Infinity;
  const lower = () => { if (idle) clearTimeout(idle); idle = null; if (raised) { raised = false; writerPages(WRITER_PAGES); } };
  const st = { runs: 0, failures: 0, lastLog: 0, lastDone: 0 };

  function start(): Worker {
    const w = new Worker(WORKER, { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, capFrames: CAP_FRAMES } });
    w.unref();
    w.on('message', (m: { ok: boolean; log?: number; done?: number; error?: string }) => {
      busy = false;
      st.runs++;
      if (m.ok) { st.lastLog = m.log ?? 0; st.lastDone = m.done ?? 0; } else { st.failures++; onError(m.error ?? 'checkpoint failed'); }
    });
    // The writer's own autocheckpoint carries on alone.
    w.on('error', (e) => { broken = true; busy = false; worker = null; lower(); onError(e.message); });
    return w;
  }
  function run() {
    if (broken) return;
    worker ??= start();
    busy = true;
    worker.postMessage('run');
  }
  const api: Checkpointer = {
    // Asked during a checkpoint: the next batch asks again. Back to back, the worker would be
    // checkpointing whenever a write began, and the WAL could not start over.
    soon() {
      if (broken || trailing) return;
      const wait = lastRun + MIN_GAP_MS - performance.now();
      if (wait > 0) { trailing = setTimeout(() => { trailing = null; api.soon(); }, wait).unref(); return; }
      if (!raised) { raised = true; writerPages(WRITER_PAGES_RAISED); }
      if (idle) clearTimeout(idle);
      idle = setTimeout(lower, IDLE_MS).unref();
      if (!busy) { lastRun = performance.now(); run(); }
    },
    async close() {
      const w = worker;
      worker = null;
      broken = true;
      if (trailing) clearTimeout(trailing);
      trailing = null;
      lower();
      if (!w) return;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.ref(); // kept unref'd while it runs (it never holds a process open); here the close is awaited
      w.postMessage('close');
      // A checkpoint in progress finishes first; the worker then closes its connection and ends.
      await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
      await w.terminate();
    },
    stats: () => ({ ...st }),
  };
  return api;
}
