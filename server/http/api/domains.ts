/* /api/v1/domains and /api/v1/mailboxes: local and bounce domains, catch-alls, mailboxes. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { notFound } from '../../errors.js';
import { mailboxIdsOf } from '../../auth/access.js';
import { autoReplyInput, autoReplyOf } from '../../routing/autoReply/mailbox.js';
import type { MailboxRow } from '../../db/repos/domains.js';

const Domain = Type.Object({
  id: Type.Integer(), name: Type.String(), kind: Type.String(), catchAllMailboxId: Nullable(Type.Integer()), active: Type.Boolean(), createdAt: Ms(), updatedAt: Ms(),
  mailboxCount: Type.Optional(Type.Integer()),
});
const Mailbox = Type.Object({
  id: Type.Integer(), address: Type.String(), domainId: Type.Integer(), name: Type.String(), kind: Type.String(), userId: Nullable(Type.Integer()),
  createCases: Type.Boolean(), autoReply: Nullable(Type.Object({ subject: Type.String(), text: Type.String() })), active: Type.Boolean(),
  createdAt: Ms(), updatedAt: Ms(), teamIds: Type.Optional(Type.Array(Type.Integer())), domain: Type.Optional(Type.String()),
  // Email-to-case (routing/cases).
  assignment: Type.String({ description: 'direct | round-robin | less-busy' }), assignUserId: Nullable(Type.Integer()), teams: Type.Optional(Type.Array(Type.Integer())),
  reopen: Type.String({ description: 'reopen | new-after | never' }), reopenAfterDays: Nullable(Type.Integer()),
  replyFromName: Type.String({ description: 'replies from a case show the mailbox\'s name (mailbox) or the agent\'s (agent)' }),
});
const Assignment = Type.Union([Type.Literal('direct'), Type.Literal('round-robin'), Type.Literal('less-busy')]);
const Reopen = Type.Union([Type.Literal('reopen'), Type.Literal('new-after'), Type.Literal('never')]);
const MailboxInput = Type.Object({
  address: Type.String({ maxLength: 320 }), name: Type.Optional(Type.String({ maxLength: 200 })), kind: Type.Optional(Type.Union([Type.Literal('group'), Type.Literal('personal')])),
  userId: Type.Optional(Nullable(Type.Integer())), teamIds: Type.Optional(Type.Array(Type.Integer())), createCases: Type.Optional(Type.Boolean()),
  // Auto-reply: placeholders {Case.number} {Case.subject} {Person.name} {Person.email} {Mailbox.name} {Message.subject}; null turns it off.
  autoReply: Type.Optional(Nullable(Type.Object({ subject: Type.String({ maxLength: 998 }), text: Type.String({ minLength: 1, maxLength: 100_000 }) },
    { additionalProperties: false }))),
  active: Type.Optional(Type.Boolean()),
  assignment: Type.Optional(Assignment), assignUserId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'the user of direct assignment' }))),
  teams: Type.Optional(Type.Array(Type.Integer(), { description: 'team ids (same as teamIds)' })), reopen: Type.Optional(Reopen),
  reopenAfterDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'for reopen "new-after": a reply after this many days opens a new linked case' }))),
  replyFromName: Type.Optional(Type.Union([Type.Literal('mailbox'), Type.Literal('agent')])),
}, { additionalProperties: false });

/** A mailbox as the API shows it: `autoReply` is `{subject, text}` or null. */
const mailboxOut = <M extends MailboxRow>(m: M) => ({
  ...camelKeys(m), autoReply: autoReplyOf(m),
  assignment: m.case_assignment, assignUserId: m.case_assign_user_id, teams: m.teamIds, reopen: m.case_reopen, reopenAfterDays: m.case_reopen_days,
  replyFromName: m.reply_from_name ?? 'mailbox',
});
/** `teams` is another name for `teamIds` (the DESIGN's routing interface). */
const teamsIn = <B extends { teams?: number[]; teamIds?: number[] }>({ teams, ...b }: B) => ({ ...b, teamIds: b.teamIds ?? teams });

export function domainsApi(app: Api, s: Services) {
  const tags = ['domains'];
  app.get('/domains', { schema: { tags, summary: 'Domains', querystring: Type.Intersect([ListQuery, Type.Object({ kind: Type.Optional(Type.String()) })]), response: { 200: pageOf(Domain) } } },
    async (req) => { const { kind, ...q } = req.query; return camelPage(await s.domains.domains.list({ ...listArgs(q), filters: { kind } })); });
  app.post('/domains', { schema: { tags, summary: 'Add a local or bounce (VERP) domain', body: Type.Object({ name: Type.String({ maxLength: 253 }), kind: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('bounce')])), active: Type.Optional(Type.Boolean()) }), response: { 201: Domain, ...errors(400) } } },
    async (req, reply) => { reply.status(201); return camelKeys(await s.domains.createDomain(req.body)); });
  app.get('/domains/:id', { schema: { tags, summary: 'One domain', params: IdParams, response: { 200: Domain, ...errors(404) } } }, async (req) => {
    const d = await s.domains.domains.get(req.params.id); if (!d) throw notFound('Domain'); return camelKeys(d);
  });
  app.patch('/domains/:id', { schema: { tags, summary: 'Change kind, active flag or catch-all mailbox', params: IdParams, body: Type.Object({ kind: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('bounce')])), active: Type.Optional(Type.Boolean()), catchAllMailboxId: Type.Optional(Nullable(Type.Integer())) }, { additionalProperties: false }), response: { 200: Domain, ...errors(400, 404) } } },
    async (req) => camelKeys(await s.domains.updateDomain(req.params.id, req.body)));
  app.delete('/domains/:id', { schema: { tags, summary: 'Delete a domain without mailboxes', params: IdParams, response: { 204: Type.Null(), ...errors(404, 409) } } },
    async (req, reply) => { await s.domains.deleteDomain(req.params.id); return reply.status(204).send(null); });

  const mtags = ['mailboxes'];
  app.get('/mailboxes', { schema: { tags: mtags, summary: 'Mailboxes', querystring: Type.Intersect([ListQuery, Type.Object({ kind: Type.Optional(Type.String()), domainId: Type.Optional(Type.Integer()) })]), response: { 200: pageOf(Mailbox) } } },
    async (req) => {
      const { kind, domainId, ...q } = req.query;
      const only = mailboxIdsOf(await s.access.scopeOf(req.principal ?? { role: 'admin', userId: null }));
      const page = await s.domains.mailboxes.list({ ...listArgs(q), filters: { kind, domain_id: domainId } }, only);
      return { ...camelPage(page), items: page.items.map(mailboxOut) };
    });
  app.post('/mailboxes', { schema: { tags: mtags, summary: 'Create a group or personal mailbox', body: MailboxInput, response: { 201: Mailbox, ...errors(400) } } },
    async (req, reply) => {
      const { autoReply, ...b } = req.body;
      reply.status(201);
      return mailboxOut(await s.domains.createMailbox({ ...teamsIn(b), ...autoReplyInput(autoReply) }));
    });
  app.get('/mailboxes/:id', { schema: { tags: mtags, summary: 'One mailbox', params: IdParams, response: { 200: Mailbox, ...errors(404) } } }, async (req) => {
    const m = await s.domains.mailboxes.get(req.params.id);
    const only = mailboxIdsOf(await s.access.scopeOf(req.principal ?? { role: 'admin', userId: null }));
    if (!m || (only && !only.includes(m.id))) throw notFound('Mailbox');
    return mailboxOut(m);
  });
  app.patch('/mailboxes/:id', { schema: { tags: mtags, summary: 'Update a mailbox', params: IdParams, body: Type.Partial(MailboxInput), response: { 200: Mailbox, ...errors(400, 404) } } },
    async (req) => { const { autoReply, ...b } = req.body; return mailboxOut(await s.domains.updateMailbox(req.params.id, { ...teamsIn(b), ...autoReplyInput(autoReply) })); });
  app.delete('/mailboxes/:id', { schema: { tags: mtags, summary: 'Delete a mailbox', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } },
    async (req, reply) => { await s.domains.deleteMailbox(req.params.id); return reply.status(204).send(null); });
}
