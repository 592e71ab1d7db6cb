/*
 * Pacing of mass email (pure): how many messages a run of the "Send mass emails" job may
 * release, and whether the send window is open. The hourly limit holds in every sliding
 * 60-minute window because the released counts of the last hour are summed from the database
 * (every node sees the same figure) before a portion goes out.
 */

export interface SendWindow {
  /** ISO weekdays the window is open on (1 = Monday … 7 = Sunday). */
  days: number[];
  /** Local times "HH:MM"; `to` is exclusive. `from` > `to` spans midnight. */
  from: string; to: string;
  timeZone: string;
}

export interface MassEmailSettings {
  /** Messages released per sliding hour across all mass emails (0 = no limit). */
  maxPerHour: number;
  /** Messages one run of the job releases at most. */
  portionSize: number;
  /** null: send at any time. */
  sendWindow: SendWindow | null;
  /** Append an opt-out link to non-informational mail whose template has none. */
  optOutMandatory: boolean;
  /** Pause when hard bounces exceed this share of the first `bounceSample` attempts. */
  maxHardBounceRate: number; bounceSample: number;
  /** Pause when complaints exceed this share of the sent messages (checked once `complaintMinSent` went out). */
  maxComplaintRate: number; complaintMinSent: number;
}

/**
 * 20,000 an hour (5.6 a second) is within what common relay plans allow from the start (SES
 * starts at 14/s) and sends a 100,000-recipient newsletter in five hours; the EspoCRM default of
 * 100 an hour would take six weeks. 500 per run with the job every minute spreads the hour's
 * budget over the hour instead of one burst. The guard thresholds are those mailbox providers
 * publish as the edge of acceptable: 0.1 % complaints (Gmail, Yahoo), a few % hard bounces.
 */
export const DEFAULT_SETTINGS: MassEmailSettings = {
  maxPerHour: 20_000, portionSize: 500, sendWindow: null, optOutMandatory: true,
  maxHardBounceRate: 0.05, bounceSample: 1000, maxComplaintRate: 0.001, complaintMinSent: 1000,
};

/** How many messages this run may release. */
export function allowance(s: Pick<MassEmailSettings, 'maxPerHour' | 'portionSize'>, releasedInWindow: number): number {
  const portion = Math.max(0, Math.floor(s.portionSize));
  if (!s.maxPerHour) return portion;
  return Math.max(0, Math.min(portion, Math.floor(s.maxPerHour) - releasedInWindow));
}

const minutes = (hhmm: string) => { const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm); return m ? Number(m[1]) * 60 + Number(m[2]) : NaN; };
const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The weekday (1–7) and minute of the day at `now` in `timeZone`. */
export function localTime(now: number, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: WEEKDAY[get('weekday')] ?? 0, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Whether mail may go out at `now`; a window that spans midnight belongs to the day it opened. */
export function inSendWindow(now: number, w: SendWindow | null): boolean {
  if (!w) return true;
  const { day, minute } = localTime(now, w.timeZone);
  const from = minutes(w.from); const to = minutes(w.to);
  if (from === to) return w.days.includes(day);
  if (from < to) return w.days.includes(day) && minute >= from && minute < to;
  const prev = day === 1 ? 7 : day - 1;
  return (w.days.includes(day) && minute >= from) || (w.days.includes(prev) && minute < to);
}

/** A problem with a send window as an admin typed it, or null. */
export function sendWindowProblem(w: SendWindow): string | null {
  if (!Array.isArray(w.days) || !w.days.length || w.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) return 'days must be weekdays 1 (Monday) to 7 (Sunday)';
  for (const t of [w.from, w.to]) { const m = minutes(t); if (!(m >= 0 && m < 24 * 60)) return 'times are HH:MM from 00:00 to 23:59'; }
  try { new Intl.DateTimeFormat('en', { timeZone: w.timeZone }); } catch { return 'unknown time zone'; }
  return null;
}

/** Why the reputation guard pauses a mass email, or null to go on. */
export function guardVerdict(s: MassEmailSettings, r: { attempted: number; hard: number; sent: number; complaints: number; senderBlocked: string | null }): string | null {
  if (r.senderBlocked) return `an upstream reports our sender blocked (${r.senderBlocked})`;
  // Judge bounces once a tenth of the sample went out (100 of 1,000): 2 bounces in 10 say nothing.
  if (r.attempted >= Math.max(1, Math.ceil(s.bounceSample / 10)) && r.hard / r.attempted > s.maxHardBounceRate) {
    return `hard bounces ${r.hard} of the first ${r.attempted} (over ${(s.maxHardBounceRate * 100).toFixed(1)} %)`;
  }
  if (r.sent >= s.complaintMinSent && r.complaints / r.sent > s.maxComplaintRate) {
    return `complaints ${r.complaints} of ${r.sent} sent (over ${(s.maxComplaintRate * 100).toFixed(2)} %)`;
  }
  return null;
}
