/*
 * Bounce policy as a pure function: given an address's state and one event (bounce,
 * complaint, clean delivery), the next state and whether to block. No I/O, so every rule is
 * a table-driven test. Sender-side refusals (our IP/domain blocked) never reach here.
 */
export interface BouncePolicy {
  /** A hard bounce (userunknown, hostunknown, hasmoved, permanent notaccept) blocks at once. */
  blockOnHard: boolean;
  /** This many bounces within the window block the address. */
  threshold: number;
  windowDays: number;
  /** After this many clean deliveries in a row, the bounce count drops by one. */
  decayAfter: number;
}
export const DEFAULT_POLICY: BouncePolicy = { blockOnHard: true, threshold: 5, windowDays: 30, decayAfter: 3 };

export interface AddressState {
  blocked: boolean; bounceCount: number; hardCount: number; softCount: number;
  cleanStreak: number; windowStart: number | null;
}
export const EMPTY_STATE: AddressState = { blocked: false, bounceCount: 0, hardCount: 0, softCount: 0, cleanStreak: 0, windowStart: null };

export type PolicyEvent =
  | { type: 'bounce'; class: 'hard' | 'soft'; reason: string; at: number }
  | { type: 'complaint'; feedbackType: string; at: number }
  | { type: 'delivered'; at: number };

export interface Decision { state: AddressState; block: null | { reason: string; class: 'hard' | 'soft' | 'none'; source: 'bounce' | 'complaint' } }

const DAY = 86_400_000;

export function applyEvent(prev: AddressState, ev: PolicyEvent, p: BouncePolicy): Decision {
  const s = { ...prev };
  if (ev.type === 'delivered') {
    s.cleanStreak += 1;
    if (s.cleanStreak >= p.decayAfter && s.bounceCount > 0) { s.bounceCount -= 1; s.cleanStreak = 0; }
    return { state: s, block: null };
  }
  if (ev.type === 'complaint') {
    s.blocked = true;
    return { state: s, block: { reason: 'feedback', class: 'none', source: 'complaint' } };
  }
  // A bounce: restart the window when the last one is too old.
  if (s.windowStart === null || ev.at - s.windowStart > p.windowDays * DAY) { s.windowStart = ev.at; s.bounceCount = 0; }
  s.bounceCount += 1;
  s.cleanStreak = 0;
  if (ev.class === 'hard') s.hardCount += 1; else s.softCount += 1;
  if (s.blocked) return { state: s, block: null };
  if (ev.class === 'hard' && p.blockOnHard) { s.blocked = true; return { state: s, block: { reason: ev.reason, class: 'hard', source: 'bounce' } }; }
  if (s.bounceCount >= p.threshold) { s.blocked = true; return { state: s, block: { reason: ev.reason, class: ev.class, source: 'bounce' } }; }
  return { state: s, block: null };
}

/** Validates admin-entered settings; returns field errors. */
export function policyProblems(p: Partial<BouncePolicy>): Array<{ field: string; message: string }> {
  const errs: Array<{ field: string; message: string }> = [];
  const int = (k: keyof BouncePolicy, min: number, max: number) => {
    const v = p[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) errs.push({ field: k, message: `must be a whole number from ${min} to ${max}` });
  };
  int('threshold', 1, 1000); int('windowDays', 1, 3650); int('decayAfter', 1, 1000);
  if (p.blockOnHard !== undefined && typeof p.blockOnHard !== 'boolean') errs.push({ field: 'blockOnHard', message: 'must be true or false' });
  return errs;
}
