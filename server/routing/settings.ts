/*
 * The routing hooks' configuration, cached per node: mailbox settings (cases, auto-reply), the
 * active filters per set of mailboxes (compiled once), our own domains and the upstream accounts
 * that may send as a mailbox. Each entry is read again after SETTINGS_TTL_MS, and everything is
 * dropped at once when a change goes through this node (domains' and accounts' onChange, the
 * filters service): other nodes see a change within the TTL.
 * Counts and pointers that are locked in transactions (flood guard, round-robin) are never cached.
 */
import type { Ctx } from '../context.js';
import { boundedMemo } from '../lib/memo.js';
import { casesRepo, type CaseMailboxSettings } from '../db/repos/cases/cases.js';
import { filtersRepo, type FilterRow } from '../db/repos/filters/filters.js';
import { autoRepliesRepo, type AutoReplyMailbox } from '../db/repos/autoReply/replies.js';
import { accountsRepo, type SenderAccount } from '../db/repos/accounts.js';

/** How long a node trusts what it read (a change made on another node shows within this). */
export const SETTINGS_TTL_MS = 5000;
/** Distinct mailbox sets remembered (a message's recipient mailboxes form one key). */
const KEYS = 2000;

const keyOf = (ids: readonly number[]) => [...new Set(ids)].sort((a, b) => a - b).join(',');

export function routingSettings(s: { ctx: Ctx }) {
  const cases = casesRepo(s.ctx.db);
  const filters = filtersRepo(s.ctx.db);
  const replies = autoRepliesRepo(s.ctx.db);
  const accounts = accountsRepo(s.ctx.db);
  // Real time, not ctx.clock: tests move the clock by days, and the TTL is about this process's staleness.
  const build = () => ({
    caseSettings: boundedMemo((ids: number[]) => cases.mailboxSettings(ids), { max: KEYS, ttlMs: SETTINGS_TTL_MS, key: keyOf }),
    autoReplyBoxes: boundedMemo((ids: number[]) => replies.mailboxes(ids), { max: KEYS, ttlMs: SETTINGS_TTL_MS, key: (ids) => ids.join(',') }),
    filters: boundedMemo((ids: number[]) => filters.applying(ids), { max: KEYS, ttlMs: SETTINGS_TTL_MS, key: keyOf }),
    ownDomains: boundedMemo(() => replies.ownDomains(), { max: 1, ttlMs: SETTINGS_TTL_MS, key: () => 0 }),
    // Read per answered message, it was one round trip (and a knex build) in 0.58 of the routing drain's messages.
    senderAccounts: boundedMemo(() => accounts.senderAccounts(), { max: 1, ttlMs: SETTINGS_TTL_MS, key: () => 0 }),
  });
  let m = build();
  return {
    /** Case settings of these mailboxes (ascending ids). Shared objects: never change them. */
    caseSettings: (ids: number[]): Promise<CaseMailboxSettings[]> => (ids.length ? m.caseSettings(ids) : Promise.resolve([])),
    /** Active mailboxes with an auto-reply among `ids`, in the order of `ids`. */
    autoReplyBoxes: (ids: number[]): Promise<AutoReplyMailbox[]> => (ids.length ? m.autoReplyBoxes(ids) : Promise.resolve([])),
    /** The active filters that apply to mail for these mailboxes, in run order. */
    filters: (ids: number[]): Promise<FilterRow[]> => m.filters(ids),
    /** Local and bounce domain names, lower-case. */
    ownDomains: (): Promise<Set<string>> => m.ownDomains(undefined),
    /** Every upstream account as routing/mailboxAccount.ts chooses among them (no secrets). Shared objects: never change them. */
    senderAccounts: (): Promise<SenderAccount[]> => m.senderAccounts(undefined),
    /** Drops everything (a change on this node): the next message reads afresh. */
    invalidate() { m = build(); },
  };
}
export type RoutingSettings = ReturnType<typeof routingSettings>;
