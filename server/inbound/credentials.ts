/*
 * App credentials for the submission port: generated username and secret (shown once,
 * stored as SHA-256: the secret is 32 random bytes, so a fast hash loses nothing and every
 * AUTH stays cheap, unlike argon2's ~30 ms), the senders each app may use, a per-minute
 * rate that holds across nodes.
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { credentialsRepo, type CredentialRow } from '../db/repos/credentials.js';
import { sha256, safeEqualHex } from '../auth/tokens.js';
import { normalizeDomain, parseMailbox } from '../lib/addresses.js';

export interface CredentialInput { name?: string; allowedSenders?: string[]; ratePerMinute?: number }

function normalizeSenders(list: string[]): string[] {
  const out: string[] = [];
  for (const [i, raw] of list.entries()) {
    const v = raw.trim().toLowerCase();
    if (!v) continue;
    if (v.includes('@')) { const p = parseMailbox(v); if (!p.ok) throw invalid([{ field: `allowedSenders.${i}`, message: p.message }]); out.push(p.address.toLowerCase()); }
    else { const d = normalizeDomain(v); if (!d) throw invalid([{ field: `allowedSenders.${i}`, message: `"${raw}" is neither an address nor a domain` }]); out.push(d); }
  }
  if (!out.length) throw invalid([{ field: 'allowedSenders', message: 'name at least one domain or address this app may send as' }]);
  return [...new Set(out)];
}

/** True when `address` is one of the allowed addresses or in one of the allowed domains. */
export function senderAllowed(allowed: string[], address: string): boolean {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  return allowed.some((x) => (x.includes('@') ? x === a : x === domain));
}

export function credentialsService(s: { ctx: Ctx }) {
  const repo = credentialsRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  return {
    repo,
    async create(input: CredentialInput): Promise<{ id: number; username: string; password: string }> {
      const name = (input.name ?? '').trim();
      if (!name || name.length > 100) throw invalid([{ field: 'name', message: 'is required (at most 100 characters)' }]);
      const rate = input.ratePerMinute ?? 600;
      if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) throw invalid([{ field: 'ratePerMinute', message: 'must be a whole number from 1 to 100000' }]);
      const senders = normalizeSenders(input.allowedSenders ?? []);
      const username = `app-${randomBytes(5).toString('hex')}`;
      const password = randomBytes(24).toString('base64url');
      const id = await repo.create({ name, username, secret_hash: sha256(password), allowed_senders: senders, rate_per_minute: rate }, now());
      s.ctx.log.child({ mod: 'credentials' }).info({ evt: 'credential.created', id, username }, 'SMTP credential created');
      return { id, username, password };
    },
    async update(id: number, input: CredentialInput) {
      if (!(await repo.get(id))) throw notFound('Credential');
      const allowed = input.allowedSenders ? normalizeSenders(input.allowedSenders) : undefined;
      await repo.update(id, { name: input.name?.trim(), allowed_senders: allowed, rate_per_minute: input.ratePerMinute }, now());
      return (await repo.get(id))!;
    },
    async revoke(id: number) { if (!(await repo.revoke(id, now()))) throw notFound('Active credential'); },
    /** AUTH: the credential, or null (unknown, revoked or wrong secret: the same answer). */
    async verify(username: string, password: string): Promise<CredentialRow | null> {
      const c = await repo.byUsername(username);
      const ok = safeEqualHex(c?.secret_hash ?? sha256('x'), sha256(password));
      if (!c || c.revoked_at || !ok) return null;
      if (!c.last_used_at || now() - c.last_used_at > 60_000) await repo.touch(c.id, now());
      return c;
    },
    /** Counts a message; false when this minute's budget is spent. */
    async withinRate(c: CredentialRow): Promise<boolean> {
      return (await repo.countMessage(c.id, Math.floor(now() / 60_000))) <= c.rate_per_minute;
    },
  };
}
export type CredentialsService = ReturnType<typeof credentialsService>;
