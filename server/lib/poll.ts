/*
 * The loop every queue worker runs: one pass, then at once again while passes find a full
 * batch, otherwise wait `pollMs`. A failed pass is reported and the loop goes on; stop()
 * waits for the pass in flight. Timers only, no I/O of its own.
 */
export interface PollLoop { stop(): Promise<void> }

export function pollLoop(o: {
  /** One pass; returns how many items it handled. */
  pass(): Promise<number>;
  /** Whether a pass that handled `n` items means more is waiting (go again without waiting). */
  more(n: number): boolean;
  pollMs: () => number;
  onError(e: unknown): void;
}): PollLoop {
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const pause = (ms: number) => new Promise<void>((r) => { wake = r; timer = setTimeout(r, ms); });
  const loop = async () => {
    while (!stopped) {
      let n = 0;
      current = o.pass().then((x) => { n = x; }, o.onError);
      await current;
      if (stopped) break;
      // Even a busy loop yields to I/O between passes (SMTP sessions share this thread).
      if (o.more(n)) await new Promise((r) => setImmediate(r));
      else await pause(o.pollMs());
    }
  };
  void loop();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await current;
    },
  };
}
