/*
 * Suppression service: records bounces, complaints and clean deliveries against an
 * address through the pure policy, blocks and unblocks, manual adds, CSV import/export,
 * and answers "may we mail this address?" for every send path.
 */
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import type { Ctx } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { suppressionsRepo, type SuppressionRow } from '../db/repos/suppressions.js';
import { bounceEventsRepo } from '../db/repos/bounceEvents.js';
import type { ListQuery } from '../db/list.js';
import { settingsRepo } from '../db/repos/settings.js';
import { parseMailbox } from '../lib/addresses.js';
import { neutralizeCell, restoreCell } from '../lib/csv.js';
import { applyEvent, DEFAULT_POLICY, EMPTY_STATE, policyProblems, type AddressState, type BouncePolicy, type PolicyEvent } from './policy.js';

export interface BounceInput {
  address: string; class: 'hard' | 'soft'; reason: string; side: 'recipient' | 'sender';
  eventId?: number | null; inboundId?: number | null; queueId?: number | null;
}

/** A row's counters as the pure policy sees them (the repo knows columns, not the policy). */
const stateOf = (r: SuppressionRow | undefined): AddressState | null => r ? {
  blocked: r.blocked, bounceCount: r.bounce_count, hardCount: r.hard_count, softCount: r.soft_count, cleanStreak: r.clean_streak, windowStart: r.window_start,
} : null;

/** A bounce or complaint against one of our queue rows, as observers hear it. */
export interface SuppressionEvent { kind: 'bounce' | 'complaint'; queueId: number; address: string; class: string | null; reason: string | null }
export type SuppressionObserver = (e: SuppressionEvent) => Promise<void>;

export function suppressionService(ctx: Ctx) {
  const observers: SuppressionObserver[] = [];
  const repo = suppressionsRepo(ctx.db);
  const settings = settingsRepo(ctx.db);
  const log = ctx.log.child({ mod: 'suppression' });
  // An observer's failure never fails the bounce it hears about (the suppression is what counts).
  const tell = async (e: SuppressionEvent) => {
    for (const o of observers) await o(e).catch((err: unknown) => log.error({ evt: 'suppression.observer_failed', err }, 'a bounce observer failed'));
  };
  const now = () => ctx.clock.now();

  function normalize(address: string): string {
    const p = parseMailbox(address.trim().replace(/^<|>$/g, ''));
    if (!p.ok) throw invalid([{ field: 'address', message: p.message }]);
    return p.address.toLowerCase();
  }

  async function apply(address: string, ev: PolicyEvent, extra: Partial<SuppressionRow>) {
    const policy = await settings.get<BouncePolicy>('bounce_policy', DEFAULT_POLICY);
    return repo.update(address, now(), (row) => {
      const d = applyEvent(stateOf(row) ?? EMPTY_STATE, ev, policy);
      const patch: Partial<SuppressionRow> = {
        ...extra, bounce_count: d.state.bounceCount, hard_count: d.state.hardCount, soft_count: d.state.softCount,
        clean_streak: d.state.cleanStreak, window_start: d.state.windowStart, last_seen: now(), blocked: d.state.blocked,
      };
      if (d.block) Object.assign(patch, { reason: d.block.reason, class: d.block.class, source: d.block.source, blocked_at: now() });
      return { patch, result: d };
    });
  }

  return {
    repo,
    async policy(): Promise<BouncePolicy> { return settings.get('bounce_policy', DEFAULT_POLICY); },
    async setPolicy(p: Partial<BouncePolicy>): Promise<BouncePolicy> {
      const errs = policyProblems(p);
      if (errs.length) throw invalid(errs);
      const next = { ...(await this.policy()), ...p };
      await settings.set('bounce_policy', next, now());
      return next;
    },

    /** Hears every bounce and complaint tied to one of our queue rows (the campaign log does). */
    observe(fn: SuppressionObserver) { observers.push(fn); },
    /** A bounce against a recipient. Sender-side refusals are not the recipient's fault: ignored here. */
    async recordBounce(b: BounceInput): Promise<{ blocked: boolean }> {
      if (b.side === 'sender') return { blocked: false };
      const address = b.address.toLowerCase();
      const d = await apply(address, { type: 'bounce', class: b.class, reason: b.reason, at: now() }, {
        last_event_id: b.eventId ?? null, last_inbound_id: b.inboundId ?? null, last_queue_id: b.queueId ?? null,
      });
      if (d.block) log.info({ evt: 'suppression.blocked', address, reason: d.block.reason, class: d.block.class }, 'address blocked');
      if (b.queueId) await tell({ kind: 'bounce', queueId: b.queueId, address, class: b.class, reason: b.reason });
      return { blocked: Boolean(d.block) };
    },
    /** An abuse / opt-out complaint: block at once. */
    async recordComplaint(c: { address: string; feedbackType: string; inboundId?: number | null; queueId?: number | null }) {
      const address = c.address.toLowerCase();
      await apply(address, { type: 'complaint', feedbackType: c.feedbackType, at: now() }, { last_inbound_id: c.inboundId ?? null, last_queue_id: c.queueId ?? null });
      log.info({ evt: 'suppression.complaint', address, feedbackType: c.feedbackType }, 'complaint: address blocked');
      if (c.queueId) await tell({ kind: 'complaint', queueId: c.queueId, address, class: null, reason: c.feedbackType });
    },
    /** Clean deliveries decay the bounce count (one query finds the few addresses that have one). */
    async recordDelivered(addresses: string[]) {
      for (const a of await repo.withBounceState([...new Set(addresses.map((x) => x.toLowerCase()))])) await apply(a, { type: 'delivered', at: now() }, {});
    },
    /** Blocked addresses among `addresses` (lower-cased), with reasons: one query per 500. */
    async blockedAmong(addresses: string[]) { return repo.blockedAmong([...new Set(addresses.map((a) => a.toLowerCase()))]); },

    async block(address: string, o: { reason?: string; source?: 'manual' | 'import' | 'optout'; note?: string } = {}) {
      const a = normalize(address);
      await repo.update(a, now(), (row) => ({
        patch: { blocked: true, blocked_at: row.blocked_at ?? now(), reason: o.reason || 'manual', class: 'none', source: o.source ?? 'manual', note: o.note ?? row.note, last_seen: now() },
        result: null,
      }));
      return (await repo.get(a))!;
    },
    async unblock(ids: number[]) { return repo.unblock(ids, now()); },
    async remove(ids: number[]) { return repo.remove(ids); },
    async get(id: number) { const r = await repo.getById(id); if (!r) throw notFound('Suppression'); return r; },
    /** Bounces and complaints kept without evidence of our mail: they blocked nobody; an admin may block by hand. */
    async unmatched(q: ListQuery & { source?: 'dsn' | 'arf' }) {
      return bounceEventsRepo(ctx.db).unmatched({ ...q, filters: { source: q.source } });
    },

    async exportCsv(filters: Record<string, string | boolean | undefined>): Promise<string> {
      const rows = await repo.exportRows(filters);
      const iso = (n: number | null) => (n ? new Date(n).toISOString() : '');
      // Addresses, reasons and notes can come from outsiders: no cell may start a spreadsheet formula.
      const cell = (v: string | null) => neutralizeCell(v ?? '');
      return stringify(rows.map((r) => [cell(r.address), r.blocked ? 'yes' : 'no', cell(r.reason), cell(r.class), cell(r.source), r.bounce_count, iso(r.first_seen), iso(r.last_seen), cell(r.note)]),
        { header: true, columns: ['address', 'blocked', 'reason', 'class', 'source', 'bounce_count', 'first_seen', 'last_seen', 'note'] });
    },
    /** CSV with an `address` column (or one address per line); optional `reason`, `note`. */
    async importCsv(text: string): Promise<{ added: number; errors: Array<{ line: number; message: string }> }> {
      const errors: Array<{ line: number; message: string }> = [];
      let records: string[][];
      // restoreCell: a file we exported carries a guard apostrophe on formula-like cells.
      try { records = (parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][]).map((r) => r.map(restoreCell)); }
      catch (e) { throw invalid([{ field: 'csv', message: (e as Error).message }]); }
      if (records.length > 100_000) throw invalid([{ field: 'csv', message: 'at most 100,000 rows per import' }]);
      const header = records[0]?.map((h) => h.toLowerCase());
      const hasHeader = Boolean(header?.includes('address'));
      const col = (name: string) => (hasHeader ? header!.indexOf(name) : name === 'address' ? 0 : -1);
      let added = 0;
      for (const [i, rec] of records.entries()) {
        if (hasHeader && i === 0) continue;
        const address = rec[col('address')] ?? '';
        try {
          await this.block(address, { source: 'import', reason: (col('reason') >= 0 && rec[col('reason')]) || 'manual', note: col('note') >= 0 ? rec[col('note')] : undefined });
          added++;
        } catch (e) { errors.push({ line: i + 1, message: `${address || '(empty)'}: ${(e as Error).message}` }); }
      }
      return { added, errors };
    },
  };
}
export type SuppressionService = ReturnType<typeof suppressionService>;
