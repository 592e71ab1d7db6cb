/*
 * Writes: nothing. Reads: records, record_emails, email_addresses.
 * The CSV export's reads: records of one type in id-ordered pages (after an id, never an
 * OFFSET), each with its addresses in order and its account's external id and name, and the
 * custom attribute names in use (a first pass, page by page, to make the header).
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';
/** records.type (the domain's RecordType; db/ does not import the domain). */
type RecordType = 'account' | 'contact' | 'lead';

export interface ExportRow {
  id: number; externalId: string | null; firstName: string | null; lastName: string | null; name: string | null;
  title: string | null; phone: string | null; formerEmployee: boolean; attributes: Record<string, string | number | boolean | null> | null;
  accountExternalId: string | null; accountName: string | null; emails: string[]; primaryEmail: string | null;
}

const parseAttrs = (v: unknown): ExportRow['attributes'] => {
  if (typeof v !== 'string' || !v) return null;
  try {
    const o = JSON.parse(v) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o) ? (o as ExportRow['attributes']) : null;
  } catch { return null; }
};

export function recordsExportRepo(db: Db) {
  const k = db.knex;
  return {
    /** Up to `limit` records of a type with id > afterId, in id order, addresses included. */
    async page(type: RecordType, afterId: number, limit: number): Promise<ExportRow[]> {
      const rows: DbRow[] = await k('records as r').leftJoin('records as a', 'a.id', 'r.account_id')
        .where('r.type', type).andWhere('r.id', '>', afterId).orderBy('r.id').limit(limit)
        .select('r.id', 'r.external_id', 'r.first_name', 'r.last_name', 'r.name', 'r.title', 'r.phone', 'r.former_employee', 'r.attributes',
          'a.external_id as account_external_id', 'a.name as account_name');
      if (!rows.length) return [];
      const ids = rows.map((r) => Number(r.id));
      const emails: DbRow[] = await k('record_emails as re').join('email_addresses as e', 'e.id', 're.email_id')
        .whereIn('re.record_id', ids).orderBy([{ column: 're.record_id' }, { column: 're.position' }, { column: 'e.id' }])
        .select('re.record_id', 'e.address', 're.is_primary');
      const byRecord = new Map<number, { list: string[]; primary: string | null }>();
      for (const e of emails) {
        const id = Number(e.record_id);
        let m = byRecord.get(id);
        if (!m) byRecord.set(id, (m = { list: [], primary: null }));
        m.list.push(String(e.address));
        if (Number(e.is_primary)) m.primary = String(e.address);
      }
      const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
      return rows.map((r) => {
        const m = byRecord.get(Number(r.id));
        return {
          id: Number(r.id), externalId: s(r.external_id), firstName: s(r.first_name), lastName: s(r.last_name), name: s(r.name),
          title: s(r.title), phone: s(r.phone), formerEmployee: Boolean(Number(r.former_employee)), attributes: parseAttrs(r.attributes),
          accountExternalId: s(r.account_external_id), accountName: s(r.account_name), emails: m?.list ?? [], primaryEmail: m?.primary ?? null,
        };
      });
    },

    /** The custom attribute names records of a type use (at most `max`), read in id-ordered pages. */
    async attributeNames(type: RecordType, max = 500, pageSize = 5000): Promise<string[]> {
      const names = new Set<string>();
      let after = 0;
      for (;;) {
        const rows: DbRow[] = await k('records').where('type', type).andWhere('id', '>', after).whereNotNull('attributes')
          .orderBy('id').limit(pageSize).select('id', 'attributes');
        for (const r of rows) for (const n of Object.keys(parseAttrs(r.attributes) ?? {})) if (names.size < max) names.add(n);
        if (rows.length < pageSize || names.size >= max) return [...names];
        after = Number(rows[rows.length - 1]!.id);
      }
    },
  };
}
export type RecordsExportRepo = ReturnType<typeof recordsExportRepo>;
