/*
 * Writes: follows. Reads: follows, users.
 * Who follows which record or case. Unfollowing keeps the row (inactive) so that an automatic
 * follow (a case assignment) does not follow the user again; following again revives it.
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';

export type FollowTargetType = 'account' | 'contact' | 'lead' | 'case';
export interface Follow { userId: number; targetType: FollowTargetType; targetId: number }

export function followsRepo(db: Db) {
  const k = db.knex;
  return {
    /** Follow (active) or unfollow (inactive) by the user's own choice. */
    async set(userId: number, type: FollowTargetType, id: number, active: boolean, now: number): Promise<void> {
      await k('follows').insert({ user_id: userId, target_type: type, target_id: id, active, auto: false, created_at: now, updated_at: now })
        .onConflict(['user_id', 'target_type', 'target_id']).merge({ active, auto: false, updated_at: now });
    },
    /** An automatic follow: made only when the user never followed or unfollowed this target. */
    async autoFollow(userId: number, type: FollowTargetType, id: number, now: number): Promise<void> {
      await k('follows').insert({ user_id: userId, target_type: type, target_id: id, active: true, auto: true, created_at: now, updated_at: now })
        .onConflict(['user_id', 'target_type', 'target_id']).ignore();
    },
    async isFollowing(userId: number, type: FollowTargetType, id: number): Promise<boolean> {
      return Boolean(await k('follows').where({ user_id: userId, target_type: type, target_id: id, active: true }).first('user_id'));
    },
    /** Active follows by active users of any of these targets. */
    async ofTargets(targets: Array<{ type: FollowTargetType; id: number }>): Promise<Follow[]> {
      if (!targets.length) return [];
      const q = k('follows as f').join('users as u', 'u.id', 'f.user_id').where('f.active', true).where('u.active', true)
        .where((w) => { for (const t of targets) w.orWhere({ 'f.target_type': t.type, 'f.target_id': t.id }); })
        .select('f.user_id', 'f.target_type', 'f.target_id');
      return (await q).map((r: DbRow) => ({ userId: Number(r.user_id), targetType: String(r.target_type) as FollowTargetType, targetId: Number(r.target_id) }));
    },
    /** What a user follows (active), newest first. */
    async ofUser(userId: number): Promise<Array<{ targetType: FollowTargetType; targetId: number; auto: boolean; since: number }>> {
      const rows = await k('follows').where({ user_id: userId, active: true }).orderBy('updated_at', 'desc').limit(500);
      return rows.map((r: DbRow) => ({ targetType: String(r.target_type) as FollowTargetType, targetId: Number(r.target_id), auto: Boolean(r.auto), since: Number(r.updated_at) }));
    },
  };
}
export type FollowsRepo = ReturnType<typeof followsRepo>;
