/*
 * What one routed message's hooks share without reading it twice: a value per message (the
 * step context) and name, loaded once by the first hook that needs it (the records holding the
 * message's addresses) or handed on by the hook that made it (the case it opened or joined).
 * Gone with the context: nothing outlives the message.
 */
import type { StepContext } from '../inbound/pipeline/steps.js';

/** What the cases hook hands on (to links): the message's case, its subject and assignee after routing. */
export interface RoutedCase { id: number; subject: string; assigned_user_id: number | null }
export const ROUTED_CASE = 'case';

const shared = new WeakMap<StepContext, Map<string, Promise<unknown>>>();
const of = (c: StepContext) => { let m = shared.get(c); if (!m) shared.set(c, (m = new Map())); return m; };

/** The value of `name` for this message: loaded once (a failed load is forgotten). */
export function perMessage<T>(c: StepContext, name: string, load: () => Promise<T>): Promise<T> {
  const m = of(c);
  const hit = m.get(name);
  if (hit) return hit as Promise<T>;
  const v = load();
  v.catch(() => { if (m.get(name) === v) m.delete(name); });
  m.set(name, v);
  return v;
}

/** Hands a value on to the hooks after this one. */
export function sharePerMessage<T>(c: StepContext, name: string, value: T): void { of(c).set(name, Promise.resolve(value)); }

/** A value a hook before this one handed on, if any. */
export function sharedValue<T>(c: StepContext, name: string): Promise<T> | undefined { return shared.get(c)?.get(name) as Promise<T> | undefined; }
