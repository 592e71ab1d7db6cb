/*
 * Writes: domains, mailboxes, mailbox_teams. Reads: domains, mailboxes, mailbox_teams, team_users.
 * Local domains, the bounce domain and mailboxes: the only SQL on domains / mailboxes / mailbox_teams.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { columns, numOrNull, type DbRow } from '../row.js';

export interface DomainRow { id: number; name: string; kind: 'local' | 'bounce'; catch_all_mailbox_id: number | null; active: boolean; created_at: number; updated_at: number; mailbox_count?: number }
export interface MailboxRow {
  id: number; address: string; domain_id: number; name: string; kind: 'group' | 'personal'; user_id: number | null;
  create_cases: boolean; auto_reply: boolean; auto_reply_subject: string | null; auto_reply_body: string | null; active: boolean;
  /** Email-to-case (routing/cases): direct | round-robin | less-busy; reopen | new-after | never. */
  case_assignment: string; case_assign_user_id: number | null; case_reopen: string; case_reopen_days: number | null;
  /** Replies from a case (routing/cases/reply.ts): From shows the mailbox's name or the agent's ('mailbox' | 'agent'). */
  reply_from_name?: string;
  created_at: number; updated_at: number; teamIds?: number[];
}
const toDomain = (r: DbRow): DomainRow => ({
  ...columns<DomainRow>(r), id: Number(r.id), active: Boolean(r.active), catch_all_mailbox_id: numOrNull(r.catch_all_mailbox_id),
  ...(r.mailbox_count !== undefined ? { mailbox_count: Number(r.mailbox_count) } : {}),
});
const toMailbox = (r: DbRow): MailboxRow => ({
  ...columns<MailboxRow>(r), id: Number(r.id), domain_id: Number(r.domain_id), user_id: numOrNull(r.user_id), create_cases: Boolean(r.create_cases),
  auto_reply: Boolean(r.auto_reply), active: Boolean(r.active), case_assign_user_id: numOrNull(r.case_assign_user_id), case_reopen_days: numOrNull(r.case_reopen_days),
});

export function domainsRepo(db: Db) {
  const k = db.knex;
  return {
    async list(q: ListQuery): Promise<Page<DomainRow>> {
      const base = k('domains').select('domains.*', k('mailboxes').count('*').whereRaw('mailboxes.domain_id = domains.id').as('mailbox_count'));
      return listPage(base, { sortable: ['name', 'kind', 'created_at'], defaultSort: 'name', searchable: ['name'], filterable: ['kind', 'active'] }, q, toDomain);
    },
    async all(): Promise<DomainRow[]> { return (await k('domains').orderBy('name')).map(toDomain); },
    async get(id: number) { const r = await k('domains').where({ id }).first(); return r ? toDomain(r) : undefined; },
    async byName(name: string) { const r = await k('domains').where({ name }).first(); return r ? toDomain(r) : undefined; },
    async create(d: { name: string; kind: string; active: boolean }, now: number): Promise<number> {
      const [id] = await k('domains').insert({ ...d, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: Partial<Pick<DomainRow, 'kind' | 'active' | 'catch_all_mailbox_id'>>, now: number) {
      return (await k('domains').where({ id }).update({ ...patch, updated_at: now })) === 1;
    },
    async remove(id: number) { return (await k('domains').where({ id }).delete()) === 1; },
  };
}

export function mailboxesRepo(db: Db) {
  const k = db.knex;
  return {
    /** `onlyIds`: an agent's mailboxes (auth/access.ts); undefined lists all. */
    async list(q: ListQuery, onlyIds?: number[]): Promise<Page<MailboxRow & { domain: string }>> {
      const base = k('mailboxes').join('domains', 'domains.id', 'mailboxes.domain_id').select('mailboxes.*', 'domains.name as domain');
      if (onlyIds) base.whereIn('mailboxes.id', onlyIds.length ? onlyIds : [0]);
      // Domains have a kind too: a bare `kind` in WHERE is ambiguous (a 500), so the filter names the mailbox's.
      const { kind, ...filters } = q.filters ?? {};
      return listPage(base, {
        sortable: ['address', 'name', 'kind', 'created_at'], defaultSort: 'address', searchable: ['address', 'mailboxes.name'],
        filterable: ['mailboxes.kind', 'domain_id', 'mailboxes.active'],
      }, { ...q, filters: { ...filters, 'mailboxes.kind': kind } }, (r) => ({ ...toMailbox(r), domain: String(r.domain) }));
    },
    async get(id: number) {
      const r = await k('mailboxes').where({ id }).first();
      if (!r) return undefined;
      const teams = await k('mailbox_teams').where({ mailbox_id: id }).select('team_id');
      return { ...toMailbox(r), teamIds: teams.map((t: DbRow) => Number(t.team_id)) };
    },
    async byAddress(address: string) { const r = await k('mailboxes').where({ address }).first(); return r ? toMailbox(r) : undefined; },
    /** The mailboxes a user reaches: those linked to it (personal) and those of its teams. */
    async forUser(userId: number): Promise<Array<{ id: number; address: string; active: boolean }>> {
      const ofTeams = k('mailbox_teams').join('team_users', 'team_users.team_id', 'mailbox_teams.team_id').where('team_users.user_id', userId).select('mailbox_teams.mailbox_id');
      const rows: Array<{ id: number | string; address: string; active: number | boolean }> =
        await k('mailboxes').select('id', 'address', 'active').where('user_id', userId).orWhereIn('id', ofTeams).orderBy('address');
      return rows.map((r) => ({ id: Number(r.id), address: String(r.address).toLowerCase(), active: Boolean(r.active) }));
    },
    async forDomain(domainId: number): Promise<MailboxRow[]> { return (await k('mailboxes').where({ domain_id: domainId }).orderBy('address')).map(toMailbox); },
    /** Every active address → mailbox id, for the RCPT-time lookup cache. */
    async activeAddresses(): Promise<Array<{ address: string; id: number; domain_id: number }>> {
      return (await k('mailboxes').where({ active: true }).select('address', 'id', 'domain_id')).map((r: DbRow) => ({ address: String(r.address), id: Number(r.id), domain_id: Number(r.domain_id) }));
    },
    async create(m: Omit<MailboxRow, 'id' | 'created_at' | 'updated_at' | 'teamIds'>, teamIds: number[], now: number): Promise<number> {
      return k.transaction(async (trx) => {
        const [id] = await trx('mailboxes').insert({ ...m, created_at: now, updated_at: now });
        if (teamIds.length) await trx('mailbox_teams').insert([...new Set(teamIds)].map((team_id) => ({ mailbox_id: Number(id), team_id })));
        return Number(id);
      });
    },
    async update(id: number, patch: Partial<Omit<MailboxRow, 'id' | 'created_at' | 'teamIds'>>, teamIds: number[] | undefined, now: number) {
      await k.transaction(async (trx) => {
        await trx('mailboxes').where({ id }).update({ ...patch, updated_at: now });
        if (teamIds) {
          await trx('mailbox_teams').where({ mailbox_id: id }).delete();
          if (teamIds.length) await trx('mailbox_teams').insert([...new Set(teamIds)].map((team_id) => ({ mailbox_id: id, team_id })));
        }
      });
    },
    async remove(id: number) { return (await k('mailboxes').where({ id }).delete()) === 1; },
  };
}
