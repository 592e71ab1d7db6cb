/*
 * Group commit for campaign log events: a tracking hit waits until its event is committed
 * (log.ts record says how durable), but many hits share one transaction. A batch goes when
 * the previous one has committed: hits that arrive meanwhile form the next, bigger batch.
 */
import type { LogEvent } from '../db/repos/tracking/log.js';

const MAX_BATCH = 500;

export function createLogWriter(write: (events: LogEvent[]) => Promise<unknown>) {
  let pending: Array<{ e: LogEvent; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running: Promise<void> | null = null;
  let timer: NodeJS.Immediate | null = null;

  async function drain() {
    while (pending.length) {
      const batch = pending.slice(0, MAX_BATCH);
      pending = pending.slice(batch.length);
      try { await write(batch.map((b) => b.e)); for (const b of batch) b.resolve(); } catch (err) { for (const b of batch) b.reject(err); }
    }
    running = null;
  }
  const kick = () => {
    timer = null;
    if (!running) running = drain();
  };

  return {
    add(e: LogEvent): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ e, resolve, reject });
        if (pending.length >= MAX_BATCH) kick();
        // The hits that arrived in this turn of the event loop go together; no timer (a 4 ms wait
        // held 50 connections at ~3,100 req/s with the CPU 19 % idle, bench/tracking.sh).
        else if (!timer && !running) timer = setImmediate(kick);
      });
    },
    async flush() {
      if (timer) { clearImmediate(timer); kick(); }
      while (running) await running;
    },
  };
}
