/*
 * Authentication policy: users (validation, last-admin protection), login throttled by a
 * growing delay (throttle.ts), sessions, API keys, and the first-start bootstrap of `admin`.
 */
import type { Ctx } from '../context.js';
import { AppError, invalid, notFound, type FieldError } from '../errors.js';
import { usersRepo, teamsRepo, type Role, type User } from '../db/repos/users.js';
import { sessionsRepo, apiKeysRepo, loginFailuresRepo } from '../db/repos/auth.js';
import { hashPassword, verifyPassword, passwordProblem, randomPassword } from './passwords.js';
import { newSecret, sha256, newApiKey, parseApiKey, safeEqualHex } from './tokens.js';
import { policies, throttleKeys, waitMs, FORGET_MS, LoginThrottled } from './throttle.js';

export interface UserInput { username?: string; email?: string | null; name?: string; role?: string; active?: boolean; password?: string; teamIds?: number[] }

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function authService(ctx: Ctx) {
  const users = usersRepo(ctx.db), teams = teamsRepo(ctx.db), sessions = sessionsRepo(ctx.db);
  const keys = apiKeysRepo(ctx.db), failures = loginFailuresRepo(ctx.db);
  const now = () => ctx.clock.now();
  const log = ctx.log.child({ mod: 'auth' });

  function validate(input: UserInput, creating: boolean): FieldError[] {
    const errs: FieldError[] = [];
    if (creating || input.username !== undefined) {
      if (!input.username || !USERNAME.test(input.username)) errs.push({ field: 'username', message: 'use 2–64 letters, digits, dot, dash or underscore' });
    }
    if (input.email && !EMAIL.test(input.email)) errs.push({ field: 'email', message: 'is not an email address' });
    if (input.role !== undefined && input.role !== 'admin' && input.role !== 'agent') errs.push({ field: 'role', message: 'must be admin or agent' });
    if (creating || input.password) {
      const p = passwordProblem(input.password ?? '');
      if (p) errs.push({ field: 'password', message: p });
    }
    return errs;
  }

  async function guardLastAdmin(id: number, next: { role?: string; active?: boolean } | 'delete') {
    const u = await users.get(id);
    if (!u) throw notFound('User');
    const losesAdmin = next === 'delete' || (next.role !== undefined && next.role !== 'admin') || next.active === false;
    if (u.role === 'admin' && u.active && losesAdmin && (await users.countActiveAdmins()) <= 1) {
      throw new AppError('conflict', 'This is the last active admin: make another admin first');
    }
    return u;
  }

  return {
    users, teams,
    async createUser(input: UserInput): Promise<User> {
      const errs = validate(input, true);
      if (!errs.length && (await users.byUsername(input.username!))) errs.push({ field: 'username', message: 'is taken' });
      if (errs.length) throw invalid(errs);
      const id = await users.create({
        username: input.username!, email: input.email || null, name: input.name ?? '', role: (input.role as Role) ?? 'agent',
        active: input.active ?? true, password_hash: await hashPassword(input.password!),
      }, now());
      if (input.teamIds) await teams.setTeamsOfUser(id, input.teamIds);
      log.info({ evt: 'user.created', userId: id, username: input.username }, 'user created');
      return (await users.get(id))!;
    },
    async updateUser(id: number, input: UserInput): Promise<User> {
      const errs = validate(input, false);
      if (errs.length) throw invalid(errs);
      await guardLastAdmin(id, input);
      if (input.username) {
        const other = await users.byUsername(input.username);
        if (other && other.id !== id) throw invalid([{ field: 'username', message: 'is taken' }]);
      }
      const patch: Record<string, unknown> = {};
      for (const f of ['username', 'name', 'role', 'active'] as const) if (input[f] !== undefined) patch[f] = input[f];
      if (input.email !== undefined) patch.email = input.email || null;
      if (input.password) patch.password_hash = await hashPassword(input.password);
      await users.update(id, patch, now());
      if (input.teamIds) await teams.setTeamsOfUser(id, input.teamIds);
      if (input.password || input.active === false) await sessions.removeForUser(id);
      return (await users.get(id))!;
    },
    async deleteUser(id: number) {
      await guardLastAdmin(id, 'delete');
      // A key acts as its creator (access.ts); once the creator is gone it would act as
      // nobody in particular, i.e. as an admin: it ends with its user.
      await keys.revokeForUser(id, now());
      await users.remove(id);
    },

    /**
     * Throttled login (see throttle.ts): a growing delay per username+address and per
     * address. While a delay runs the attempt is refused before any password is checked;
     * afterwards a correct password logs in as usual. Returns the user or throws.
     */
    async login(username: string, password: string, ip: string): Promise<User> {
      const policy = policies(ctx.config.auth);
      const { pair, address } = throttleKeys(username, ip);
      const at = now();
      let wait = 0;
      const claim = await failures.claim([pair, address], at, (rows) => {
        wait = waitMs(at, [{ counter: rows.get(pair), policy: policy.pair }, { counter: rows.get(address), policy: policy.address }]);
        const reset = new Set([...rows.values()].filter((r) => at - r.lastFailureAt >= FORGET_MS).map((r) => r.key));
        return { allow: wait <= 0, reset };
      });
      if (!claim.allowed) {
        log.warn({ evt: 'auth.throttled', ip, username, retryAfterMs: wait }, 'login throttled');
        throw new LoginThrottled(wait);
      }
      const u = await users.byUsername(username);
      const ok = await verifyPassword(u?.password_hash, password);
      if (!ok || !u || !u.active) {
        log.info({ evt: 'auth.failed', ip, username }, 'login failed');
        throw new AppError('unauthorized', 'Wrong username or password');
      }
      // The attempt was counted up front; a success takes it back. The address counter keeps
      // its other failures: signing in to one's own account must not reset an attacker's count.
      await failures.clear(pair);
      await failures.unclaim(address, claim.before.get(address), at);
      await users.update(u.id, { last_login_at: now() }, now());
      log.info({ evt: 'auth.login', userId: u.id }, 'login');
      const { password_hash: _h, ...user } = u;
      return user;
    },
    async startSession(userId: number): Promise<string> {
      const sid = newSecret(32);
      await sessions.create(sha256(sid), userId, now() + ctx.config.http.sessionTtlHours * 3_600_000, now());
      return sid;
    },
    async sessionUser(sid: string | undefined): Promise<User | null> {
      if (!sid || sid.length > 100) return null;
      const s = await sessions.find(sha256(sid), now());
      if (!s) return null;
      const u = await users.get(Number(s.user_id));
      return u && u.active ? u : null;
    },
    async endSession(sid: string | undefined) { if (sid) await sessions.remove(sha256(sid)); },

    async createApiKey(name: string, createdBy: number | null): Promise<{ id: number; key: string; prefix: string }> {
      if (!name.trim() || name.length > 100) throw invalid([{ field: 'name', message: 'is required (at most 100 characters)' }]);
      const k = newApiKey();
      const id = await keys.create({ name: name.trim(), prefix: k.prefix, key_hash: k.hash, created_by: createdBy }, now());
      log.info({ evt: 'apikey.created', id, prefix: k.prefix }, 'API key created');
      return { id, key: k.key, prefix: k.prefix };
    },
    async apiKeyValid(bearer: string): Promise<{ id: number; name: string; createdBy: number | null } | null> {
      const p = parseApiKey(bearer);
      if (!p) return null;
      const row = await keys.byPrefix(p.prefix);
      if (!row || row.revoked_at || !safeEqualHex(row.key_hash, sha256(p.secret))) return null;
      // Touch at most once a minute: a busy API client should not write on every request.
      if (!row.last_used_at || now() - row.last_used_at > 60_000) await keys.touch(row.id, now());
      return { id: Number(row.id), name: row.name, createdBy: row.created_by === null ? null : Number(row.created_by) };
    },
    apiKeys: keys,

    /** First start: with no users at all, create `admin` and say its password once. */
    async bootstrapAdmin(password?: string): Promise<{ username: string; password: string; generated: boolean } | null> {
      if ((await users.count()) > 0) return null;
      const pw = password ?? randomPassword();
      try {
        await users.create({ username: 'admin', email: null, name: 'Administrator', role: 'admin', active: true, password_hash: await hashPassword(pw) }, now());
      } catch (e) {
        // Another node starting at the same moment won the race: it prints the password.
        if ((await users.count()) > 0) return null;
        throw e;
      }
      return { username: 'admin', password: pw, generated: password === undefined };
    },
  };
}
export type AuthService = ReturnType<typeof authService>;
