/*
 * A mass email's page: status (and why it failed or paused), counts by state and skipped by
 * reason, a progress bar with an ETA that admin-ui/static/mass-email-progress.js refreshes from
 * …/progress (JSON), the preflight, the skipped members, the operator's actions (each shown when
 * it applies), a test send and, while draft or pending, the edit form.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin } from './session.js';
import { str, firstValues, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { SKIP_REASONS, type MassEmailRow, type MassEmailCounts } from '../../campaigns/types.js';
import { progressOf, type Progress } from '../../campaigns/progress.js';
import type { MessageKey, Messages } from '../../i18n/catalog.js';
import { massBodyFrom, massValuesFrom, massOptions, utcLocal } from './campaigns.js';
import { statsSection } from './campaignLog.js';

/** The actions the page offers for a mass email in its current state. */
export function actionsOf(m: MassEmailRow, c: MassEmailCounts): string[] {
  const out: string[] = [];
  if (m.status === 'draft') out.push('schedule');
  if (m.status === 'draft' || m.status === 'pending') out.push('start');
  if (m.status === 'pending' || m.status === 'in_process') out.push('pause');
  if (m.status === 'paused') out.push('resume');
  if (m.started_at && c.failed > 0 && ['in_process', 'complete', 'paused', 'failed'].includes(m.status)) out.push('retry-failed');
  if (['draft', 'pending', 'in_process', 'paused'].includes(m.status)) out.push('cancel');
  return out;
}

/** The texts the progress block shows, made on the server so the script only places them. */
export function progressTexts(m: MassEmailRow, c: MassEmailCounts, p: Progress, i: Messages) {
  const n = i.fmt.number;
  return {
    status: m.status, statusLabel: i.t(`massEmails.status.${m.status}` as MessageKey), statusReason: m.status_reason ?? '', final: p.final,
    percent: p.percent, done: p.done, max: p.max,
    summary: i.t('massEmails.progress.summary', { done: n(p.done), max: n(p.max), percent: p.percent, sent: n(c.sent), failed: n(c.failed), skipped: n(c.skipped) }),
    eta: p.etaAt ? i.t(p.observed ? 'massEmails.progress.etaObserved' : 'massEmails.progress.etaPlanned', { at: i.fmt.dateTime(p.etaAt), rate: n(p.perHour) })
      : p.final ? i.t('massEmails.progress.finished') : '',
    counts: Object.fromEntries((['total', 'queued', 'sending', 'sent', 'deferred', 'failed', 'cancelled', 'skipped'] as const).map((k) => [k, n(c[k])])),
  };
}

export function massEmailsUi(app: FastifyInstance, s: Services) {
  const c = s.campaigns;
  const progress = s.campaignProgress;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const base = (id: number) => `/admin/mass-emails/${id}`;

  const state = async (id: number) => {
    const [m, counts, settings] = await Promise.all([c.getMassEmail(id), c.counts(id), c.settings()]);
    const p = progressOf(m.status, counts, m.status === 'in_process' ? await progress.sentRecently(id) : 0, settings, s.ctx.clock.now());
    return { m, counts, p };
  };
  const values = (m: MassEmailRow) => ({
    name: m.name, startAt: utcLocal(m.start_at), templateId: m.template_id, accountId: m.account_id, fromAddress: m.from_addr, fromName: m.from_name,
    replyTo: m.reply_to ?? '', tracking: m.tracking, trackLinks: m.track_links, targetListIds: m.target_list_ids, excludingTargetListIds: m.excluding_target_list_ids,
  });
  const pageData = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const { m, counts, p } = await state(idOf(req));
    const query = firstValues(req.query);
    const [campaign, problems, skips, options] = await Promise.all([
      c.getCampaign(m.campaign_id), c.preflight(m.id), c.skips(m.id, { ...listQueryFrom(query, ['reason']) }), massOptions(s),
    ]);
    const i = tr(req);
    return {
      title: m.name, me: m, campaign, counts, progress: p, texts: progressTexts(m, counts, p, i), problems, skips, query, reasons: SKIP_REASONS,
      links: listLinks(base(m.id), query, skips), actions: actionsOf(m, counts), editable: m.status === 'draft' || m.status === 'pending',
      mass: values(m), massErrors: {}, ...options, stats: await statsSection(s, req, 'm', m.id), ...data,
    };
  };
  app.get('/mass-emails/:id', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/campaigns/mass-email.eta', await pageData(req)));
  app.get('/mass-emails/:id/progress', { preHandler: requireUser }, async (req, reply) => {
    const { m, counts, p } = await state(idOf(req));
    reply.header('cache-control', 'no-store');
    return progressTexts(m, counts, p, tr(req));
  });

  app.post('/mass-emails/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    return formAction(reply, {
      act: () => c.updateMassEmail(id, massBodyFrom(b)),
      done: (m) => ({ to: base(id), flash: tr(req).t(m.status === 'pending' ? 'massEmails.flash.scheduled' : 'massEmails.flash.saved', { name: m.name }) }),
      retry: async (fe) => render(req, reply, 'pages/campaigns/mass-email.eta', await pageData(req, { mass: massValuesFrom(b), massErrors: fe.errors, massError: fe.error })),
    });
  });

  const action = (name: string, run: (id: number, req: FastifyRequest) => Promise<string>) =>
    app.post(`/mass-emails/:id/${name}`, { preHandler: requireAdmin }, async (req: FastifyRequest, reply: FastifyReply) => {
      const id = idOf(req);
      return formAction(reply, { act: () => run(id, req), done: (msg) => ({ to: base(id), flash: msg }), retry: (fe) => back(reply, base(id), actionError(fe)) });
    });
  const actionError = (fe: { errors: Record<string, string>; error: string }) => {
    const fields = Object.values(fe.errors);
    return fields.length > 1 || (fields.length === 1 && fe.error === 'Some fields are not valid') ? fields.join('; ') : fe.error;
  };
  action('schedule', async (id, req) => tr(req).t('massEmails.flash.scheduled', { name: (await c.schedule(id)).name }));
  action('start', async (id, req) => {
    let m = await c.schedule(id);
    if (m.start_at && m.start_at > s.ctx.clock.now()) m = await c.updateMassEmail(id, { startAt: s.ctx.clock.now() });
    // Start it now rather than at the job's next minute; a run in progress anywhere picks it up just the same.
    await s.scheduler.runNow('send-mass-emails').catch(() => undefined);
    return tr(req).t('massEmails.flash.started', { name: m.name });
  });
  action('pause', async (id, req) => tr(req).t('massEmails.flash.paused', { name: (await c.pause(id, 'Paused by an operator')).name }));
  action('resume', async (id, req) => tr(req).t('massEmails.flash.resumed', { name: (await c.resume(id)).name }));
  action('cancel', async (id, req) => tr(req).t('massEmails.flash.cancelled', { name: (await c.cancel(id)).name }));
  action('retry-failed', async (id, req) => tr(req).t('massEmails.flash.retried', { n: tr(req).fmt.number((await c.retryFailed(id)).retried) }));
  action('test', async (id, req) => {
    const addresses = str(req.body as Body, 'addresses').split(/[\s,;]+/).filter(Boolean);
    const r = await s.testSend(id, { addresses }, req.user?.id ?? null);
    return tr(req).t('massEmails.flash.testQueued', { to: r.recipients.join(', ') });
  });
  app.post('/mass-emails/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const m = await c.getMassEmail(idOf(req));
    return formAction(reply, {
      act: () => c.removeMassEmail(m.id),
      done: () => ({ to: `/admin/campaigns/${m.campaign_id}`, flash: tr(req).t('massEmails.flash.deleted', { name: m.name }) }),
      retry: (fe) => back(reply, base(m.id), fe.error),
    });
  });
}
