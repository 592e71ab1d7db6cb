/*
 * Login throttling policy (pure): failed logins slow an attacker down with a growing delay
 * per (username, address) and per address, instead of locking the real user out. A delay
 * runs from the last failure; only while it runs are attempts refused (429 + Retry-After).
 */
import { AppError } from '../errors.js';

export interface DelayPolicy {
  /** failures answered without any delay */
  free: number;
  /** the first delay; each later failure doubles it */
  baseMs: number;
  /** no delay is longer than this */
  capMs: number;
}

export interface FailureCounter { count: number; lastFailureAt: number }

/** A counter with no failure for this long starts over (housekeeping purges it as well). */
export const FORGET_MS = 24 * 3_600_000;
const BASE_MS = 1_000;
/**
 * Per address the cap is short: an address can be shared (NAT, a proxy that is not
 * trusted), and guessing across many usernames is already bounded per username.
 */
const ADDRESS_CAP_MS = 60_000;

export function policies(auth: { loginMaxFailures: number; loginWindowMinutes: number }): { pair: DelayPolicy; address: DelayPolicy } {
  return {
    pair: { free: auth.loginMaxFailures, baseMs: BASE_MS, capMs: auth.loginWindowMinutes * 60_000 },
    address: { free: auth.loginMaxFailures * 4, baseMs: BASE_MS, capMs: Math.min(ADDRESS_CAP_MS, auth.loginWindowMinutes * 60_000) },
  };
}

/** How long after the last of `failures` failures the next attempt must wait. */
export function delayAfter(failures: number, p: DelayPolicy): number {
  if (failures < p.free) return 0;
  // 2^40 s is far past any cap; the exponent is bounded so the arithmetic stays exact.
  return Math.min(p.capMs, p.baseMs * 2 ** Math.min(failures - p.free, 40));
}

/** Milliseconds until an attempt may be made (0: now), given each key's counter and policy. */
export function waitMs(now: number, counters: Array<{ counter: FailureCounter | undefined; policy: DelayPolicy }>): number {
  let wait = 0;
  for (const { counter, policy } of counters) {
    if (!counter || now - counter.lastFailureAt >= FORGET_MS) continue;
    wait = Math.max(wait, counter.lastFailureAt + delayAfter(counter.count, policy) - now);
  }
  return wait;
}

/** The counter keys of one attempt: usernames are case-insensitive, and a key stays bounded. */
export function throttleKeys(username: string, ip: string): { pair: string; address: string } {
  const u = username.trim().toLowerCase().slice(0, 100);
  return { pair: `u:${u}|${ip}`, address: `ip:${ip}` };
}

/** A refused attempt; the HTTP layer turns `retryAfterSec` into a Retry-After header. */
export class LoginThrottled extends AppError {
  readonly retryAfterSec: number;
  constructor(ms: number) {
    const sec = Math.max(1, Math.ceil(ms / 1000));
    super('rate_limited', `Too many failed logins: try again in ${sec === 1 ? '1 second' : sec < 120 ? `${sec} seconds` : `${Math.ceil(sec / 60)} minutes`}`);
    this.retryAfterSec = sec;
  }
}
