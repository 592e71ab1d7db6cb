/*
 * The compose service: single emails, sent or previewed through the same path (validate
 * with compose.ts, placeholders from lib/placeholders.ts, then enqueue or preview.ts).
 * Adapters (API, UI) call only this; delivery is the delivery core's.
 */
import { randomUUID } from 'node:crypto';
import { idempotencyHash } from '../../lib/idempotency.js';
import type { EnqueueDeps, EnqueueFn } from '../enqueue.js';
import { AppError, invalid } from '../../errors.js';
import type { AccountsService } from '../accounts/service.js';
import type { TemplatesService, MessageTypesService } from '../templates/service.js';
import { renderPlaceholders } from '../../lib/placeholders.js';
import { compose, type ComposeInput, type Composed } from './compose.js';
import { previewOf } from './preview.js';
import { accountForFrom } from '../accounts/choose.js';

export type ComposeService = ReturnType<typeof composeService>;
export interface ComposeDeps extends EnqueueDeps {
  accounts: Pick<AccountsService, 'senderAccounts'>;
  templates: Pick<TemplatesService, 'find' | 'getDefault'>;
  messageTypes: Pick<MessageTypesService, 'find'>;
}
/** Who sends: the user or API key (scopes idempotency keys) and, for agents, the From addresses allowed (auth/access). */
export interface Sender { userId?: number | null; apiKeyId?: number | null; senders?: string[] | null }

export function composeService(s: ComposeDeps, enqueue: EnqueueFn) {
  const log = s.ctx.log.child({ mod: 'outbound.compose' });
  const now = () => s.ctx.clock.now();

  /** `senders`: the From addresses an agent is limited to (auth/access); null for admins. */
  async function prepare(input: ComposeInput, senders: string[] | null = null): Promise<Composed> {
    const accounts = await s.accounts.senderAccounts();
    // Without a chosen account: the one that is this From's own (an IMAP account's SMTP side), else the default.
    const account = input.accountId ? accounts.find((a) => a.id === input.accountId) : accountForFrom(input.from, accounts);
    let template;
    if (input.templateId) {
      template = await s.templates.find(input.templateId);
      if (!template) throw invalid([{ field: 'templateId', message: 'No such template' }]);
    } else if (input.subject === undefined && input.html === undefined && input.text === undefined) {
      template = await s.templates.getDefault();
    }
    const messageTypeExists = input.messageTypeId ? Boolean(await s.messageTypes.find(input.messageTypeId)) : true;
    const r = compose(input, { account, template, now: now(), render: renderPlaceholders, messageTypeExists, senders });
    if (!r.ok) throw r.forbidden ? new AppError('forbidden', 'You may not send from this address', { fields: r.fields }) : invalid(r.fields);
    return r.value;
  }

  return {
    /** Validates, stores one message and one queue row per recipient. Repeating an idempotency key queues nothing new. */
    async send(input: ComposeInput, by: Sender = {}) {
      const c = await prepare(input, by.senders ?? null);
      // Keys are scoped to the caller (API key or user) and hashed, so unique_key stays short.
      const scope = by.apiKeyId ? `k${by.apiKeyId}` : `u${by.userId ?? 0}`;
      const prefix = input.idempotencyKey
        ? `single:idem:${idempotencyHash(scope, input.idempotencyKey).slice(0, 22)}`
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
  };
}
