/*
 * Reads: records, users, mass_emails, campaigns, email_addresses, tracking_urls, outbound_messages.
 * What rendering a campaign row reads: the recipients' records (a contact with its account)
 * in one query per batch, the mass email and campaign a message belongs to, and which
 * addresses are opted out entirely.
 */
import type { Db } from '../../connect.js';
import { strOrNull, type DbRow } from '../../row.js';
import type { RecipientRecord } from '../../../campaigns/render/data.js';

const attrs = (v: unknown): Record<string, unknown> | null => {
  if (typeof v !== 'string' || !v) return null;
  try { const x: unknown = JSON.parse(v); return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null; } catch { return null; }
};
export interface MassMeta {
  massEmailId: number; tracking: boolean; trackLinks: boolean; urlIds: number[]; campaign: { id: number; name: string; type: string };
}
export const recipientKey = (type: string, id: number) => `${type}:${id}`;

export function campaignRecipientsRepo(db: Db) {
  const k = db.knex;
  return {
    /** type:id → the record as placeholders read it. */
    async records(refs: Array<{ type: string; id: number }>): Promise<Map<string, RecipientRecord>> {
      const out = new Map<string, RecipientRecord>();
      const recIds = [...new Set(refs.filter((r) => r.type !== 'user').map((r) => r.id))];
      const userIds = [...new Set(refs.filter((r) => r.type === 'user').map((r) => r.id))];
      for (let i = 0; i < recIds.length; i += 500) {
        const rows = await k('records as r').leftJoin('records as a', 'a.id', 'r.account_id').whereIn('r.id', recIds.slice(i, i + 500))
          .select('r.id', 'r.type', 'r.external_id', 'r.first_name', 'r.last_name', 'r.name', 'r.title', 'r.phone', 'r.attributes',
            'a.id as a_id', 'a.name as a_name', 'a.attributes as a_attributes') as DbRow[];
        for (const r of rows) {
          out.set(recipientKey(String(r.type), Number(r.id)), {
            type: r.type as RecipientRecord['type'], id: Number(r.id), externalId: strOrNull(r.external_id), firstName: strOrNull(r.first_name),
            lastName: strOrNull(r.last_name), name: String(r.name ?? ''), title: strOrNull(r.title), phone: strOrNull(r.phone), attributes: attrs(r.attributes),
            account: r.a_id === null || r.a_id === undefined ? null : { name: String(r.a_name ?? ''), attributes: attrs(r.a_attributes) },
          });
        }
      }
      if (userIds.length) {
        for (const u of await k('users').whereIn('id', userIds).select('id', 'name', 'username') as DbRow[]) {
          out.set(recipientKey('user', Number(u.id)), {
            type: 'user', id: Number(u.id), externalId: strOrNull(u.username), firstName: null, lastName: null, name: String(u.name ?? ''),
            title: null, phone: null, attributes: null, account: null,
          });
        }
      }
      return out;
    },
    /** The mass email and campaign a message renders for, with its tracking options and the campaign's tracking URL ids. */
    async meta(massEmailId: number): Promise<MassMeta | undefined> {
      const r = await k('mass_emails as m').join('campaigns as c', 'c.id', 'm.campaign_id').where('m.id', massEmailId)
        .select('m.id', 'm.tracking', 'm.track_links', 'c.id as c_id', 'c.name as c_name', 'c.type as c_type').first() as DbRow | undefined;
      if (!r) return undefined;
      const urlIds = (await k('tracking_urls').where('campaign_id', Number(r.c_id)).select('id') as DbRow[]).map((u) => Number(u.id));
      return {
        massEmailId: Number(r.id), tracking: Boolean(Number(r.tracking)), trackLinks: Boolean(Number(r.track_links)), urlIds,
        campaign: { id: Number(r.c_id), name: String(r.c_name), type: String(r.c_type) },
      };
    },
    /** The same for a message row (a test send's message names its mass email as source_id). */
    async metaOfMessage(messageId: number): Promise<MassMeta | undefined> {
      const m = await k('outbound_messages').where({ id: messageId }).select('source_id').first() as DbRow | undefined;
      return m?.source_id ? this.meta(Number(m.source_id)) : undefined;
    },
    /** For test sends: the record holding each address (a contact first, then a lead, then an account). */
    async byAddress(addresses: string[]): Promise<Map<string, { type: string; id: number }>> {
      const out = new Map<string, { type: string; id: number }>();
      if (!addresses.length) return out;
      const rank: Record<string, number> = { contact: 0, lead: 1, account: 2 };
      const rows = await k('email_addresses as ea').join('record_emails as re', 're.email_id', 'ea.id').join('records as r', 'r.id', 're.record_id')
        .whereIn('ea.address', addresses).select('ea.address', 'r.type', 'r.id').orderBy('r.id') as DbRow[];
      for (const r of rows) {
        const cur = out.get(String(r.address));
        if (!cur || (rank[String(r.type)] ?? 9) < (rank[cur.type] ?? 9)) out.set(String(r.address), { type: String(r.type), id: Number(r.id) });
      }
      return out;
    },
    /** For test sends to picked records: each record's primary address. */
    async primaryAddresses(refs: Array<{ type: string; id: number }>): Promise<Array<{ type: string; id: number; address: string }>> {
      const out: Array<{ type: string; id: number; address: string }> = [];
      const recIds = refs.filter((r) => r.type !== 'user').map((r) => r.id);
      if (recIds.length) {
        const rows = await k('record_emails as re').join('email_addresses as ea', 'ea.id', 're.email_id').join('records as r', 'r.id', 're.record_id')
          .whereIn('re.record_id', recIds).where('re.is_primary', true).select('r.type', 'r.id', 'ea.address') as DbRow[];
        for (const r of rows) out.push({ type: String(r.type), id: Number(r.id), address: String(r.address) });
      }
      const userIds = refs.filter((r) => r.type === 'user').map((r) => r.id);
      if (userIds.length) {
        for (const u of await k('users').whereIn('id', userIds).whereNotNull('email').select('id', 'email') as DbRow[]) out.push({ type: 'user', id: Number(u.id), address: String(u.email).toLowerCase() });
      }
      return out;
    },
    async optedOut(addresses: string[]): Promise<Set<string>> {
      const out = new Set<string>();
      for (let i = 0; i < addresses.length; i += 500) {
        for (const r of await k('email_addresses').whereIn('address', addresses.slice(i, i + 500)).where('opted_out', true).select('address') as DbRow[]) out.add(String(r.address));
      }
      return out;
    },
  };
}
