/*
 * The sources service: single-email compose and preview, templates and message types
 * (validated CRUD), and the queue's operator view (list, detail, retry, cancel, bulk retry).
 * Adapters (API, UI) call only this; SQL stays in the repos, delivery in the delivery core.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EnqueueDeps } from '../enqueue.js';
import { AppError, conflict, invalid, notFound, type FieldError } from '../../errors.js';
import { templatesRepo, type TemplateInput } from '../../db/repos/templates.js';
import { messageTypesRepo } from '../../db/repos/messageTypes.js';
import { queueViewRepo, QUEUE_STATES, type QueueFilters, type OutboundScope } from '../../db/repos/queueView.js';
import type { ListQuery } from '../../db/list.js';
import { compose, type ComposeInput, type Composed } from './compose.js';
import { renderPlaceholders } from './placeholders.js';
import { headerProblem } from './headerCheck.js';
import { previewOf } from './preview.js';
import type { EnqueueFn } from './enqueueTypes.js';
import { submissionRelay } from './submission.js';

export type SourcesService = ReturnType<typeof sourcesService>;

const isUnique = (e: unknown) => /unique|duplicate/i.test(String((e as Error)?.message ?? ''));

export function sourcesService(s: EnqueueDeps, enqueue: EnqueueFn) {
  const { ctx } = s;
  const log = ctx.log.child({ mod: 'outbound.sources' });
  const templates = templatesRepo(ctx.db);
  const types = messageTypesRepo(ctx.db);
  const queue = queueViewRepo(ctx.db);
  const now = () => ctx.clock.now();

  /** `senders`: the From addresses an agent is limited to (auth/access); null for admins. */
  async function prepare(input: ComposeInput, senders: string[] | null = null): Promise<Composed> {
    const accounts = await queue.senderAccounts();
    const account = input.accountId ? accounts.find((a) => a.id === input.accountId) : accounts.find((a) => a.is_default && a.active) ?? accounts.find((a) => a.active);
    let template;
    if (input.templateId) {
      template = await templates.get(input.templateId);
      if (!template) throw invalid([{ field: 'templateId', message: 'No such template' }]);
    } else if (input.subject === undefined && input.html === undefined && input.text === undefined) {
      template = await templates.getDefault();
    }
    const messageTypeExists = input.messageTypeId ? Boolean(await types.get(input.messageTypeId)) : true;
    const r = compose(input, { account, template, now: now(), render: renderPlaceholders, messageTypeExists, senders });
    if (!r.ok) throw r.forbidden ? new AppError('forbidden', 'You may not send from this address', { fields: r.fields }) : invalid(r.fields);
    return r.value;
  }

  function templateFields(t: Partial<TemplateInput>, creating: boolean): FieldError[] {
    const f: FieldError[] = [];
    if (creating || t.name !== undefined) {
      if (!t.name?.trim()) f.push({ field: 'name', message: 'Name is required' });
      else if (t.name.length > 100) f.push({ field: 'name', message: 'At most 100 characters' });
    }
    if (creating || t.subject !== undefined) {
      const p = headerProblem(t.subject ?? '');
      if (p) f.push({ field: 'subject', message: p });
      else if (!t.subject?.trim()) f.push({ field: 'subject', message: 'Subject is required' });
    }
    if ((creating || t.html !== undefined) && !t.html?.trim()) f.push({ field: 'html', message: 'The HTML body is required' });
    return f;
  }

  return {
    templates: {
      list: (q: ListQuery) => templates.list(q),
      all: () => templates.all(),
      getDefault: () => templates.getDefault(),
      async get(id: number) { const t = await templates.get(id); if (!t) throw notFound('Template'); return t; },
      async create(t: TemplateInput) {
        const f = templateFields(t, true);
        if (t.name?.trim() && await templates.byName(t.name.trim())) f.push({ field: 'name', message: 'A template with this name exists' });
        if (f.length) throw invalid(f);
        const id = await templates.create({ ...t, name: t.name.trim(), subject: t.subject.trim(), text: t.text?.trim() ? t.text : null }, now());
        return (await templates.get(id))!;
      },
      async update(id: number, patch: Partial<TemplateInput>) {
        await this.get(id);
        const f = templateFields(patch, false); if (f.length) throw invalid(f);
        const other = patch.name ? await templates.byName(patch.name.trim()) : undefined;
        if (other && other.id !== id) throw invalid([{ field: 'name', message: 'A template with this name exists' }]);
        const clean = { ...patch, ...(patch.name ? { name: patch.name.trim() } : {}), ...(patch.text !== undefined ? { text: patch.text?.trim() ? patch.text : null } : {}) };
        await templates.update(id, clean, now());
        return (await templates.get(id))!;
      },
      async remove(id: number) { if (!(await templates.remove(id))) throw notFound('Template'); },
    },

    messageTypes: {
      list: (q: ListQuery) => types.list(q),
      all: () => types.all(),
      async get(id: number) { const t = await types.get(id); if (!t) throw notFound('Message type'); return t; },
      async create(t: { name: string; description?: string }) {
        const name = t.name?.trim() ?? '';
        if (!name || name.length > 64) throw invalid([{ field: 'name', message: name ? 'At most 64 characters' : 'Name is required' }]);
        if (await types.byName(name)) throw invalid([{ field: 'name', message: 'A message type with this name exists' }]);
        try {
          return (await types.get(await types.create({ name, description: (t.description ?? '').trim().slice(0, 300) }, now())))!;
        } catch (e) { if (isUnique(e)) throw conflict('A message type with this name exists'); throw e; }
      },
      async update(id: number, patch: { name?: string; description?: string }) {
        await this.get(id);
        const name = patch.name?.trim();
        if (patch.name !== undefined && (!name || name.length > 64)) throw invalid([{ field: 'name', message: name ? 'At most 64 characters' : 'Name is required' }]);
        const other = name ? await types.byName(name) : undefined;
        if (other && other.id !== id) throw invalid([{ field: 'name', message: 'A message type with this name exists' }]);
        await types.update(id, { ...(name ? { name } : {}), ...(patch.description !== undefined ? { description: patch.description.trim().slice(0, 300) } : {}) }, now());
        return (await types.get(id))!;
      },
      async remove(id: number) { if (!(await types.remove(id, now()))) throw notFound('Message type'); },
    },

    accounts: () => queue.senderAccounts(),

    /** Turns a stored submission into an outbound message (called by the inbound pipeline hook). */
    submission: submissionRelay(s, enqueue),

    /** Validates, stores one message and one queue row per recipient. Repeating an idempotency key queues nothing new. */
    async send(input: ComposeInput, by: { userId?: number | null; apiKeyId?: number | null; senders?: string[] | null } = {}) {
      const c = await prepare(input, by.senders ?? null);
      // Keys are scoped to the caller (API key or user) and hashed, so unique_key stays short.
      const scope = by.apiKeyId ? `k${by.apiKeyId}` : `u${by.userId ?? 0}`;
      const prefix = input.idempotencyKey
        ? `single:idem:${createHash('sha256').update(`${scope}\0${input.idempotencyKey}`).digest('base64url').slice(0, 22)}`
        : `single:${randomUUID()}`;
      const r = await enqueue(s, {
        message: {
          source: 'single', account_id: c.accountId, message_type_id: c.messageTypeId, from_addr: c.from, from_name: c.fromName,
          reply_to: c.replyTo, subject: c.subject, html: c.html, text: c.text, headers: null, bulk: false,
          created_by: by.userId ?? null, send_at: c.sendAt,
          attachments: c.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        },
        recipients: c.recipients,
        uniqueKeyPrefix: prefix,
      });
      log.info({ evt: 'outbound.single_queued', messageId: r.messageId, queued: r.queued, suppressed: r.suppressed, duplicates: r.duplicates }, 'single email queued');
      return { ...r, sendAt: c.sendAt, recipients: c.recipients };
    },

    /** What the recipient will see, through the same compose path as send. */
    async preview(input: ComposeInput, senders: string[] | null = null) {
      return previewOf(await prepare(input, senders), now());
    },

    queue: {
      list: (q: ListQuery, f: QueueFilters) => queue.list(q, f),
      counts: (f: QueueFilters = {}) => queue.countByState(f),
      /** `scope` (auth/access): rows outside it are as missing as absent ones. */
      async get(id: number, scope?: OutboundScope) {
        const row = await queue.get(id, scope);
        if (!row) throw notFound('Queue row');
        const [attempt_log, message] = await Promise.all([queue.attempts(id), queue.message(row.message_id)]);
        return { ...row, attempt_log, message };
      },
      attachment: (messageId: number, attId: number) => queue.attachment(messageId, attId),
      async retry(id: number, scope?: OutboundScope) {
        if (scope) await this.get(id, scope);
        if (await queue.retry(id, now())) { log.info({ evt: 'outbound.retry', id }, 'queue row retried by an operator'); return this.get(id); }
        const row = await queue.get(id);
        if (!row) throw notFound('Queue row');
        throw conflict(`Only failed or deferred rows can be retried (this one is ${row.state})`);
      },
      async cancel(id: number, scope?: OutboundScope) {
        if (scope) await this.get(id, scope);
        if (await queue.cancel(id, now())) { log.info({ evt: 'outbound.cancel', id }, 'queue row canceled by an operator'); return this.get(id); }
        const row = await queue.get(id);
        if (!row) throw notFound('Queue row');
        throw conflict(`Only queued or deferred rows can be canceled (this one is ${row.state})`);
      },
      async retryFailed(f: QueueFilters) {
        const n = await queue.retryFailed(f, now());
        log.info({ evt: 'outbound.retry_failed', n }, 'failed rows retried in bulk');
        return n;
      },
    },
  };
}

/** Parses queue filters from strings (query string of the API or UI). */
export function queueFiltersFrom(q: Record<string, unknown>): QueueFilters {
  const int = (v: unknown) => (v !== undefined && v !== '' && /^\d+$/.test(String(v)) ? Number(v) : undefined);
  const date = (v: unknown, endOfDay = false) => {
    if (v === undefined || v === '' || v === null) return undefined;
    const str = String(v);
    if (/^\d{10,}$/.test(str)) return Number(str);
    const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(str) ? `${str}T00:00:00Z` : str);
    if (!Number.isFinite(t)) throw new AppError('validation_failed', `Not a date: ${str.slice(0, 40)}`, { fields: [{ field: endOfDay ? 'until' : 'since', message: 'Not a date' }] });
    return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(str) ? t + 86_400_000 : t;
  };
  const state = q.state ? String(q.state) : undefined;
  if (state && !(QUEUE_STATES as readonly string[]).includes(state)) throw invalid([{ field: 'state', message: `One of ${QUEUE_STATES.join(', ')}` }]);
  return {
    state, accountId: int(q.accountId), source: q.source ? String(q.source) : undefined, messageTypeId: int(q.messageTypeId),
    messageId: int(q.messageId), recipient: q.recipient ? String(q.recipient) : undefined, search: q.q ? String(q.q).slice(0, 200) : undefined, since: date(q.since), until: date(q.until, true),
  };
}
