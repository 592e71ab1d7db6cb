/*
 * A campaign's tracking URLs in the admin UI: the section of the campaign page (name,
 * destination, the `{trackingUrl:ID}` code to paste, unique human clicks), its own page
 * (/admin/campaigns/:id/tracking-urls, where a rejected add or edit comes back with its
 * errors), add, edit and delete; and the tracking privacy switch of the mass email settings.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser, requireAdmin } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import type { TrackingUrlRow } from '../../db/repos/tracking/urls.js';

export interface TrackingUrlView { id: number; name: string; url: string; code: string; clicks: number; machineClicks: number }

/** The tracking URLs of a campaign with their unique clicks (people; machines apart). */
export async function trackingUrlsOf(s: Services, campaignId: number, counters?: Record<string, number>): Promise<TrackingUrlView[]> {
  const [urls, c] = await Promise.all([s.tracking.listUrls(campaignId), counters ? Promise.resolve(counters) : s.tracking.stats('c', campaignId)]);
  return urls.map((u: TrackingUrlRow) => ({
    id: u.id, name: u.name, url: u.url, code: `{trackingUrl:${u.id}}`, clicks: Number(c[`click:u${u.id}`] ?? 0), machineClicks: Number(c[`click_machine:u${u.id}`] ?? 0),
  }));
}

export function trackingUrlsUi(app: FastifyInstance, s: Services) {
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const pageOf = (campaignId: number) => `/admin/campaigns/${campaignId}/tracking-urls`;

  const show = async (req: FastifyRequest, reply: Parameters<typeof render>[1], campaignId: number, data: Record<string, unknown> = {}) => {
    const campaign = await s.campaigns.getCampaign(campaignId);
    return render(req, reply, 'pages/campaigns/tracking-urls-page.eta', {
      title: tr(req).t('tracking.urls.pageTitle', { name: campaign.name }), campaign, urls: await trackingUrlsOf(s, campaign.id), urlValues: {}, urlErrors: {}, ...data,
    });
  };
  app.get('/campaigns/:id/tracking-urls', { preHandler: requireUser }, async (req, reply) => show(req, reply, idOf(req)));
  app.post('/campaigns/:id/tracking-urls', { preHandler: requireAdmin }, async (req, reply) => {
    const campaign = await s.campaigns.getCampaign(idOf(req));
    const b = req.body as Body;
    const values = { name: str(b, 'name'), url: str(b, 'url') };
    const backTo = str(b, 'from') === 'campaign' ? `/admin/campaigns/${campaign.id}` : pageOf(campaign.id);
    return formAction(reply, {
      act: () => s.tracking.createUrl(campaign.id, values),
      done: (u) => ({ to: backTo, flash: tr(req).t('tracking.urls.flash.created', { name: u.name, code: `{trackingUrl:${u.id}}` }) }),
      retry: async (fe) => show(req, reply, campaign.id, { urlValues: values, urlErrors: translated(req, fe.errors), urlError: fe.error }),
    });
  });
  app.post('/tracking-urls/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const u = await s.tracking.getUrl(idOf(req));
    const b = req.body as Body;
    const values = { name: str(b, 'name'), url: str(b, 'url') };
    return formAction(reply, {
      act: () => s.tracking.updateUrl(u.id, values),
      done: (x) => ({ to: pageOf(u.campaign_id), flash: tr(req).t('tracking.urls.flash.saved', { name: x.name }) }),
      retry: async (fe) => show(req, reply, u.campaign_id, { editId: u.id, editValues: values, editErrors: translated(req, fe.errors) }),
    });
  });
  app.post('/tracking-urls/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const u = await s.tracking.getUrl(idOf(req));
    return formAction(reply, {
      act: () => s.tracking.removeUrl(u.id),
      done: () => ({ to: pageOf(u.campaign_id), flash: tr(req).t('tracking.urls.flash.deleted', { name: u.name }) }),
      retry: (fe) => back(reply, pageOf(u.campaign_id), fe.error),
    });
  });

  // The privacy switch (shown on the mass email settings page).
  app.post('/settings/tracking', { preHandler: requireAdmin }, async (req, reply) => {
    const privacy = bool(req.body as Body, 'privacy');
    return formAction(reply, {
      act: () => s.tracking.setSettings({ privacy }),
      done: (x) => ({ to: '/admin/settings/mass-email', flash: tr(req).t(x.privacy ? 'tracking.privacy.on' : 'tracking.privacy.off') }),
      retry: (fe) => back(reply, '/admin/settings/mass-email', fe.error),
    });
  });
}

/** The service's English field messages for a tracking URL, in the user's language. */
function translated(req: FastifyRequest, errors: Record<string, string>): Record<string, string> {
  const { t } = tr(req);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(errors)) out[k] = k === 'name' ? t('tracking.urls.error.name') : k === 'url' ? t('tracking.urls.error.url') : v;
  return out;
}
