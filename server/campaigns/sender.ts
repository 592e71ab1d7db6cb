/*
 * The "Send mass emails" job: starts the mass emails whose time has come (preflight, dynamic
 * lists evaluated, the template frozen into one message row, the audience expanded), then
 * releases portions to the delivery queue under the hourly limit and the send window, pauses a
 * mass email whose reputation figures cross the guard, and completes the ones with no open row.
 * Runs under the scheduler's DB lease: one node per tick.
 */
import type { Ctx } from '../context.js';
import { massEmailsRepo } from '../db/repos/campaigns/massEmails.js';
import { massQueueRepo } from '../db/repos/outbound/mass.js';
import { campaignRecipientsRepo } from '../db/repos/campaigns/recipients.js';
import type { SuppressionService } from '../suppression/service.js';
import type { TargetListsService } from '../targetLists/service.js';
import type { TemplatesService } from '../outbound/templates/service.js';
import type { AccountsService } from '../outbound/accounts/service.js';
import type { CampaignsService } from './service.js';
import type { PreflightProblem } from './preflight.js';
import type { MassEmailRow } from './types.js';
import { allowance, guardVerdict, inSendWindow, type MassEmailSettings } from './pacing.js';
import { isAppError } from '../errors.js';
import { createExpander } from './expand.js';
import { stateChanged } from './service.js';
import type { MassEmailStateObserver } from '../operations/types.js';

export interface SenderDeps {
  ctx: Ctx; campaigns: CampaignsService; targetLists: TargetListsService; templates: TemplatesService; accounts: AccountsService;
  suppressions: SuppressionService; preflightOf: (me: MassEmailRow) => Promise<PreflightProblem[]>;
  /** Told when the job starts, completes or fails a mass email (pauses by the guard go through campaigns.pause). */
  onState?: MassEmailStateObserver;
}
export interface SendRun { started: number; failed: number; released: number; completed: number; paused: number }

export function createMassSender(s: SenderDeps, o: { expandBatch?: number } = {}) {
  const mass = massEmailsRepo(s.ctx.db);
  const queue = massQueueRepo(s.ctx.db);
  const recipients = campaignRecipientsRepo(s.ctx.db);
  const expander = createExpander(s, { batchSize: o.expandBatch });
  const log = s.ctx.log.child({ mod: 'campaigns' });
  const now = () => s.ctx.clock.now();

  /** pending → in_process, or failed with the preflight's reasons. */
  async function start(id: number): Promise<boolean> {
    const me = await mass.get(id);
    if (!me || me.status !== 'pending') return false;
    const problems = await s.preflightOf(me);
    if (problems.length) {
      const reason = problems.map((p) => p.message).join('; ');
      await mass.transition(id, ['pending'], 'failed', now(), { status_reason: reason.slice(0, 2000), completed_at: now() });
      log.warn({ evt: 'mass_email.state', massEmailId: id, status: 'failed', reason }, 'mass email failed its preflight');
      await stateChanged(s.onState, log, me, 'failed', 'failed', reason);
      return false;
    }
    if (!(await mass.transition(id, ['pending'], 'in_process', now(), { started_at: now(), status_reason: null }))) return false;
    log.info({ evt: 'mass_email.state', massEmailId: id, status: 'in_process' }, 'mass email started');
    await stateChanged(s.onState, log, me, 'in_process', 'started');
    return true;
  }

  /** The message row the rows render from: the template as it is now, made once (a crash before it was noted makes it again). */
  async function ensureMessage(me: MassEmailRow): Promise<{ messageId: number; accountId: number; messageTypeId: number | null }> {
    const account = await s.accounts.get(me.account_id!);
    if (me.message_id) return { messageId: me.message_id, accountId: account.id, messageTypeId: account.message_type_id };
    // Dynamic lists are evaluated once, when the mass email starts.
    await s.targetLists.evaluateForSend([...me.target_list_ids, ...me.excluding_target_list_ids]);
    const t = await s.templates.get(me.template_id!);
    const messageId = await queue.createMessage({
      source: 'campaign', source_id: me.id, account_id: account.id, message_type_id: account.message_type_id, from_addr: me.from_addr,
      from_name: me.from_name, reply_to: me.reply_to, subject: t.subject, html: t.html, text: t.text, headers: null, bulk: true, created_by: me.created_by, send_at: null,
    }, now());
    await mass.setCheckpoint(me.id, null, now(), { message_id: messageId });
    return { messageId, accountId: account.id, messageTypeId: account.message_type_id };
  }

  /** Releases up to `n` held rows of a mass email; rows blocked or opted out meanwhile are closed instead. */
  async function release(me: MassEmailRow, n: number): Promise<{ released: number; handled: number }> {
    const rows = await queue.nextHeld(me.id, n);
    if (!rows.length) return { released: 0, handled: 0 };
    const addresses = rows.map((r) => r.recipient);
    const [blocked, optedOut] = await Promise.all([s.suppressions.blockedAmong(addresses), recipients.optedOut(addresses)]);
    const suppress: Array<{ id: number; reason: string }> = [];
    const ids: number[] = [];
    for (const r of rows) {
      if (optedOut.has(r.recipient)) suppress.push({ id: r.id, reason: 'opted_out' });
      else if (blocked.has(r.recipient)) suppress.push({ id: r.id, reason: 'blocked' });
      else ids.push(r.id);
    }
    const released = await queue.release(me.id, ids, suppress, now());
    log.info({ evt: 'mass_email.released', massEmailId: me.id, released, suppressed: suppress.length }, 'portion released');
    return { released, handled: released + suppress.length };
  }

  /** One in-process mass email in one run: expand if needed, judge its reputation, release, complete. */
  async function step(row: MassEmailRow, settings: MassEmailSettings, open: boolean, budget: number) {
    let me = row;
    if (!me.expanded_at) {
      const m = await ensureMessage(me);
      await expander.run({ me: (await mass.get(me.id))!, ...m });
      me = (await mass.get(me.id))!;
    }
    const verdict = guardVerdict(settings, await mass.reputation(me.id, settings.bounceSample));
    if (verdict) {
      await s.campaigns.pause(me.id, `Paused automatically: ${verdict}`).catch(() => {});
      log.warn({ evt: 'mass_email.guard_paused', massEmailId: me.id, reason: verdict }, 'mass email paused by the reputation guard');
      return { released: 0, paused: true, completed: false };
    }
    // Rows closed at release (blocked meanwhile) use no budget: loop until the budget is spent or no row is held.
    let released = 0;
    while (open && budget - released > 0) {
      const r = await release(me, budget - released);
      if (!r.handled) break;
      released += r.released;
    }
    const completed = !(await mass.hasOpenRows(me.id)) && await mass.transition(me.id, ['in_process'], 'complete', now(), { completed_at: now() });
    if (completed) {
      log.info({ evt: 'mass_email.state', massEmailId: me.id, status: 'complete' }, 'mass email complete');
      await stateChanged(s.onState, log, me, 'complete', 'completed');
    }
    return { released, paused: false, completed };
  }

  return {
    start,
    /** One run of the job. */
    async run(): Promise<SendRun> {
      const out: SendRun = { started: 0, failed: 0, released: 0, completed: 0, paused: 0 };
      for (const id of await mass.due(now())) { if (await start(id)) out.started++; else out.failed++; }
      const settings = await s.campaigns.settings();
      let budget = allowance(settings, await queue.releasedInWindow(now()));
      const open = inSendWindow(now(), settings.sendWindow);
      for (const row of await mass.inProcess()) {
        try {
          const r = await step(row, settings, open, budget);
          budget -= r.released;
          out.released += r.released;
          if (r.paused) out.paused++;
          if (r.completed) out.completed++;
        } catch (e) {
          // One broken mass email (its template or account deleted) must not stop the others.
          if (isAppError(e) && e.status < 500) {
            const failed = await mass.transition(row.id, ['in_process'], 'failed', now(), { status_reason: e.message.slice(0, 2000), completed_at: now() });
            await queue.cancel(row.id, now());
            if (failed) await stateChanged(s.onState, log, row, 'failed', 'failed', e.message);
            log.warn({ evt: 'mass_email.state', massEmailId: row.id, status: 'failed', reason: e.message }, 'mass email failed');
          } else log.error({ evt: 'mass_email.run_failed', massEmailId: row.id, err: e }, 'mass email run failed; the next run tries again');
        }
      }
      return out;
    },
  };
}
