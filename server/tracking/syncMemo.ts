/*
 * A bounded memo whose loaded values are read without an await: the per-hit lookups (a mass
 * email's facts, a message's links, a tracking URL, the privacy switch). A hit awaited four memo
 * promises; each await is a suspension, a microtask and garbage on the hot path (figures in
 * tracking/service.ts). Loads in flight are shared; a failed load is forgotten;
 * a value is kept `ttlMs` from when it loaded; past `max` keys the oldest goes.
 */
export type SyncMemo<K, V> = (k: K) => V | Promise<V>;

export function syncMemo<K, V>(load: (k: K) => Promise<V>, o: { max: number; ttlMs: number; now?: () => number }): SyncMemo<K, V> {
  const now = o.now ?? Date.now;
  const done = new Map<K, { at: number; v: V }>();
  const loading = new Map<K, Promise<V>>();
  return (k: K) => {
    const hit = done.get(k);
    if (hit && now() - hit.at < o.ttlMs) return hit.v;
    let p = loading.get(k);
    if (!p) {
      p = load(k).then((v) => {
        loading.delete(k);
        done.delete(k);
        if (done.size >= o.max) done.delete(done.keys().next().value!);
        done.set(k, { at: now(), v });
        return v;
      }, (e: unknown) => { loading.delete(k); throw e; });
      loading.set(k, p);
    }
    return p;
  };
}
