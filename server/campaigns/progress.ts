/*
 * Progress of a mass email for its page (read only): done of all members, and an ETA from the
 * send rate observed over the last minutes, or, before anything went out, from the pacing
 * settings (the hourly limit and one portion per minute-long run of the job).
 */
import type { Ctx } from '../context.js';
import { campaignProgressRepo } from '../db/repos/campaigns/progress.js';
import { FINAL_STATUSES, type MassEmailCounts, type MassEmailStatus } from './types.js';
import type { MassEmailSettings } from './pacing.js';

export const RATE_WINDOW_MS = 5 * 60_000;

export interface Progress {
  /** Members handled (sent, failed, skipped, cancelled) of all members (rows plus members that got no row). */
  done: number; max: number; percent: number;
  /** Rows still to go out. */
  remaining: number;
  /** Messages an hour the ETA assumes, and whether it was observed (else from the settings). */
  perHour: number; observed: boolean;
  /** When the last row should be out, or null (nothing left, not sending, or no rate). */
  etaAt: number | null;
  final: boolean;
}

/** Pure: the progress figures from the counts, the rows sent in the last RATE_WINDOW_MS and the settings. */
export function progressOf(status: MassEmailStatus, c: MassEmailCounts, sentRecently: number, st: Pick<MassEmailSettings, 'maxPerHour' | 'portionSize'>, now: number): Progress {
  const open = c.queued + c.sending + c.deferred;
  const rowsClosed = c.total - open - c.sent - c.failed - c.cancelled;
  const max = c.total + Math.max(0, c.skipped - rowsClosed);
  const done = c.sent + c.failed + c.cancelled + c.skipped;
  const percent = max ? Math.min(100, Math.floor((done / max) * 100)) : FINAL_STATUSES.includes(status) ? 100 : 0;
  const observed = sentRecently > 0;
  const planned = Math.min(st.portionSize * 60, st.maxPerHour || Infinity);
  const perHour = observed ? Math.round(sentRecently * (3_600_000 / RATE_WINDOW_MS)) : planned;
  const sending = status === 'in_process' || status === 'pending';
  const etaAt = sending && open > 0 && perHour > 0 ? now + Math.ceil((open / perHour) * 3_600_000) : null;
  return { done, max, percent, remaining: open, perHour, observed, etaAt, final: FINAL_STATUSES.includes(status) };
}

export function campaignProgress(s: { ctx: Ctx }) {
  const repo = campaignProgressRepo(s.ctx.db);
  return {
    massEmailsPerCampaign: (ids: number[]) => repo.massEmailsPerCampaign(ids),
    sentRecently: (massEmailId: number) => repo.sentSince(massEmailId, s.ctx.clock.now() - RATE_WINDOW_MS),
  };
}
