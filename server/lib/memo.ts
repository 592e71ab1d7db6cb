/*
 * A small bounded memo of promises: the same key asked again within `ttlMs` (or forever
 * without) shares one load; a failed load is forgotten; past `max` keys the oldest goes.
 * For per-hit and per-copy lookups (a mass email's facts, a message's links, a compiled
 * template) that rarely change. `key` names the argument when it is not its own key.
 */
export function boundedMemo<A, V, K = A>(load: (a: A) => Promise<V>, o: { max: number; ttlMs?: number; key?: (a: A) => K; now?: () => number }): (a: A) => Promise<V> {
  const now = o.now ?? Date.now;
  const keyOf = o.key ?? ((a: A) => a as unknown as K);
  const m = new Map<K, { at: number; v: Promise<V> }>();
  return (a: A) => {
    const k = keyOf(a);
    const hit = m.get(k);
    if (hit && (o.ttlMs === undefined || now() - hit.at < o.ttlMs)) return hit.v;
    const v = load(a);
    v.catch(() => { if (m.get(k)?.v === v) m.delete(k); });
    if (!hit && m.size >= o.max) m.delete(m.keys().next().value!);
    m.set(k, { at: now(), v });
    return v;
  };
}
