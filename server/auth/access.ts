/*
 * Who may see and send which mail. Admins: everything. Agents: the mailboxes of their teams
 * and the mailboxes linked to them (personal), the inbound mail addressed to those, the
 * outbound rows they created or that were sent from those addresses, and they send only
 * from those addresses, and only through an account whose allowed-From list names them.
 * API keys act as the user who created them; a key without one (CLI, API) acts as admin.
 */
import type { Db } from '../db/connect.js';
import type { Role, User } from '../db/repos/users.js';
import { mailboxesRepo } from '../db/repos/domains.js';
import type { InboundScope } from '../db/repos/inbound/views.js';
import type { OutboundScope } from '../db/repos/outbound/admin.js';
import { domainOf, matchesDomainList } from '../lib/addresses.js';

export type Principal = { role: 'admin'; userId: number | null } | { role: 'agent'; userId: number };
export type MailScope =
  | { all: true }
  | { all: false; userId: number; mailboxIds: number[]; addresses: string[]; sendFrom: string[] };
export interface MailboxLink { id: number; address: string; active: boolean }

/** The mailbox ids a scope may see, or undefined for all of them (admins). */
export const mailboxIdsOf = (scope: MailScope): number[] | undefined => (scope.all ? undefined : scope.mailboxIds);

/** A signed-in user acts with its role; an inactive one reaches nothing. */
export function principalOf(u: { id: number; role: Role; active?: boolean }): Principal {
  return u.role === 'admin' && u.active !== false ? { role: 'admin', userId: u.id } : { role: 'agent', userId: u.id };
}

/** The scope of a principal, given the mailboxes linked to it (personal or through a team). */
export function scopeFrom(p: Principal, linked: MailboxLink[], active = true): MailScope {
  if (p.role === 'admin') return { all: true };
  const mine = active ? linked : [];
  return {
    all: false, userId: p.userId,
    mailboxIds: mine.map((m) => m.id),
    addresses: mine.map((m) => m.address.toLowerCase()),
    sendFrom: mine.filter((m) => m.active).map((m) => m.address.toLowerCase()),
  };
}

/** SQL narrowing for the inbound views (undefined: everything). */
export const inboundScope = (s: MailScope): InboundScope | undefined => (s.all ? undefined : { mailboxIds: s.mailboxIds });
/** SQL narrowing for the outbound queue views (undefined: everything). */
export const outboundScope = (s: MailScope): OutboundScope | undefined => (s.all ? undefined : { userId: s.userId, fromAddrs: s.addresses });
/** The From addresses this scope is limited to (null: no limit beyond the account's list). */
export const senders = (s: MailScope): string[] | null => (s.all ? null : s.sendFrom);

/** An account's allowed-From list: an entry with @ is one address, otherwise a domain; [] allows any. */
export function fromAllowed(address: string, allowed: string[]): boolean {
  if (!allowed.length) return true;
  const a = address.toLowerCase();
  return allowed.some((e) => {
    const x = e.trim().toLowerCase().replace(/^@/, '');
    return x.includes('@') ? x === a : matchesDomainList(domainOf(a), [x]);
  });
}

/**
 * Why `from` may not be sent through an account with this allowed-From list, or null.
 * Without a sender limit (admins) an empty list allows any From; an agent needs both its own
 * address and an account that names it: an empty list is nothing for agents.
 */
export function fromProblem(from: string, limit: string[] | null, account: { name: string; allowed_from: string[] }): string | null {
  const a = from.toLowerCase();
  if (limit && !limit.includes(a)) return `You may not send as ${a}: use the address of one of your mailboxes`;
  if (limit && !account.allowed_from.length) return `Account ${account.name} has no allowed From list: only admins can send through it`;
  if (!fromAllowed(a, account.allowed_from)) return `Account ${account.name} may not send as ${a} (allowed: ${account.allowed_from.join(', ')})`;
  return null;
}

/** The From addresses to offer: an agent's own that at least one active account allows. */
export function fromChoices(s: MailScope, accounts: Array<{ name: string; allowed_from: string[]; active: boolean }>): string[] | null {
  if (s.all) return null;
  return s.sendFrom.filter((a) => accounts.some((acc) => acc.active && !fromProblem(a, s.sendFrom, acc)));
}

/**
 * Agent API keys reach the mail routes (their services narrow to the agent's mailboxes: filters of
 * their personal mailbox, their inbox, notifications and follows) and read what compose needs;
 * everything else is admin work.
 */
export function apiRouteAllowed(p: Principal, method: string, route: string | undefined): boolean {
  if (p.role === 'admin' || route === undefined) return true;
  if (/^\/api\/v1\/(inbound|queue|messages|cases|imap-accounts|filters|inbox|notifications|follows)(\/|$)/.test(route)) return true;
  // A mailbox's folders: the inbox service answers 404 for a mailbox out of the agent's reach (as the pages do).
  if (/^\/api\/v1\/mailboxes\/:id\/folders(\/|$)/.test(route)) return true;
  return (method === 'GET' || method === 'HEAD') && /^\/api\/v1\/(mailboxes|templates|message-types)(\/|$)/.test(route);
}

export function mailAccess(db: Db, users: { get(id: number): Promise<User | undefined> }) {
  const mailboxes = mailboxesRepo(db);
  return {
    /** The principal of an API key: its creator with the creator's current role, else admin. */
    async keyPrincipal(createdBy: number | null): Promise<Principal> {
      if (createdBy === null) return { role: 'admin', userId: null };
      const u = await users.get(createdBy);
      return u ? principalOf(u) : { role: 'admin', userId: null };
    },
    async scopeOf(p: Principal): Promise<MailScope> {
      if (p.role === 'admin') return { all: true };
      const u = await users.get(p.userId);
      return scopeFrom(p, await mailboxes.forUser(p.userId), Boolean(u?.active));
    },
  };
}
export type MailAccess = ReturnType<typeof mailAccess>;
