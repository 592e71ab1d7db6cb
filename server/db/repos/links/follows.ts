/*
 * Writes: follows. Reads: follows, users, notification_settings.
 * Who follows which record or case. Unfollowing keeps the row (inactive) so that an automatic
 * follow (a case assignment) does not follow the user again; following again revives it.
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';
import { insertIgnore, readExec } from '../../exec.js';

export type FollowTargetType = 'account' | 'contact' | 'lead' | 'case';
export interface Follow {
  userId: number; targetType: FollowTargetType; targetId: number;
  /** The follower's address when they want notifications by e-mail (read with the follow: no read per notification). */
  emailTo?: string | null;
}

/** An automatic follow (an assignee follows the case): skipped when the user ever followed or unfollowed the target. */
export function autoFollowStatement(dialect: Db['dialect'], userId: number, type: FollowTargetType, id: number, now: number) {
  return { sql: insertIgnore(dialect, 'follows', ['user_id', 'target_type', 'target_id', 'active', 'auto', 'created_at', 'updated_at'], '(?, ?, ?, 1, 1, ?, ?)'), params: [userId, type, id, now, now] };
}

/**
 * Active follows by active users of any of these targets (non-empty), with the address of each follower
 * who wants notifications by e-mail. Once per routed message: plain SQL, a cached prepared statement
 * (db/exec.ts), not a knex build. Rows: `toFollow`. Run by linksRepo.routed.
 */
export function followersStatement(targets: ReadonlyArray<{ type: FollowTargetType; id: number }>) {
  return {
    sql: 'SELECT f.user_id, f.target_type, f.target_id, u.email, (SELECT s.email FROM notification_settings s WHERE s.user_id = u.id LIMIT 1) AS wants'
      + ' FROM follows f JOIN users u ON u.id = f.user_id WHERE f.active = 1 AND u.active = 1'
      + ` AND (${targets.map(() => '(f.target_type = ? AND f.target_id = ?)').join(' OR ')})`,
    params: targets.flatMap((t) => [t.type, t.id]),
  };
}
export const toFollow = (r: DbRow): Follow => ({ userId: Number(r.user_id), targetType: String(r.target_type) as FollowTargetType, targetId: Number(r.target_id),
  emailTo: Boolean(r.wants) && r.email !== null && String(r.email).includes('@') ? String(r.email) : null });

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
      const st = autoFollowStatement(db.dialect, userId, type, id, now);
      await readExec(db, (x) => x.run(st.sql, st.params));
    },
    async isFollowing(userId: number, type: FollowTargetType, id: number): Promise<boolean> {
      return Boolean(await k('follows').where({ user_id: userId, target_type: type, target_id: id, active: true }).first('user_id'));
    },
    /** What a user follows (active), newest first. */
    async ofUser(userId: number): Promise<Array<{ targetType: FollowTargetType; targetId: number; auto: boolean; since: number }>> {
      const rows = await k('follows').where({ user_id: userId, active: true }).orderBy('updated_at', 'desc').limit(500);
      return rows.map((r: DbRow) => ({ targetType: String(r.target_type) as FollowTargetType, targetId: Number(r.target_id), auto: Boolean(r.auto), since: Number(r.updated_at) }));
    },
  };
}
export type FollowsRepo = ReturnType<typeof followsRepo>;
