/*
 * Group commit for delivery results: rows finish one by one as the upstream answers, and
 * whatever finished while the previous write ran goes together in the next transaction.
 * No timer, so a lone result is written at once and a crash can re-send only rows whose
 * acceptance sits in the one group being written. Each result's promise says whether its
 * lease still held (a late result after a re-claim changes nothing).
 */
import type { Db } from '../../db/connect.js';
import type { RowResult } from '../../db/repos/outbound/results.js';

interface Pending { result: RowResult; resolve(v: { result: RowResult; applied: boolean }): void; reject(e: unknown): void }
type Writes = { write(results: RowResult[], now: number): Promise<Set<number>> };

export function createResultWriter(db: Db, repo: Writes, now: () => number, maxGroup = 500) {
  let queue: Pending[] = [];
  let draining: Promise<void> | null = null;

  function kick() {
    // A result added after the loop saw an empty queue, but before `finally` ran, starts the next drain.
    draining ??= drain().finally(() => { draining = null; if (queue.length) kick(); });
  }

  async function drain() {
    while (queue.length) {
      const group = queue.slice(0, maxGroup);
      queue = queue.slice(group.length);
      try {
        const applied = await repo.write(group.map((p) => p.result), now());
        // Sent marks on disk too, so a power cut cannot re-send what this group recorded.
        await db.durable();
        for (const p of group) p.resolve({ result: p.result, applied: applied.has(p.result.id) });
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
  }

  return {
    add(result: RowResult): Promise<{ result: RowResult; applied: boolean }> {
      return new Promise((resolve, reject) => {
        queue.push({ result, resolve, reject });
        kick();
      });
    },
    /** Resolves when everything added so far is written. */
    async flush(): Promise<void> { while (draining) await draining; },
  };
}
