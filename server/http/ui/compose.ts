/*
 * The compose page: From (account + allowed address), To/CC/BCC, subject, HTML and text,
 * "insert template" (replaces subject and bodies), attachments (read by a small script into
 * base64 fields; without JavaScript the form works without them), preview, send now or later.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';
import { invalid } from '../../errors.js';
import type { ComposeInput } from '../../outbound/compose/compose.js';
import { principalOf, senders, fromChoices } from '../../auth/access.js';
import { BODY_LIMITS } from '../limits.js';

const all = (b: Body, k: string) => { const v = b[k]; return Array.isArray(v) ? v.map(String) : v !== undefined ? [String(v)] : []; };
const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);

export function composeUi(app: FastifyInstance, s: Services) {
  const access = s.access;
  const scopeOf = (req: FastifyRequest) => access.scopeOf(principalOf(req.user!));

  /** `fromChoices` (agents only): the addresses the From select offers (auth/access.ts). */
  async function show(req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) {
    const [accounts, templates, types, scope] = await Promise.all([s.accounts.senderAccounts(), s.templates.all(), s.messageTypes.all(), scopeOf(req)]);
    return render(req, reply, 'pages/compose/form.eta', { title: tr(req).t('compose.title'), accounts, templates, types, fromChoices: fromChoices(scope, accounts), ...data });
  }

  function valuesOf(b: Body) {
    const names = all(b, 'att_name'), typesOf = all(b, 'att_type'), datas = all(b, 'att_data');
    return {
      accountId: str(b, 'accountId'), from: str(b, 'from'), fromName: str(b, 'fromName'), replyTo: str(b, 'replyTo'),
      to: str(b, 'to'), cc: str(b, 'cc'), bcc: str(b, 'bcc'), subject: str(b, 'subject'), html: str(b, 'html'), text: str(b, 'text'),
      templateId: str(b, 'templateId'), messageTypeId: str(b, 'messageTypeId'), sendAt: str(b, 'sendAt'), data: str(b, 'data'),
      attachments: names.map((filename, i) => ({ filename, contentType: typesOf[i] ?? '', contentBase64: datas[i] ?? '' })).filter((a) => a.filename),
    };
  }
  type Values = ReturnType<typeof valuesOf>;

  function inputOf(v: Values): ComposeInput {
    let data: Record<string, unknown> | undefined;
    if (v.data.trim()) {
      try { data = JSON.parse(v.data) as Record<string, unknown>; } catch { throw invalid([{ field: 'data', message: 'Placeholder values must be JSON, e.g. {"Person":{"firstName":"Ann"}}', key: 'compose.error.dataJson' }]); }
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw invalid([{ field: 'data', message: 'Placeholder values must be a JSON object', key: 'compose.error.dataObject' }]);
    }
    return {
      accountId: int(v.accountId) ?? null, from: v.from, fromName: v.fromName || undefined, replyTo: v.replyTo || undefined,
      to: v.to, cc: v.cc, bcc: v.bcc, subject: v.subject, html: v.html || undefined, text: v.text || undefined,
      messageTypeId: int(v.messageTypeId) ?? null, sendAt: v.sendAt || null, data, attachments: v.attachments,
    };
  }

  app.get('/compose', { preHandler: requireUser }, async (req, reply) => {
    const q = req.query as Record<string, string>;
    const accounts = await s.accounts.senderAccounts();
    const account = accounts.find((a) => a.is_default && a.active) ?? accounts.find((a) => a.active);
    const tpl = q.templateId && int(q.templateId) ? await s.templates.get(int(q.templateId)!) : await s.templates.getDefault();
    const choices = fromChoices(await scopeOf(req), accounts);
    const from = choices ? choices[0] ?? '' : account?.allowed_from.find((x) => x.includes('@')) ?? '';
    return show(req, reply, {
      values: {
        accountId: account ? String(account.id) : '', from, fromName: account?.from_name ?? '', to: q.to ?? '',
        templateId: tpl ? String(tpl.id) : '', subject: tpl?.subject ?? '', html: tpl?.html ?? '', text: tpl?.text ?? '',
        messageTypeId: account?.message_type_id ? String(account.message_type_id) : '', attachments: [],
      },
    });
  });

  app.post('/compose', { bodyLimit: BODY_LIMITS.upload, preHandler: requireUser }, async (req, reply) => {
    const b = req.body as Body;
    const values = valuesOf(b);
    const action = str(b, 'action') || 'send';
    const { t, fmt, timeZone } = tr(req);
    // Insert and preview stay on the page; send goes to the queue rows of the new message.
    return formAction(reply, {
      act: async () => {
        if (action === 'insert') {
          const id = int(values.templateId);
          if (!id) throw invalid([{ field: 'templateId', message: 'Choose a template to insert', key: 'compose.error.chooseTemplate' }]);
          return { inserted: await s.templates.get(id) };
        }
        const input = inputOf(values);
        const limit = senders(await scopeOf(req));
        if (action === 'preview') return { preview: await s.compose.preview(input, limit) };
        return { sent: await s.compose.send(input, { userId: req.user?.id ?? null, senders: limit }) };
      },
      done: ({ inserted: tpl, preview, sent: r }) => {
        if (tpl) {
          return { show: () => show(req, reply, { values: { ...values, subject: tpl.subject, html: tpl.html, text: tpl.text ?? '' }, notice: t('compose.inserted', { name: tpl.name }) }) };
        }
        if (!r) return { show: () => show(req, reply, { values, preview }) };
        const p = { id: r.messageId, queued: fmt.number(r.queued), when: `${fmt.dateTime(r.sendAt)} ${timeZone}` };
        const msg = t(r.sendAt ? 'compose.flash.queuedAt' : 'compose.flash.queued', p);
        return { to: `/admin/queue?messageId=${r.messageId}`, flash: r.suppressed ? t('compose.flash.withSuppressed', { message: msg, n: fmt.number(r.suppressed) }) : msg };
      },
      retry: (fe) => {
        // Attachment field errors are per index; show them on the attachments block.
        for (const k of Object.keys(fe.errors)) {
          if (k.startsWith('attachments.')) fe.errors.attachments = `${fe.errors.attachments ?? ''} ${values.attachments[Number(k.split('.')[1])]?.filename ?? ''}: ${fe.errors[k]}`.trim();
        }
        return show(req, reply, { values, ...fe });
      },
    });
  });
}
