/*
 * Writes: users, teams, team_users. Reads: users, teams, team_users.
 * Users and teams: the only SQL for accounts of people who use the admin UI.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { columns, type DbRow } from '../row.js';

export type Role = 'admin' | 'agent';
export interface User {
  id: number; username: string; email: string | null; name: string; role: Role; active: boolean;
  last_login_at: number | null; created_at: number; updated_at: number;
  /** UI preferences (null: the defaults). */
  locale: string | null; time_zone: string | null;
}
export interface UserWithHash extends User { password_hash: string }
export interface Team { id: number; name: string; description: string; created_at: number; updated_at: number; member_count?: number }

const USER_COLS = ['id', 'username', 'email', 'name', 'role', 'active', 'last_login_at', 'created_at', 'updated_at', 'locale', 'time_zone'];
const toUser = (r: DbRow): User => ({ ...columns<User>(r), id: Number(r.id), active: Boolean(r.active) });

export function usersRepo(db: Db) {
  const k = db.knex;
  return {
    async count(): Promise<number> {
      const [{ n }] = (await k('users').count({ n: '*' })) as Array<{ n: number | string }>;
      return Number(n);
    },
    async list(q: ListQuery): Promise<Page<User>> {
      return listPage(k('users').select(USER_COLS), {
        sortable: ['id', 'username', 'name', 'email', 'role', 'active', 'last_login_at', 'created_at'],
        defaultSort: 'username', searchable: ['username', 'name', 'email'], filterable: ['role', 'active'],
      }, q, toUser);
    },
    async get(id: number): Promise<User | undefined> {
      const r = await k('users').select(USER_COLS).where({ id }).first();
      return r && toUser(r);
    },
    async byUsername(username: string): Promise<UserWithHash | undefined> {
      const r = await k('users').where({ username }).first();
      return r && (toUser(r) as UserWithHash);
    },
    async create(u: { username: string; email: string | null; name: string; role: Role; active: boolean; password_hash: string }, now: number): Promise<number> {
      const [id] = await k('users').insert({ ...u, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: Partial<Omit<UserWithHash, 'id' | 'created_at'>>, now: number): Promise<boolean> {
      return (await k('users').where({ id }).update({ ...patch, updated_at: now })) === 1;
    },
    async remove(id: number): Promise<boolean> {
      return (await k('users').where({ id }).delete()) === 1;
    },
    async countActiveAdmins(): Promise<number> {
      const [{ n }] = (await k('users').where({ role: 'admin', active: true }).count({ n: '*' })) as Array<{ n: number | string }>;
      return Number(n);
    },
    async teamsOf(userId: number): Promise<Team[]> {
      return k('teams').join('team_users', 'team_users.team_id', 'teams.id').where('team_users.user_id', userId).select('teams.*').orderBy('teams.name');
    },
  };
}

export function teamsRepo(db: Db) {
  const k = db.knex;
  return {
    async list(q: ListQuery): Promise<Page<Team>> {
      const base = k('teams').select('teams.*', k('team_users').count('*').whereRaw('team_users.team_id = teams.id').as('member_count'));
      return listPage(base, { sortable: ['id', 'name', 'created_at'], defaultSort: 'name', searchable: ['name', 'description'] }, q,
        (r) => ({ ...columns<Team>(r), id: Number(r.id), member_count: Number(r.member_count) }));
    },
    async all(): Promise<Team[]> { return k('teams').orderBy('name'); },
    async get(id: number): Promise<Team | undefined> { return k('teams').where({ id }).first(); },
    async byName(name: string): Promise<Team | undefined> { return k('teams').where({ name }).first(); },
    async create(t: { name: string; description: string }, now: number): Promise<number> {
      const [id] = await k('teams').insert({ ...t, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: { name?: string; description?: string }, now: number): Promise<boolean> {
      return (await k('teams').where({ id }).update({ ...patch, updated_at: now })) === 1;
    },
    async remove(id: number): Promise<boolean> { return (await k('teams').where({ id }).delete()) === 1; },
    async members(teamId: number): Promise<User[]> {
      const rows = await k('users').join('team_users', 'team_users.user_id', 'users.id').where('team_users.team_id', teamId)
        .select(USER_COLS.map((c) => `users.${c}`)).orderBy('users.username');
      return rows.map(toUser);
    },
    async setMembers(teamId: number, userIds: number[]): Promise<void> {
      await k.transaction(async (trx) => {
        await trx('team_users').where({ team_id: teamId }).delete();
        if (userIds.length) await trx('team_users').insert([...new Set(userIds)].map((user_id) => ({ team_id: teamId, user_id })));
      });
    },
    async setTeamsOfUser(userId: number, teamIds: number[]): Promise<void> {
      await k.transaction(async (trx) => {
        await trx('team_users').where({ user_id: userId }).delete();
        if (teamIds.length) await trx('team_users').insert([...new Set(teamIds)].map((team_id) => ({ team_id, user_id: userId })));
      });
    },
  };
}
