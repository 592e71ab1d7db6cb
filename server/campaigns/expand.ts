/*
 * Expansion of a mass email's audience into queue rows, set-based in member batches with a
 * checkpoint: first the addresses kept out (every address of every excluding list's records,
 * then members opted out of a target list), then each target list's members by type and id.
 * A crash resumes at the checkpoint; every step is idempotent, so the batch in flight runs again
 * without a second row. The audience never sits in memory (measured in bench/campaign-expand.ts).
 */
import type { Ctx } from '../context.js';
import { expansionRepo } from '../db/repos/campaigns/expand.js';
import { massEmailsRepo } from '../db/repos/campaigns/massEmails.js';
import { massQueueRepo } from '../db/repos/outbound/mass.js';
import { ensureUserAddresses } from '../db/repos/records/userAddresses.js';
import type { MemberBatch } from '../db/repos/campaigns/sql.js';
import type { MemberType } from '../records/types.js';
import type { MassEmailRow } from './types.js';

const TYPES: MemberType[] = ['account', 'contact', 'lead', 'user'];
/** Members per statement: 10,000 keeps one SQLite write under ~100 ms (inbound commits wait on it). */
export const EXPAND_BATCH = 10_000;
const MAX_ID = 4_294_967_295;

type Phase = 'excluded' | 'list_opted_out' | 'queue';
const PHASES: Phase[] = ['excluded', 'list_opted_out', 'queue'];
export interface Checkpoint { phase: Phase; list: number; type: number; after: number }

export function parseCheckpoint(s: string | null): Checkpoint {
  try {
    const c = JSON.parse(s ?? '') as Checkpoint;
    if (PHASES.includes(c.phase) && Number.isInteger(c.list) && Number.isInteger(c.type) && Number.isInteger(c.after)) return c;
  } catch { /* a fresh start */ }
  return { phase: 'excluded', list: 0, type: 0, after: 0 };
}

export interface ExpandTarget { me: MassEmailRow; messageId: number; accountId: number; messageTypeId: number | null }

export function createExpander(s: { ctx: Ctx }, o: { batchSize?: number } = {}) {
  const repo = expansionRepo(s.ctx.db);
  const queue = massQueueRepo(s.ctx.db);
  const mass = massEmailsRepo(s.ctx.db);
  const size = o.batchSize ?? EXPAND_BATCH;
  const log = s.ctx.log.child({ mod: 'campaigns' });
  const now = () => s.ctx.clock.now();

  async function runBatch(t: ExpandTarget, phase: Phase, b: MemberBatch): Promise<number> {
    if (b.type === 'user') await ensureUserAddresses(s.ctx.db, b.listId, b.after, b.upTo, now());
    if (phase !== 'queue') return repo.exclude(t.me.id, b, phase);
    await repo.skip(t.me.id, b, now());
    const queued = await queue.queueBatch({ id: t.me.id, messageId: t.messageId, accountId: t.accountId, messageTypeId: t.messageTypeId }, b, now());
    await repo.duplicates(t.me.id, b, now());
    return queued;
  }

  return {
    /** Runs the expansion to the end from the stored checkpoint; returns the rows it queued. `stopAt` (tests) ends it early. */
    async run(t: ExpandTarget, stopAt?: { batches: number }): Promise<{ queued: number; batches: number; done: boolean }> {
      const cp = parseCheckpoint(t.me.checkpoint);
      const listsOf = (phase: Phase) => (phase === 'excluded' ? t.me.excluding_target_list_ids : t.me.target_list_ids);
      let queued = 0; let batches = 0;
      for (let p = PHASES.indexOf(cp.phase); p < PHASES.length; p++) {
        const phase = PHASES[p]!;
        const lists = listsOf(phase);
        for (let li = p === PHASES.indexOf(cp.phase) ? cp.list : 0; li < lists.length; li++) {
          const first = p === PHASES.indexOf(cp.phase) && li === cp.list;
          for (let ti = first ? cp.type : 0; ti < TYPES.length; ti++) {
            let after = first && ti === cp.type ? cp.after : 0;
            for (;;) {
              if (stopAt && batches >= stopAt.batches) return { queued, batches, done: false };
              const end = await repo.batchEnd(lists[li]!, TYPES[ti]!, after, size);
              const b: MemberBatch = { listId: lists[li]!, type: TYPES[ti]!, after, upTo: end ?? MAX_ID };
              queued += await runBatch(t, phase, b);
              batches++;
              if (end === null) break;
              after = end;
              await mass.setCheckpoint(t.me.id, JSON.stringify({ phase, list: li, type: ti, after } satisfies Checkpoint), now());
            }
            await mass.setCheckpoint(t.me.id, JSON.stringify({ phase, list: li, type: ti + 1, after: 0 } satisfies Checkpoint), now());
          }
        }
      }
      await mass.setCheckpoint(t.me.id, null, now(), { expanded_at: now() });
      log.info({ evt: 'mass_email.expanded', massEmailId: t.me.id, queued, batches }, 'mass email expanded');
      return { queued, batches, done: true };
    },
  };
}
