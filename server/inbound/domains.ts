/*
 * Domains and mailboxes policy: valid names, mailboxes only in local domains, personal
 * mailboxes linked to a user, one catch-all per domain, and the config-as-code bootstrap.
 * Every change refreshes this node's RCPT snapshot at once.
 */
import type { Ctx } from '../context.js';
import type { AuthService } from '../auth/service.js';
import { invalid, notFound, conflict } from '../errors.js';
import { normalizeDomain, parseMailbox } from '../lib/addresses.js';
import { domainsRepo, mailboxesRepo } from '../db/repos/domains.js';
import { autoReplyInput } from '../routing/autoReply/mailbox.js';

export interface MailboxInput {
  address?: string; name?: string; kind?: string; userId?: number | null; teamIds?: number[];
  createCases?: boolean; autoReply?: boolean; autoReplySubject?: string | null; autoReplyBody?: string | null; active?: boolean;
  /** Email-to-case (routing/cases): how new cases are assigned and what a reply to a closed case does. */
  assignment?: string; assignUserId?: number | null; reopen?: string; reopenAfterDays?: number | null;
  /** Replies from a case: the From name is the mailbox's ('mailbox') or the replying agent's ('agent'). */
  replyFromName?: string;
}
const ASSIGNMENTS = ['direct', 'round-robin', 'less-busy'], REOPEN = ['reopen', 'new-after', 'never'], REPLY_FROM = ['mailbox', 'agent'];

export function domainsService(s: { ctx: Ctx; auth: Pick<AuthService, 'users' | 'teams'> }, onChange: () => void) {
  const domains = domainsRepo(s.ctx.db), mailboxes = mailboxesRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const changed = <T>(x: T) => { onChange(); return x; };

  async function mailboxFields(input: MailboxInput, creating: boolean) {
    const errs: Array<{ field: string; message: string; key?: string }> = [];
    let address: string | undefined, domainId: number | undefined;
    if (creating || input.address !== undefined) {
      const p = parseMailbox(input.address ?? '');
      if (!p.ok) errs.push({ field: 'address', message: p.message });
      else {
        address = p.address.toLowerCase();
        const d = await domains.byName(p.domain);
        if (!d || d.kind !== 'local') errs.push({ field: 'address', message: `${p.domain} is not a local domain: add it first` });
        else domainId = d.id;
        const other = await mailboxes.byAddress(address);
        if (other && creating) errs.push({ field: 'address', message: 'exists already' });
      }
    }
    if (input.kind !== undefined && input.kind !== 'group' && input.kind !== 'personal') errs.push({ field: 'kind', message: 'must be group or personal' });
    if (input.kind === 'personal' && !input.userId) errs.push({ field: 'userId', message: 'a personal mailbox belongs to a user' });
    if (input.userId && !(await s.auth.users.get(input.userId))) errs.push({ field: 'userId', message: 'no such user' });
    if (input.assignment !== undefined && !ASSIGNMENTS.includes(input.assignment)) errs.push({ field: 'assignment', message: 'must be direct, round-robin or less-busy', key: 'mailboxes.err.assignment' });
    if (input.assignment === 'direct' && !input.assignUserId) errs.push({ field: 'assignUserId', message: 'direct assignment needs a user', key: 'mailboxes.err.assignUser' });
    if (input.assignUserId && !(await s.auth.users.get(input.assignUserId))) errs.push({ field: 'assignUserId', message: 'no such user', key: 'mailboxes.err.assignUser' });
    if (input.reopen !== undefined && !REOPEN.includes(input.reopen)) errs.push({ field: 'reopen', message: 'must be reopen, new-after or never', key: 'mailboxes.err.reopen' });
    if (input.reopen === 'new-after' && !(Number.isInteger(input.reopenAfterDays) && input.reopenAfterDays! >= 1)) errs.push({ field: 'reopenAfterDays', message: 'enter a number of days (1 or more)', key: 'mailboxes.err.reopenDays' });
    if (input.replyFromName !== undefined && !REPLY_FROM.includes(input.replyFromName)) errs.push({ field: 'replyFromName', message: 'must be mailbox or agent', key: 'mailboxes.err.replyFromName' });
    for (const id of input.teamIds ?? []) if (!(await s.auth.teams.get(id))) errs.push({ field: 'teamIds', message: `no team ${id}` });
    // An auto-reply without a text would send an empty message (routing/autoReply).
    if (input.autoReply && !(input.autoReplyBody ?? '').trim()) errs.push({ field: 'autoReply', message: 'an auto-reply needs a text' });
    if (errs.length) throw invalid(errs);
    return { address, domainId };
  }

  return {
    domains, mailboxes,
    async createDomain(input: { name?: string; kind?: string; active?: boolean }) {
      const name = normalizeDomain(input.name ?? '');
      const errs: Array<{ field: string; message: string }> = [];
      if (!name) errs.push({ field: 'name', message: 'is not a valid domain name' });
      if (input.kind !== undefined && input.kind !== 'local' && input.kind !== 'bounce') errs.push({ field: 'kind', message: 'must be local or bounce' });
      if (name && (await domains.byName(name))) errs.push({ field: 'name', message: 'exists already' });
      if (errs.length) throw invalid(errs);
      const id = await domains.create({ name: name!, kind: input.kind ?? 'local', active: input.active ?? true }, now());
      return changed((await domains.get(id))!);
    },
    async updateDomain(id: number, input: { kind?: string; active?: boolean; catchAllMailboxId?: number | null }) {
      const d = await domains.get(id);
      if (!d) throw notFound('Domain');
      if (input.kind !== undefined && input.kind !== 'local' && input.kind !== 'bounce') throw invalid([{ field: 'kind', message: 'must be local or bounce' }]);
      if (input.catchAllMailboxId) {
        const m = await mailboxes.get(input.catchAllMailboxId);
        if (!m || m.domain_id !== id) throw invalid([{ field: 'catchAllMailboxId', message: 'must be a mailbox of this domain' }]);
      }
      await domains.update(id, { kind: input.kind as 'local' | 'bounce' | undefined, active: input.active, catch_all_mailbox_id: input.catchAllMailboxId }, now());
      return changed((await domains.get(id))!);
    },
    async deleteDomain(id: number) {
      if (!(await domains.get(id))) throw notFound('Domain');
      if ((await mailboxes.forDomain(id)).length) throw conflict('Delete or move the domain\'s mailboxes first');
      await domains.remove(id);
      changed(null);
    },
    async createMailbox(input: MailboxInput) {
      const { address, domainId } = await mailboxFields(input, true);
      const id = await mailboxes.create({
        address: address!, domain_id: domainId!, name: input.name ?? '', kind: (input.kind as 'group' | 'personal') ?? 'group', user_id: input.userId ?? null,
        case_assignment: input.assignment ?? 'round-robin', case_assign_user_id: input.assignUserId ?? null, case_reopen: input.reopen ?? 'reopen',
        case_reopen_days: input.reopenAfterDays ?? null,
        create_cases: input.createCases ?? false, auto_reply: input.autoReply ?? false, auto_reply_subject: input.autoReplySubject ?? null,
        auto_reply_body: input.autoReplyBody ?? null, active: input.active ?? true, reply_from_name: input.replyFromName ?? 'mailbox',
      }, input.teamIds ?? [], now());
      return changed((await mailboxes.get(id))!);
    },
    async updateMailbox(id: number, input: MailboxInput) {
      const cur = await mailboxes.get(id);
      if (!cur) throw notFound('Mailbox');
      const { address, domainId } = await mailboxFields({
        ...input, kind: input.kind ?? cur.kind, userId: input.userId === undefined ? cur.user_id : input.userId,
        assignUserId: input.assignUserId === undefined ? cur.case_assign_user_id : input.assignUserId,
        reopenAfterDays: input.reopenAfterDays === undefined ? cur.case_reopen_days : input.reopenAfterDays,
      }, false);
      const patch: Record<string, unknown> = {};
      if (address) { patch.address = address; patch.domain_id = domainId; }
      const map: Record<string, string> = { name: 'name', kind: 'kind', userId: 'user_id', createCases: 'create_cases', autoReply: 'auto_reply', autoReplySubject: 'auto_reply_subject', autoReplyBody: 'auto_reply_body', active: 'active',
        assignment: 'case_assignment', assignUserId: 'case_assign_user_id', reopen: 'case_reopen', reopenAfterDays: 'case_reopen_days',
        replyFromName: 'reply_from_name' };
      for (const [k, col] of Object.entries(map)) if ((input as Record<string, unknown>)[k] !== undefined) patch[col] = (input as Record<string, unknown>)[k];
      await mailboxes.update(id, patch, input.teamIds, now());
      return changed((await mailboxes.get(id))!);
    },
    async deleteMailbox(id: number) {
      if (!(await mailboxes.remove(id))) throw notFound('Mailbox');
      changed(null);
    },
    /** Config as code: declared domains and mailboxes exist after start (never deleted here). */
    async bootstrap() {
      for (const name of s.ctx.config.domains) {
        const n = normalizeDomain(name);
        if (n && !(await domains.byName(n))) await this.createDomain({ name: n }).catch(async (e) => { if (!(await domains.byName(n))) throw e; });
      }
      for (const m of s.ctx.config.mailboxes) {
        const p = parseMailbox(m.address);
        if (!p.ok) throw invalid([{ field: `mailboxes.${m.address}`, message: p.message }]);
        if (!(await domains.byName(p.domain))) await this.createDomain({ name: p.domain }).catch(async (e) => { if (!(await domains.byName(p.domain))) throw e; });
        if (!(await mailboxes.byAddress(p.address.toLowerCase()))) {
          // Teams by name or id; a name no team has yet is left out (teams are managed in the UI/API).
          const teamIds = (await Promise.all((m.teams ?? []).map(async (x) => (typeof x === 'number' ? x : (await s.auth.teams.byName(x))?.id)))).filter((x): x is number => typeof x === 'number');
          await this.createMailbox({ address: p.address, name: m.name, createCases: m.createCases, assignment: m.assignment, assignUserId: m.assignUserId,
            reopen: m.reopen, reopenAfterDays: m.reopenAfterDays, replyFromName: m.replyFromName, teamIds,
            ...autoReplyInput(m.autoReply) }).catch(async (e) => { if (!(await mailboxes.byAddress(p.address.toLowerCase()))) throw e; });
        }
        if (m.catchAll) {
          const d = (await domains.byName(p.domain))!, mb = (await mailboxes.byAddress(p.address.toLowerCase()))!;
          if (d.catch_all_mailbox_id !== mb.id) await this.updateDomain(d.id, { catchAllMailboxId: mb.id });
        }
      }
    },
  };
}
export type DomainsService = ReturnType<typeof domainsService>;
