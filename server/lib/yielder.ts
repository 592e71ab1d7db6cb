/*
 * Cooperative yielding for CPU-heavy loops that share the event loop with SMTP sessions:
 * `await y()` returns at once until `budgetMs` of work has passed since the loop last got
 * a turn, then waits one event-loop iteration (setImmediate), so waiting sessions get
 * their replies. The pipeline runs 64 messages side by side in microtasks, and without
 * this one group held the loop for ~15 ms (p99 time-to-250 rose to 50 ms, bench/inbound.sh).
 */
export type Yielder = () => Promise<void> | undefined;

export function yielder(budgetMs: number, now: () => number = () => performance.now()): Yielder {
  let since = now();
  let pending: Promise<void> | null = null;
  return () => {
    if (pending) return pending;
    if (now() - since < budgetMs) return undefined;
    // Everyone who asks while the turn is pending waits for the same one.
    pending = new Promise<void>((resolve) => setImmediate(() => { pending = null; since = now(); resolve(); }));
    return pending;
  };
}
