/*
 * The compose page: From (account + allowed address), To/CC/BCC, subject, HTML and text,
 * "insert template" (replaces subject and bodies), attachments (read by a small script into
 * base64 fields; without JavaScript the form works without them), preview, send now or later.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render } from './render.js';
import { requireUser, flash } from './session.js';
import { str, formErrors, type Body } from './forms.js';
import { invalid } from '../../errors.js';
import type { ComposeInput } from '../../outbound/sources/compose.js';
import { principalOf, senders, fromChoices } from '../../auth/access.js';
import { BODY_LIMITS } from '../limits.js';

const all = (b: Body, k: string) => { const v = b[k]; return Array.isArray(v) ? v.map(String) : v !== undefined ? [String(v)] : []; };
const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);

export function composeUi(app: FastifyInstance, s: Services) {
  const src = s.sources;
  const access = s.access;
  const scopeOf = (req: FastifyRequest) => access.scopeOf(principalOf(req.user!));

  /** `fromChoices` (agents only): the addresses the From select offers (auth/access.ts). */
  async function show(req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) {
    const [accounts, templates, types, scope] = await Promise.all([src.accounts(), src.templates.all(), src.messageTypes.all(), scopeOf(req)]);
    return render(req, reply, 'pages/compose/form.eta', { title: 'Compose', accounts, templates, types, fromChoices: fromChoices(scope, accounts), ...data });
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
      try { data = JSON.parse(v.data) as Record<string, unknown>; } catch { throw invalid([{ field: 'data', message: 'Placeholder values must be JSON, e.g. {"Person":{"firstName":"Ann"}}' }]); }
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw invalid([{ field: 'data', message: 'Placeholder values must be a JSON object' }]);
    }
    return {
      accountId: int(v.accountId) ?? null, from: v.from, fromName: v.fromName || undefined, replyTo: v.replyTo || undefined,
      to: v.to, cc: v.cc, bcc: v.bcc, subject: v.subject, html: v.html || undefined, text: v.text || undefined,
      messageTypeId: int(v.messageTypeId) ?? null, sendAt: v.sendAt || null, data, attachments: v.attachments,
    };
  }

  app.get('/compose', { preHandler: requireUser }, async (req, reply) => {
    const q = req.query as Record<string, string>;
    const accounts = await src.accounts();
    const account = accounts.find((a) => a.is_default && a.active) ?? accounts.find((a) => a.active);
    const tpl = q.templateId && int(q.templateId) ? await src.templates.get(int(q.templateId)!) : await src.templates.getDefault();
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
    try {
      if (action === 'insert') {
        const id = int(values.templateId);
        if (!id) throw invalid([{ field: 'templateId', message: 'Choose a template to insert' }]);
        const t = await src.templates.get(id);
        return show(req, reply, { values: { ...values, subject: t.subject, html: t.html, text: t.text ?? '' }, notice: `Template ${t.name} inserted` });
      }
      const input = inputOf(values);
      const limit = senders(await scopeOf(req));
      if (action === 'preview') return show(req, reply, { values, preview: await src.preview(input, limit) });
      const r = await src.send(input, { userId: req.user?.id ?? null, senders: limit });
      const when = r.sendAt ? ` for ${new Date(r.sendAt).toISOString().replace('T', ' ').slice(0, 16)} UTC` : '';
      flash(reply, 'ok', `Message ${r.messageId} queued${when}: ${r.queued} recipient(s)${r.suppressed ? `, ${r.suppressed} suppressed` : ''}`);
      return reply.redirect(`/admin/queue?messageId=${r.messageId}`, 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      // Attachment field errors are per index; show them on the attachments block.
      for (const k of Object.keys(fe.errors)) if (k.startsWith('attachments.')) fe.errors.attachments = `${fe.errors.attachments ?? ''} ${values.attachments[Number(k.split('.')[1])]?.filename ?? ''}: ${fe.errors[k]}`.trim();
      reply.status(400);
      return show(req, reply, { values, ...fe });
    }
  });
}
