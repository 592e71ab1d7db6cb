/*
 * The record filter as SQL on both databases: % and _ typed by a user are literal, fields,
 * attributes, address state and domain narrow the match, and users are a member type too.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { recordFilterQuery } from '../../../server/db/repos/records/filter.js';
import type { RecordFilter } from '../../../server/records/types.js';

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex, now = Date.now();
  const rec = async (name: string, o: Record<string, unknown> = {}) =>
    Number((await k('records').insert({ type: 'contact', name, created_at: now, updated_at: now, ...o }))[0]);
  const addr = async (address: string, o: Record<string, unknown> = {}) =>
    Number((await k('email_addresses').insert({ address, domain: address.split('@')[1], created_at: now, updated_at: now, ...o }))[0]);
  const link = (record_id: number, email_id: number) => k('record_emails').insert({ record_id, email_id, is_primary: true });

  const under = await rec('a_b corp', { title: 'CEO', attributes: JSON.stringify({ tier: 'gold', seats: 5 }) });
  const other = await rec('axb corp', { title: 'Engineer', former_employee: true, attributes: JSON.stringify({ tier: 'silver' }) });
  const pct = await rec('100% real');
  await link(under, await addr('ceo@under.example'));
  await link(other, await addr('eng@other.example', { opted_out: true }));
  await link(pct, await addr('x@pct.example'));
  await k('suppressions').insert({ address: 'x@pct.example', domain: 'pct.example', blocked: true, first_seen: now, last_seen: now, created_at: now, updated_at: now });
  await k('users').insert({ username: 'uma', name: 'Uma', email: 'uma@under.example', role: 'agent', active: true, password_hash: 'x', created_at: now, updated_at: now });

  const ids = async (f: RecordFilter): Promise<number[]> => {
    const rows: Array<{ id: number }> = await recordFilterQuery(k, f);
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  };
  const cases: Array<[string, RecordFilter, number[]]> = [
    ['underscore is literal', { type: 'contact', search: 'a_b' }, [under]],
    ['percent is literal', { type: 'contact', search: '100%' }, [pct]],
    ['search finds addresses', { type: 'contact', search: 'eng@' }, [other]],
    ['field', { type: 'contact', fields: { title: 'ceo' } }, [under]],
    ['attribute (string)', { type: 'contact', attributes: { tier: 'gold' } }, [under]],
    ['attribute (number as string)', { type: 'contact', attributes: { seats: '5' } }, [under]],
    ['former employee', { type: 'contact', formerEmployee: true }, [other]],
    ['opted out', { type: 'contact', optedOut: true }, [other]],
    ['not opted out', { type: 'contact', optedOut: false }, [under, pct]],
    ['blocked', { type: 'contact', blocked: true }, [pct]],
    ['email domain', { type: 'contact', emailDomain: 'UNDER.example' }, [under]],
    ['email, any spelling', { type: 'contact', email: ' CEO@Under.Example ' }, [under]],
    ['no leads', { type: 'lead' }, []],
  ];
  for (const [name, f, want] of cases) t.same(await ids(f), want, name);
  t.equal((await ids({ type: 'user', emailDomain: 'under.example' })).length, 1, 'users by domain');
  t.equal((await ids({ type: 'user', search: 'u_a' })).length, 0, 'users: underscore literal');
});
