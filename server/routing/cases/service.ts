/*
 * Email-to-case: the `cases` route hook (threading ladder → join or open a case → assignment,
 * reopen policy, flood guard), the RCPT resolver for signed per-case reply addresses, the
 * Message-ID index (`rememberMessageId`) and the cases API/UI operations (list, get, update).
 */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../../context.js';
import type { WebhookEmit } from '../../webhooks/events.js';
import type { MailerLogRecord } from '../../operations/types.js';
import { rootOf, type StepContext } from '../../inbound/pipeline/steps.js';
import type { RecipientResolver } from '../../inbound/directory.js';
import { casesRepo, type CaseMailboxSettings, type CaseRow, type CaseStatus, type Joined, type RoundRobin } from '../../db/repos/cases/cases.js';
import type { ListQuery } from '../../db/list.js';
import { deriveKey } from '../../lib/keys.js';
import { invalid, notFound } from '../../errors.js';
import { decideThread, referencedIds, reopenAction, subjectTags, type ReopenPolicy } from './threading.js';
import { caseMessageId, caseOfMessageId, parseCaseToken, replyAddressFor, tokenOfLocal } from './tokens.js';
import { lessBusy } from './assignment.js';
import { boundedMemo } from '../../lib/memo.js';
import { routingSettings, type RoutingSettings } from '../settings.js';
import { ROUTED_CASE, sharePerMessage, type RoutedCase } from '../perMessage.js';
import { messageAddresses, messageHolders, recordsOfSender, shareHolders } from '../holders.js';
import { linksRepo, type Holder } from '../../db/repos/links/links.js';

export const CASE_STATUSES: readonly CaseStatus[] = ['new', 'assigned', 'pending', 'closed'];
const HOUR = 3_600_000;

const policyOf = (m: CaseMailboxSettings | undefined): ReopenPolicy =>
  m?.case_reopen === 'never' ? { mode: 'never' } : m?.case_reopen === 'new-after' ? { mode: 'new-after', days: m.case_reopen_days ?? 30 } : { mode: 'reopen' };
const addressesIn = (v: string | undefined) => [...(v ?? '').matchAll(/[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g)].map((m) => m[0].toLowerCase().replace(/\.$/, ''));

/**
 * `onAssigned`: a user was given a case from the API or a page (the links feature makes them
 * follow it, as the links hook does for a case assigned on arrival).
 */
export function casesService(s: {
  ctx: Ctx; emit?: WebhookEmit; mailerLog?: MailerLogRecord; settings?: RoutingSettings; onAssigned?: (userId: number, caseId: number) => Promise<unknown>;
}) {
  /** Webhook events (case.created, case.updated); a failure to queue one is logged, never fails routing. */
  const hook = (event: 'case.created' | 'case.updated', data: Record<string, unknown>, key?: string) =>
    s.emit?.(event, data, key).catch((e: unknown) => s.ctx.log.error({ evt: 'cases.webhook_failed', err: e, event }, 'case webhook event not queued'));
  const repo = casesRepo(s.ctx.db);
  const settings = s.settings ?? routingSettings(s);
  const holders = linksRepo(s.ctx.db).holders;
  const key = deriveKey(s.ctx.config.secret, 'case-reply');
  const log = s.ctx.log.child({ mod: 'cases' });
  const now = () => s.ctx.clock.now();
  const floodPerHour = s.ctx.config.cases?.floodPerHour ?? 20;
  const followUpMs = (s.ctx.config.cases?.followUpDays ?? 7) * 24 * HOUR;

  /**
   * The user a new case goes to: a filter's choice, else the mailbox's mode; inactive users are skipped.
   * Round-robin answers the team: repo.open moves the team's pointer to its next active member
   * (assignment.ts nextRoundRobin) in the transaction that opens the case.
   */
  async function assignee(box: CaseMailboxSettings, teamId: number | null, filterUser: number | null | undefined): Promise<number | null | RoundRobin> {
    if (filterUser && (await repo.userActive(filterUser))) return filterUser;
    if (box.case_assignment === 'direct') return box.case_assign_user_id && (await repo.userActive(box.case_assign_user_id)) ? box.case_assign_user_id : null;
    if (teamId === null) return null;
    // Round-robin reads the members in the statement that moves the pointer (repo.open): no read here.
    if (box.case_assignment !== 'less-busy') return { teamId };
    const members = await repo.activeMembers(teamId);
    return members.length ? lessBusy(await repo.loads(members)) : null;
  }

  /** `direct`: no threading read ran (routeReads): repo.open reads the holders of these addresses and what the message joined before. */
  async function openCase(c: StepContext, o: {
    boxes: CaseMailboxSettings[]; subject: string; from: string; joined: Omit<Joined, 'rung' | 'reopened'>; parent: number | null; direct?: ReturnType<typeof messageAddresses>;
  }) {
    const r = c.routing!;
    const box = o.boxes[0]!;
    const t = now();
    // The flood guard and the sender's latest case (the follow-up hint) are read in repo.open's
    // transaction, in its first statement: no separate read before it (one statement less per new case).
    const teamId = r.assignTeamId ?? box.teamIds[0] ?? null;
    const choice = await assignee(box, teamId, r.assignUserId);
    const userId = typeof choice === 'number' ? choice : null;
    // The records of every address of the message, read once: the links hook uses them too.
    const a = o.direct;
    const linked = a || !o.from ? {} : recordsOfSender(await messageHolders(c, holders), o.from);
    const opened = await repo.open({
      ...linked,
      subject: o.subject, status: userId ? 'assigned' : 'new', mailbox_id: box.id, team_id: teamId, assigned_user_id: userId, from_addr: o.from,
      inbound_id: c.msg.id, parent_case_id: o.parent, follow_up_of: null,
    }, { ...o.joined, rung: 'new', reopened: false, mailboxIds: [...new Set([...o.joined.mailboxIds, ...o.boxes.map((b) => b.id)])] }, t, {
      // The flood guard counts only first messages of threads (a new linked case after a reopen policy is a reply).
      quota: o.parent === null ? { since: t - HOUR, max: floodPerHour, followUpSince: followUpMs > 0 ? t - followUpMs : null } : undefined,
      roundRobin: choice !== null && typeof choice === 'object' ? choice : undefined,
      direct: a && { holdersOf: a.addresses, records: (hs: Holder[]) => (o.from ? recordsOfSender({ ...a, holders: hs }, o.from) : {}) },
    });
    if (a && opened.holders) shareHolders(c, a, Promise.resolve(opened.holders));
    if ('joined' in opened) return opened;
    if ('held' in opened) return held(c, box, o.from, opened.count);
    if (opened.created) sharePerMessage<RoutedCase>(c, ROUTED_CASE, { id: opened.id, subject: o.subject.slice(0, 500), assigned_user_id: opened.assigned_user_id });
    return opened;
  }

  // The alert: one mailer-log entry per sender and mailbox an hour (per node), however much mail is held.
  const alert = boundedMemo(async (a: { box: CaseMailboxSettings; from: string; inboundId: number; count: number }) => {
    await s.mailerLog?.({ level: 'warn', source: 'mailbox', event: 'cases.flood_held', mailboxId: a.box.id, inboundId: a.inboundId, address: a.from,
      message: `Case creation held for ${a.from} on ${a.box.address}: ${a.count} new cases in the last hour (quota ${floodPerHour}); the mail is kept, without a case` });
  }, { max: 1000, ttlMs: HOUR, key: (a) => `${a.box.id}:${a.from}`, now });
  async function held(c: StepContext, box: CaseMailboxSettings, from: string, count: number) {
    log.warn({ evt: 'cases.flood_held', inboundId: c.msg.id, from, mailboxId: box.id, lastHour: count }, 'case creation held: sender over quota');
    await alert({ box, from, inboundId: c.msg.id, count });
    return { held: 'flood' as const };
  }

  return {
    repo,
    /** The signed reply address of a case (on its mailbox). */
    async replyAddress(caseId: number): Promise<string> {
      const c = await repo.get(caseId);
      if (!c) throw notFound('Case');
      const addr = c.mailbox_id ? await repo.mailboxAddress(c.mailbox_id) : null;
      if (!addr) throw notFound('Mailbox of the case');
      return replyAddressFor(key, addr, caseId);
    },
    /** A Message-ID for mail sent from a case (recognised by the References rung even before it is remembered). */
    messageIdFor(caseId: number): string { return caseMessageId(key, caseId, s.ctx.config.smtp.hostname || 'postern.invalid', randomBytes(8).toString('hex')); },
    /** Records an outbound Message-ID of a case for the References rung (idempotent). */
    async rememberMessageId(messageId: string, caseId: number) { await repo.rememberMessageId(messageId.trim().replace(/^<|>$/g, ''), caseId, 'out', now()); },
    /** RCPT: `<mailbox>+case-<id>-<tag>@domain` is accepted only with a valid tag (550 5.1.1 otherwise). */
    rcptResolver: (async (local) => {
      const t = tokenOfLocal(local);
      if (!t) return null;
      const v = parseCaseToken(key, t.token);
      if (!v.ok) return { ok: false, code: 550, message: '5.1.1 No such case reply address (bad signature)' };
      return { ok: true, address: '', kind: 'case', mailboxId: null, targetId: v.id };
    }) as RecipientResolver,

    /** The route hook: joins the message to a case or opens one; sets c.routing.case* for the hooks after it. */
    async route(c: StepContext): Promise<unknown> {
      const r = (c.routing ??= {});
      if (r.skip) return undefined;
      const byAddress = c.recipients.filter((x) => x.kind === 'case' && x.target_id).map((x) => Number(x.target_id));
      const mailboxIds = [...new Set(c.recipients.map((x) => x.mailbox_id).filter((x): x is number => x !== null && x !== undefined).map(Number))];
      const boxSettings = await settings.caseSettings(mailboxIds);
      const boxes = boxSettings.filter((m) => m.create_cases && m.active);
      if (!byAddress.length && !boxes.length) return undefined;
      const set = (id: number | null, rung: string | null, created: boolean) => { r.caseId = id; r.caseNumber = id; r.caseCreated = created; r.threadRung = rung; };
      const h = rootOf(c).headers;
      const kind = c.kind ?? c.msg.kind ?? 'normal';
      const from = (c.fields.from_addr ?? c.msg.from_addr ?? '').toLowerCase();
      const subject = (c.fields.subject ?? c.msg.subject ?? h.get('subject') ?? '').slice(0, 500);
      const messageId = (c.fields.message_id ?? c.msg.message_id ?? '').replace(/^<|>$/g, '') || null;
      const refs = referencedIds(h.get('in-reply-to'), h.all('references').join(' '));
      const signed = refs.map((id) => caseOfMessageId(key, id));
      const tags = subjectTags(subject);
      const again = (p: { case_id: number; rung: string }) => { set(p.case_id, p.rung, p.rung === 'new'); return { caseId: p.case_id, rung: p.rung, again: true }; };
      const addresses = kind === 'normal' ? messageAddresses(c) : undefined;
      // A person's mail that names no case, reference or tag opens a case (unless routed before): the ladder has
      // nothing to read, and repo.open's first round trip reads the rest (`direct`). One round trip less for 0.5
      // of the drain's messages (bench/routing-drain.sh, MariaDB: the cases hook's round trips 3.0 → 1.6 per message with routeReads).
      const direct = addresses && boxes.length && !byAddress.length && !refs.length && !tags.length ? addresses : undefined;
      let indexed = new Map<string, number>(), known = new Map<number, CaseRow>();
      if (!direct) {
        // The message's earlier case (a re-run), the ladder's cases and, for a person's mail (it may open a case;
        // the links hook needs them as well), the holders of its addresses: one round trip.
        const caseIds = [...byAddress, ...signed.filter((x) => x !== null), ...tags];
        const reads = repo.routeReads({ inboundId: c.msg.id, messageIds: refs, caseIds, holdersOf: addresses?.addresses });
        if (addresses) shareHolders(c, addresses, reads.then((x) => x.holders));
        const got = await reads;
        if (got.prior) return again(got.prior);
        ({ indexed, known } = got);
      }

      const referencedCases = refs.flatMap((id, i) => { const x = indexed.get(id) ?? signed[i]; return x === null || x === undefined ? [] : [x]; });
      const onCase = await repo.participantsOf(tags.filter((n) => known.has(n)), from);
      const d = decideThread({ replyAddressCases: byAddress, referencedCases, subjectTags: tags, exists: (id) => known.has(id), senderOnCase: (id) => onCase.has(id) });
      const ours = new Set(c.recipients.map((x) => x.address.toLowerCase()));
      const participants = [from, ...addressesIn(h.get('to')), ...addressesIn(h.get('cc')), ...addressesIn(h.get('reply-to'))]
        .filter((a) => a && !ours.has(a) && !tokenOfLocal(a.split('@')[0]!) && !boxSettings.some((m) => m.address.toLowerCase() === a));
      const joined = { inboundId: c.msg.id, participants, messageId, mailboxIds };

      if (d.caseId !== null) {
        const cs = known.get(d.caseId)!;
        const policyBox = cs.mailbox_id ? (boxSettings.find((m) => m.id === cs.mailbox_id) ?? (await settings.caseSettings([cs.mailbox_id]))[0]) : undefined;
        const action = reopenAction({ status: cs.status, closedAt: cs.closed_at, kind, policy: policyOf(policyBox), now: now() });
        if (action === 'new-linked' && policyBox) {
          const opened = await openCase(c, { boxes: [policyBox, ...boxes.filter((b) => b.id !== policyBox.id)], subject, from, joined, parent: cs.id });
          if ('joined' in opened) return again(opened.joined);
          if ('held' in opened) { set(null, 'held', false); return { held: opened.held }; }
          set(opened.id, d.rung, opened.created);
          if (opened.created) await hook('case.created', { caseId: opened.id, number: opened.id, subject, inboundId: c.msg.id, mailboxIds, linkedTo: cs.id }, `case.created:${opened.id}`);
          log.info({ evt: 'cases.linked', inboundId: c.msg.id, caseId: opened.id, parent: cs.id }, 'closed case: new linked case');
          return { caseId: opened.id, rung: d.rung, linkedTo: cs.id, created: opened.created };
        }
        // A person's message (not an out-of-office reply or a bounce) also takes a pending case back to work.
        await repo.attach(cs.id, { ...joined, rung: d.rung, reopened: action === 'reopen' }, { reopen: action === 'reopen', wake: kind === 'normal' }, now());
        set(cs.id, d.rung, false);
        // Attaching changes neither the subject nor the assignee: the row read above is what links needs.
        sharePerMessage<RoutedCase>(c, ROUTED_CASE, { id: cs.id, subject: cs.subject, assigned_user_id: cs.assigned_user_id });
        await hook('case.updated', { caseId: cs.id, number: cs.id, change: action === 'reopen' ? 'reopened' : 'message', inboundId: c.msg.id, rung: d.rung }, `case.updated:${cs.id}:in:${c.msg.id}`);
        return { caseId: cs.id, rung: d.rung, reopened: action === 'reopen' };
      }
      // Automatic mail (out-of-office, bounces, notices) never opens a case: it would loop with auto-replies.
      if (kind !== 'normal' || !boxes.length) { set(null, null, false); return { caseId: null, reason: kind !== 'normal' ? `kind ${kind}` : 'no case mailbox' }; }
      const opened = await openCase(c, { boxes, subject, from, joined, parent: null, direct });
      if ('joined' in opened) return again(opened.joined);
      if ('held' in opened) { set(null, 'held', false); return { held: opened.held }; }
      set(opened.id, 'new', opened.created);
      if (opened.created) await hook('case.created', { caseId: opened.id, number: opened.id, subject, inboundId: c.msg.id, mailboxIds }, `case.created:${opened.id}`);
      if (opened.created) log.info({ evt: 'cases.opened', inboundId: c.msg.id, caseId: opened.id, ignoredTag: d.ignoredTag ?? null }, 'case opened');
      return { caseId: opened.id, rung: 'new', created: opened.created, ...(d.ignoredTag ? { ignoredTag: d.ignoredTag } : {}) };
    },

    async list(q: ListQuery & { mailboxId?: number; scopeMailboxIds?: number[] }) { return repo.list(q); },
    async get(id: number, scopeMailboxIds?: number[]): Promise<CaseRow & { messages: Awaited<ReturnType<typeof repo.messages>> }> {
      const c = await repo.get(id);
      if (!c || (scopeMailboxIds && !(await repo.inScope(id, scopeMailboxIds)))) throw notFound('Case');
      return { ...c, messages: await repo.messages(id) };
    },
    async update(id: number, input: { status?: string; assignedUserId?: number | null; priority?: string }, scopeMailboxIds?: number[]) {
      const c = await repo.get(id);
      if (!c || (scopeMailboxIds && !(await repo.inScope(id, scopeMailboxIds)))) throw notFound('Case');
      const errs: Array<{ field: string; message: string; key?: string }> = [];
      if (input.status !== undefined && !CASE_STATUSES.includes(input.status as CaseStatus)) errs.push({ field: 'status', message: 'must be new, assigned, pending or closed', key: 'cases.err.status' });
      if (input.priority !== undefined && !['low', 'normal', 'high', 'urgent'].includes(input.priority)) errs.push({ field: 'priority', message: 'must be low, normal, high or urgent', key: 'cases.err.priority' });
      if (input.assignedUserId && !(await repo.userActive(input.assignedUserId))) errs.push({ field: 'assignedUserId', message: 'no such active user', key: 'cases.err.user' });
      if (errs.length) throw invalid(errs);
      const t = now();
      const patch: Parameters<typeof repo.update>[1] = {};
      if (input.status !== undefined) { patch.status = input.status as CaseStatus; patch.closed_at = input.status === 'closed' ? (c.closed_at ?? t) : null; }
      if (input.priority !== undefined) patch.priority = input.priority;
      if (input.assignedUserId !== undefined) {
        patch.assigned_user_id = input.assignedUserId; patch.assigned_at = input.assignedUserId ? t : null;
        if (input.status === undefined && c.status === 'new' && input.assignedUserId) patch.status = 'assigned';
      }
      await repo.update(id, patch, t);
      // The new assignee follows the case now, not only from the case's next message on.
      if (input.assignedUserId && input.assignedUserId !== c.assigned_user_id) await s.onAssigned?.(input.assignedUserId, id);
      const after = (await repo.get(id))!;
      await hook('case.updated', { caseId: id, number: id, change: 'changed', status: after.status, assignedUserId: after.assigned_user_id, priority: after.priority });
      return after;
    },
    /** Case id and rung per inbound message (the inbound views). */
    ofInbounds: (ids: number[]) => repo.ofInbounds(ids),
  };
}
export type CasesService = ReturnType<typeof casesService>;
