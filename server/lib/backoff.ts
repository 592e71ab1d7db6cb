/*
 * Retry timing for deferred deliveries. "Equal jitter": half the exponential delay fixed,
 * half random, so retries never bunch up (a thundering herd on one upstream) yet never
 * come back almost at once, as full jitter can.
 */
export interface BackoffOptions { baseMs: number; maxMs: number; jitter: number }
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 60_000, maxMs: 4 * 3_600_000, jitter: 0.5 };

/** Delay before attempt number `attempt + 1` (attempt counts from 1). */
export function nextDelayMs(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(n - 1, 30));
  const j = Math.min(1, Math.max(0, o.jitter));
  return Math.round(exp * (1 - j) + exp * j * random());
}

export const giveUpAt = (firstAttemptAt: number, maxAgeMs: number) => firstAttemptAt + maxAgeMs;
export const isExpired = (firstAttemptAt: number, maxAgeMs: number, now: number) => now >= giveUpAt(firstAttemptAt, maxAgeMs);
