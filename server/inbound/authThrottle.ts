/*
 * The throttle for SMTP AUTH on the submission port: a delay that doubles with each recent
 * failure (of this connection or of its address) before the next attempt is answered, and
 * after `maxFailures` on one connection the listener says 421 and hangs up. Failures per
 * address are counted in this process, not in the database: a flood of wrong secrets must
 * not become a flood of writes to the shared store (the secrets are 192 random bits, so the
 * point is cost and noise, not guessing odds). A right secret clears its address.
 */
import { delayAfter } from '../auth/throttle.js';

export interface AuthThrottlePolicy { baseDelayMs: number; maxFailures: number }

/** An address's failures are forgotten this long after its last one. */
export const FORGET_MS = 15 * 60_000;
/** The delay stops doubling here: 16 × the base (8 s with the default 500 ms). */
const MAX_DOUBLINGS = 4;
const MAX_ADDRESSES = 100_000;

/** Delay before answering an attempt that follows `failures` recent failures (the login throttle's doubling rule). */
export function authDelayMs(failures: number, p: AuthThrottlePolicy): number {
  return delayAfter(failures, { free: 1, baseMs: p.baseDelayMs, capMs: p.baseDelayMs * 2 ** MAX_DOUBLINGS });
}

export function createAuthThrottle(p: AuthThrottlePolicy, now: () => number = Date.now) {
  const byAddress = new Map<string, { count: number; last: number }>();
  const recent = (ip: string) => {
    const e = byAddress.get(ip);
    if (e && now() - e.last > FORGET_MS) { byAddress.delete(ip); return 0; }
    return e?.count ?? 0;
  };
  return {
    policy: p,
    /** How long to wait before checking this attempt. */
    delayFor(ip: string, connectionFailures: number): number { return authDelayMs(Math.max(connectionFailures, recent(ip)), p); },
    /** Counts a failure; true when the connection has used up its attempts (answer 421 and close). */
    failed(ip: string, connectionFailures: number): boolean {
      const count = recent(ip) + 1;
      byAddress.delete(ip);
      byAddress.set(ip, { count, last: now() });
      // Oldest first in a Map: drop the stalest when an attack spreads over many addresses.
      if (byAddress.size > MAX_ADDRESSES) byAddress.delete(byAddress.keys().next().value!);
      return connectionFailures >= p.maxFailures;
    },
    succeeded(ip: string): void { byAddress.delete(ip); },
  };
}
export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
