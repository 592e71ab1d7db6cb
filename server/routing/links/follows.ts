/*
 * Following records (accounts, contacts, leads) and cases: follow, unfollow, whether a user
 * follows, what a user follows. The target must exist (and a case be in the user's mailboxes).
 * Assigning a case makes its assignee follow it: `autoFollow` for an assignment from the API or a
 * page; for a case assigned on arrival, the links hook writes the follow with its links (linksRepo.routed).
 */
import type { Ctx } from '../../context.js';
import type { RecordType } from '../../records/types.js';
import { followsRepo } from '../../db/repos/links/follows.js';
import { invalid } from '../../errors.js';
import { FOLLOW_TYPES, type FollowTargetType } from './logic.js';

export interface FollowsDeps {
  ctx: Ctx;
  /** Throws not found for a missing record. */
  records: { get(type: RecordType, id: number): Promise<unknown> };
  /** Throws not found for a missing case or one outside these mailboxes. */
  cases: { get(id: number, scopeMailboxIds?: number[]): Promise<unknown> };
}

export function followsService(s: FollowsDeps) {
  const repo = followsRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  async function check(type: string, id: number, scope?: number[]): Promise<FollowTargetType> {
    if (!FOLLOW_TYPES.includes(type as FollowTargetType)) throw invalid([{ field: 'targetType', message: 'must be account, contact, lead or case', key: 'follows.err.type' }]);
    if (type === 'case') await s.cases.get(id, scope);
    else await s.records.get(type as RecordType, id);
    return type as FollowTargetType;
  }
  return {
    repo,
    /** `scope`: the mailboxes an agent sees (a case outside them is not found); undefined for admins. */
    async follow(userId: number, type: string, id: number, scope?: number[]) {
      await repo.set(userId, await check(type, id, scope), id, true, now());
      return { following: true };
    },
    async unfollow(userId: number, type: string, id: number, scope?: number[]) {
      await repo.set(userId, await check(type, id, scope), id, false, now());
      return { following: false };
    },
    isFollowing: (userId: number, type: FollowTargetType, id: number) => repo.isFollowing(userId, type, id),
    ofUser: (userId: number) => repo.ofUser(userId),
    /** Case assignment: the assignee follows the case unless they follow or unfollowed it already. */
    autoFollow: (userId: number, type: FollowTargetType, id: number) => repo.autoFollow(userId, type, id, now()),
  };
}
export type FollowsService = ReturnType<typeof followsService>;
