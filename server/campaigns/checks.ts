/*
 * Gathers the facts preflight.ts judges for one mass email: its account and whether it may
 * send as the From address, the From domain's DKIM key, the bounce domain its return path
 * uses, the template's opt-out link, the campaign type and the size of the target lists.
 */
import type { Ctx } from '../context.js';
import type { AccountsService } from '../outbound/accounts/service.js';
import type { DkimService } from '../outbound/dkim/service.js';
import type { TemplatesService } from '../outbound/templates/service.js';
import type { TargetListsService } from '../targetLists/service.js';
import type { Directory } from '../inbound/directory.js';
import { campaignsRepo } from '../db/repos/campaigns/campaigns.js';
import { settingsRepo } from '../db/repos/settings.js';
import { fromProblem } from '../auth/access.js';
import { hasOptOutLink } from './render/compile.js';
import { DEFAULT_SETTINGS, type MassEmailSettings } from './pacing.js';
import { pickBounceDomain, preflight, type PreflightProblem } from './preflight.js';
import type { MassEmailRow } from './types.js';

export interface CheckDeps {
  ctx: Ctx; accounts: AccountsService; dkim: DkimService; templates: TemplatesService; targetLists: TargetListsService; directory: Pick<Directory, 'bounceDomains'>;
}

export function preflightChecker(s: CheckDeps) {
  const campaigns = campaignsRepo(s.ctx.db);
  const settings = settingsRepo(s.ctx.db);
  return async (me: MassEmailRow): Promise<PreflightProblem[]> => {
    const [account, template, campaign, set, domains] = await Promise.all([
      me.account_id ? s.accounts.repo.get(me.account_id) : undefined,
      me.template_id ? s.templates.find(me.template_id) : undefined,
      campaigns.get(me.campaign_id),
      settings.get<MassEmailSettings>('massEmail', DEFAULT_SETTINGS),
      s.directory.bounceDomains(),
    ]);
    const domain = me.from_addr.slice(me.from_addr.lastIndexOf('@') + 1).toLowerCase();
    let audience = 0;
    for (const id of me.target_list_ids) {
      // A dynamic list is evaluated when the mass email starts: count what its criteria match now.
      const l = await s.targetLists.find(id);
      if (l) audience += l.kind === 'dynamic' ? (await s.targetLists.previewEvaluation(id)).matches : (await s.targetLists.counts(id)).total;
    }
    return preflight({
      account: account ? { name: account.name, active: account.active, paused_reason: account.paused_reason ?? null, fromProblem: fromProblem(me.from_addr, null, account) } : null,
      fromAddr: me.from_addr,
      dkimKey: Boolean(await s.dkim.signerFor(domain)),
      bounceDomain: pickBounceDomain(me.from_addr, domains),
      informational: campaign?.type === 'informational',
      template: { found: Boolean(template), hasOptOutLink: template ? hasOptOutLink({ subject: template.subject, html: template.html, text: template.text ?? null }) : false },
      optOutMandatory: set.optOutMandatory,
      audience,
    });
  };
}
