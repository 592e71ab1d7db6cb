/*
 * Writes: mass_emails, mass_email_lists. Reads: mass_emails, mass_email_lists, mass_email_skips,
 * outbound_queue, bounce_events.
 * Mass emails: CRUD, status changes guarded by the status they leave (two nodes never both
 * start one), the expansion checkpoint, and the counts the progress bar and the API show.
 */
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import { setLists, withLists } from './campaigns.js';
import { FINAL_STATUSES, type MassEmailCounts, type MassEmailRow, type MassEmailStatus } from '../../../campaigns/types.js';

export interface MassEmailInput {
  campaign_id: number; name: string; status: MassEmailStatus; start_at: number | null; template_id: number | null; account_id: number | null;
  from_addr: string; from_name: string; reply_to: string | null; tracking: boolean; track_links: boolean;
}

const toMassEmail = (r: DbRow): MassEmailRow => ({
  id: Number(r.id), campaign_id: Number(r.campaign_id), name: String(r.name), status: r.status as MassEmailStatus, status_reason: strOrNull(r.status_reason),
  start_at: numOrNull(r.start_at), template_id: numOrNull(r.template_id), account_id: numOrNull(r.account_id), from_addr: String(r.from_addr),
  from_name: String(r.from_name ?? ''), reply_to: strOrNull(r.reply_to), tracking: Boolean(Number(r.tracking)), track_links: Boolean(Number(r.track_links)), message_id: numOrNull(r.message_id),
  checkpoint: strOrNull(r.checkpoint), expanded_at: numOrNull(r.expanded_at), started_at: numOrNull(r.started_at), completed_at: numOrNull(r.completed_at),
  created_by: numOrNull(r.created_by), created_at: Number(r.created_at), updated_at: Number(r.updated_at), target_list_ids: [], excluding_target_list_ids: [],
});

/** Queue states as the counts name them (held rows wait for their portion: they are queued to the user). */
const COUNT_OF: Record<string, keyof MassEmailCounts> = {
  held: 'queued', queued: 'queued', sending: 'sending', sent: 'sent', deferred: 'deferred', failed: 'failed', canceled: 'cancelled',
};

export function massEmailsRepo(db: Db) {
  const k = db.knex;
  const lists = <T extends MassEmailRow>(rows: T[]) => withLists(k, 'mass_email_lists', 'mass_email_id', rows);
  /** Counts a mass email's rows by state (and its members that got no row, by reason). */
  async function countRows(id: number): Promise<MassEmailCounts> {
    const c: MassEmailCounts = { total: 0, queued: 0, sending: 0, sent: 0, deferred: 0, failed: 0, cancelled: 0, skipped: 0, skippedByReason: {} };
    const states = await k('outbound_queue').where('mass_email_id', id).select('state', 'suppressed_reason').count({ n: '*' }).groupBy('state', 'suppressed_reason') as DbRow[];
    for (const r of states) {
      const n = Number(r.n);
      c.total += n;
      const key = COUNT_OF[String(r.state)];
      if (key) (c[key] as number) += n;
      else { c.skipped += n; const why = String(r.suppressed_reason ?? r.state); c.skippedByReason[why] = (c.skippedByReason[why] ?? 0) + n; }
    }
    for (const r of await k('mass_email_skips').where('mass_email_id', id).select('reason').count({ n: '*' }).groupBy('reason') as DbRow[]) {
      const n = Number(r.n);
      c.skipped += n;
      c.skippedByReason[String(r.reason)] = (c.skippedByReason[String(r.reason)] ?? 0) + n;
    }
    return c;
  }
  return {
    async list(q: ListQuery & { campaignId?: number }): Promise<Page<MassEmailRow>> {
      const base = k('mass_emails').select('*');
      if (q.campaignId) base.where('campaign_id', q.campaignId);
      const page = await listPage(base, {
        sortable: ['id', 'name', 'status', 'start_at', 'created_at'], defaultSort: 'id', defaultDir: 'desc', searchable: ['name'], filterable: ['status', 'campaign_id'],
      }, q, toMassEmail);
      await lists(page.items);
      return page;
    },
    async get(id: number): Promise<MassEmailRow | undefined> {
      const r = await k('mass_emails').where({ id }).first();
      return r ? (await lists([toMassEmail(r)]))[0] : undefined;
    },
    async create(m: MassEmailInput, l: { targets: number[]; excluding: number[] }, by: number | null, now: number): Promise<number> {
      return k.transaction(async (trx) => {
        const [id] = await trx('mass_emails').insert({ ...m, created_by: by, created_at: now, updated_at: now });
        await setLists(trx, 'mass_email_lists', 'mass_email_id', Number(id), l.targets, l.excluding);
        return Number(id);
      });
    },
    /** Edits a mass email that has not started (draft or pending); false when it has. */
    async update(id: number, patch: Partial<MassEmailInput>, l: { targets: number[]; excluding: number[] } | null, now: number): Promise<boolean> {
      return k.transaction(async (trx) => {
        const n = await trx('mass_emails').where({ id }).whereIn('status', ['draft', 'pending']).update({ ...patch, updated_at: now });
        if (n && l) await setLists(trx, 'mass_email_lists', 'mass_email_id', id, l.targets, l.excluding);
        return n > 0;
      });
    },
    async remove(id: number): Promise<boolean> { return (await k('mass_emails').where({ id }).delete()) > 0; },
    /** Moves the status from one of `from` to `to` (with extra columns); false when it was elsewhere. */
    async transition(id: number, from: MassEmailStatus[], to: MassEmailStatus, now: number, extra: Record<string, unknown> = {}): Promise<boolean> {
      // Leaving a final status (retry failed) makes its kept counts stale.
      const counts = FINAL_STATUSES.includes(to) ? {} : { final_counts: null };
      return (await k('mass_emails').where({ id }).whereIn('status', from).update({ status: to, ...extra, ...counts, updated_at: now })) > 0;
    },
    /** Drops the kept counts of finished mass emails (an operator retried or cancelled rows of one; null: of any). */
    async forgetCounts(ids: number[] | null): Promise<void> {
      const q = k('mass_emails').whereNotNull('final_counts');
      await (ids ? q.whereIn('id', ids) : q).update({ final_counts: null });
    },
    async setCheckpoint(id: number, checkpoint: string | null, now: number, extra: Record<string, unknown> = {}) {
      await k('mass_emails').where({ id }).update({ checkpoint, ...extra, updated_at: now });
    },
    /** Pending mass emails whose start has come, oldest first. */
    async due(now: number): Promise<number[]> {
      return (await k('mass_emails').where('status', 'pending').where('start_at', '<=', now).orderBy(['start_at', 'id']).select('id') as DbRow[]).map((r) => Number(r.id));
    },
    async inProcess(): Promise<MassEmailRow[]> {
      return lists((await k('mass_emails').where('status', 'in_process').orderBy(['started_at', 'id'])).map(toMassEmail));
    },
    /**
     * The delivery counts of a mass email from its rows. A finished one (complete, cancelled,
     * failed) has no row in flight: its counts are kept the first time they are counted and read
     * back after (transition and forgetCounts drop them when rows move again).
     */
    async counts(id: number): Promise<MassEmailCounts> {
      const m = await k('mass_emails').where({ id }).first('status', 'final_counts') as DbRow | undefined;
      const final = m !== undefined && FINAL_STATUSES.includes(String(m.status) as MassEmailStatus);
      if (final && m.final_counts) return JSON.parse(String(m.final_counts)) as MassEmailCounts;
      const c = await countRows(id);
      if (final) await k('mass_emails').where({ id }).whereIn('status', FINAL_STATUSES).update({ final_counts: JSON.stringify(c) });
      return c;
    },
    /**
     * Whether a row of the mass email still waits or is on its way (held, queued, sending,
     * deferred). One statement, so one snapshot: four separate probes could miss a deferred row
     * claimed (deferred → sending) between them and complete a mass email with a row in flight.
     */
    async hasOpenRows(id: number): Promise<boolean> {
      return Boolean(await k('outbound_queue').where('mass_email_id', id).whereIn('state', ['held', 'queued', 'sending', 'deferred']).select('id').first());
    },
    async skips(id: number, q: ListQuery): Promise<Page<{ member_type: string; member_id: number; list_id: number | null; address: string | null; reason: string; at: number }>> {
      return listPage(k('mass_email_skips').where('mass_email_id', id).select('member_type', 'member_id', 'list_id', 'address', 'reason', 'at'), {
        sortable: ['at', 'reason', 'address', 'member_id'], defaultSort: 'member_id', searchable: ['address'], filterable: ['reason', 'member_type'],
      }, q, (r) => ({
        member_type: String(r.member_type), member_id: Number(r.member_id), list_id: numOrNull(r.list_id),
        address: strOrNull(r.address), reason: String(r.reason), at: Number(r.at),
      }));
    },
    /**
     * The reputation figures of a mass email: hard bounces among its first `sample` rows
     * attempted, complaints and sender-side refusals over all of them.
     */
    async reputation(id: number, sample: number): Promise<{ attempted: number; hard: number; sent: number; complaints: number; senderBlocked: string | null }> {
      const first = k('outbound_queue').where('mass_email_id', id).whereIn('state', ['sent', 'failed']).orderBy('id').limit(sample).select('id', 'state');
      const rows = await k.from(first.as('f')).select('f.state').count({ n: '*' }).groupBy('f.state') as DbRow[];
      const attempted = rows.reduce((a, r) => a + Number(r.n), 0);
      const hardRow = await k('bounce_events as b').join(first.clone().as('f'), 'f.id', 'b.queue_id')
        .where({ 'b.class': 'hard', 'b.side': 'recipient' }).count({ n: '*' }).first() as DbRow | undefined;
      const [sentRow] = await k('outbound_queue').where({ mass_email_id: id, state: 'sent' }).count({ n: '*' }) as DbRow[];
      const complaintRow = await k('bounce_events as b').join('outbound_queue as q', 'q.id', 'b.queue_id').where('q.mass_email_id', id)
        .where('b.source', 'arf').count({ n: '*' }).first() as DbRow | undefined;
      const sender = await k('bounce_events as b').join('outbound_queue as q', 'q.id', 'b.queue_id').where('q.mass_email_id', id)
        .where('b.side', 'sender').select('b.reason', 'b.diagnostic').first() as DbRow | undefined;
      return {
        attempted, hard: Number(hardRow?.n ?? 0), sent: Number(sentRow?.n ?? 0), complaints: Number(complaintRow?.n ?? 0),
        senderBlocked: sender ? `${String(sender.reason ?? 'blocked')}: ${String(sender.diagnostic ?? '').slice(0, 300)}` : null,
      };
    },
  };
}
