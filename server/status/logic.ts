/*
 * Pure rules of the status page and the dashboard: the state of a mail source, the series
 * of the charts from the hourly counters, outcome shares, rates against the bulk sender
 * thresholds, and the alerts. No I/O: counters in, verdicts out.
 */
import type { StatRow } from '../db/repos/status/stats.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export type SourceState = 'ok' | 'failing' | 'paused' | 'disabled';

/** Disabled beats paused beats failing: an error after the last success means the source fails now. */
export function sourceState(x: { enabled: boolean; pausedAt: number | null; lastSuccessAt: number | null; lastErrorAt: number | null }): SourceState {
  if (!x.enabled) return 'disabled';
  if (x.pausedAt) return 'paused';
  if (x.lastErrorAt && (!x.lastSuccessAt || x.lastErrorAt > x.lastSuccessAt)) return 'failing';
  return 'ok';
}

/**
 * Since when a failing source fails: the first error after its last success (the roll-up's
 * health row), else the last error when the roll-up has not seen that error yet.
 */
export function failingSince(state: SourceState, h: { first_error_at: number | null } | undefined, lastErrorAt: number | null): number | null {
  if (state !== 'failing') return null;
  return h?.first_error_at ?? lastErrorAt;
}

/** Gmail and Yahoo bulk sender rules (2024): spam complaints under 0.3 % always, under 0.1 % recommended. */
export const COMPLAINT_LIMIT_PCT = 0.3;
export const COMPLAINT_RECOMMENDED_PCT = 0.1;
/** Neither publishes a bounce threshold; 2 % is the common industry guidance, shown as guidance only. */
export const BOUNCE_GUIDANCE_PCT = 2;
export type RateVerdict = 'none' | 'ok' | 'over-recommended' | 'over-limit';

export const pct = (n: number, of: number): number | null => (of > 0 ? Math.round((n / of) * 10_000) / 100 : null);

export function complaintVerdict(rate: number | null): RateVerdict {
  if (rate === null) return 'none';
  return rate >= COMPLAINT_LIMIT_PCT ? 'over-limit' : rate >= COMPLAINT_RECOMMENDED_PCT ? 'over-recommended' : 'ok';
}
export function bounceVerdict(rate: number | null): RateVerdict {
  if (rate === null) return 'none';
  return rate >= BOUNCE_GUIDANCE_PCT ? 'over-recommended' : 'ok';
}

export const SERIES = ['in', 'sent', 'deferred', 'failed', 'suppressed'] as const;
export type SeriesKey = (typeof SERIES)[number];
const KIND_SERIES: Record<string, SeriesKey> = {
  'in.received': 'in', 'in.submitted': 'in', 'out.sent': 'sent', 'out.deferred': 'deferred', 'out.failed': 'failed', 'out.suppressed': 'suppressed',
};
export type Range = '24h' | '30d';
export interface Series { range: Range; starts: number[]; series: Record<SeriesKey, number[]>; totals: Record<string, number> }

/** The first hour bucket a range reads (24 hours up to this one; 30 UTC days up to today). */
export function rangeStartHour(range: Range, now: number): number {
  return range === '24h' ? Math.floor(now / HOUR) - 23 : (Math.floor(now / DAY) - 29) * 24;
}

/** Points of the chart (hourly for 24 h, daily in UTC for 30 days) and the range's totals by kind. */
export function seriesOf(rows: StatRow[], range: Range, now: number): Series {
  const startHour = rangeStartHour(range, now);
  const points = range === '24h' ? 24 : 30;
  const perPoint = range === '24h' ? 1 : 24;
  const starts = Array.from({ length: points }, (_, i) => (startHour + i * perPoint) * HOUR);
  const series = Object.fromEntries(SERIES.map((s) => [s, new Array<number>(points).fill(0)])) as Record<SeriesKey, number[]>;
  const totals: Record<string, number> = {};
  for (const r of rows) {
    const i = Math.floor((r.bucket - startHour) / perPoint);
    if (r.bucket <= 0 || i < 0 || i >= points) continue;
    totals[r.kind] = (totals[r.kind] ?? 0) + r.n;
    const s = KIND_SERIES[r.kind];
    if (s) series[s][i]! += r.n;
  }
  return { range, starts, series, totals };
}

export const OUTCOME_KEYS = ['sent', 'deferred', 'failed', 'suppressed'] as const;
/** Shares of the outbound outcomes over a range (each attempt counts: a row deferred twice then sent counts three times). */
export function outcomeShares(totals: Record<string, number>) {
  const n = (k: string) => totals[`out.${k}`] ?? 0;
  const total = OUTCOME_KEYS.reduce((a, k) => a + n(k), 0);
  return { total, parts: OUTCOME_KEYS.map((key) => ({ key, value: n(key), share: pct(n(key), total) })) };
}

/** Bounce and complaint rates of a range, per message sent, with their verdicts. */
export function rates(totals: Record<string, number>) {
  const sent = totals['out.sent'] ?? 0;
  const bounces = (totals['bounce.hard'] ?? 0) + (totals['bounce.soft'] ?? 0);
  const complaints = totals.complaint ?? 0;
  const bounceRate = pct(bounces, sent), complaintRate = pct(complaints, sent);
  return {
    sent, bounces, complaints, bounceRate, complaintRate, bounceVerdict: bounceVerdict(bounceRate), complaintVerdict: complaintVerdict(complaintRate),
    complaintLimit: COMPLAINT_LIMIT_PCT, complaintRecommended: COMPLAINT_RECOMMENDED_PCT, bounceGuidance: BOUNCE_GUIDANCE_PCT,
  };
}

export interface Alert { level: 'error' | 'warning'; key: string; params: Record<string, string | number> }
/** What needs an operator: failing or paused sources, failing jobs, rates over a threshold, mail waiting long. */
export function alertsOf(x: {
  sources: Array<{ kind: string; name: string; state: SourceState }>; jobs: Array<{ name: string; active: boolean; last_status: string | null }>;
  rates: ReturnType<typeof rates>; queues: Array<{ name: string; oldestDueAt: number | null }>; now: number; waitAlertMs?: number;
}): Alert[] {
  const out: Alert[] = [];
  for (const s of x.sources) {
    if (s.state === 'failing') out.push({ level: 'error', key: 'status.alert.failing', params: { name: s.name } });
    if (s.state === 'paused') out.push({ level: 'error', key: 'status.alert.paused', params: { name: s.name } });
  }
  for (const j of x.jobs) if (j.active && j.last_status === 'failed') out.push({ level: 'error', key: 'status.alert.job', params: { name: j.name } });
  if (x.rates.complaintVerdict === 'over-limit') out.push({ level: 'error', key: 'status.alert.complaintsLimit', params: { rate: x.rates.complaintRate ?? 0, limit: COMPLAINT_LIMIT_PCT } });
  else if (x.rates.complaintVerdict === 'over-recommended') out.push({ level: 'warning', key: 'status.alert.complaintsRecommended', params: { rate: x.rates.complaintRate ?? 0, limit: COMPLAINT_RECOMMENDED_PCT } });
  if (x.rates.bounceVerdict === 'over-recommended') out.push({ level: 'warning', key: 'status.alert.bounces', params: { rate: x.rates.bounceRate ?? 0, limit: BOUNCE_GUIDANCE_PCT } });
  for (const q of x.queues) {
    const waited = q.oldestDueAt === null ? 0 : x.now - q.oldestDueAt;
    if (waited > (x.waitAlertMs ?? 15 * 60_000)) out.push({ level: 'warning', key: 'status.alert.waiting', params: { queue: q.name, minutes: Math.floor(waited / 60_000) } });
  }
  return out;
}
