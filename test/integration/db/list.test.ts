/* The shared list query: sort whitelist, filters, escaped search and pages on every database. */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { listPage } from '../../../server/db/list.js';

void eachDb(t, async (t, { db }) => {
  await db.knex.schema.createTable('things', (tb) => { tb.increments('id'); tb.string('name'); tb.string('kind'); tb.integer('n'); });
  const rows = Array.from({ length: 30 }, (_, i) => ({ name: i === 7 ? '50%_off' : `item ${String(i).padStart(2, '0')}`, kind: i % 3 === 0 ? 'a' : 'b', n: 30 - i }));
  await db.knex('things').insert(rows);
  const spec = { sortable: ['id', 'name', 'n'], defaultSort: 'id', searchable: ['name'], filterable: ['kind'] };
  const base = () => db.knex('things').select('*');

  const cases: Array<[string, Parameters<typeof listPage>[2], (p: any) => void]> = [
    ['defaults: first page of 25 by id', {}, (p) => { t.equal(p.total, 30); t.equal(p.items.length, 25); t.equal(p.items[0].id, 1); }],
    ['page 2 holds the rest', { page: 2 }, (p) => { t.equal(p.items.length, 5); t.equal(p.items[0].id, 26); }],
    ['sort desc by n', { sort: 'n', dir: 'desc', perPage: 3 }, (p) => t.same(p.items.map((r: any) => r.n), [30, 29, 28])],
    ['unknown sort column falls back (no SQL injection through sort)', { sort: 'name; drop table things', perPage: 1 }, (p) => t.equal(p.sort, 'id')],
    ['filter by kind', { filters: { kind: 'a' } }, (p) => t.equal(p.total, 10)],
    ['unknown filter ignored', { filters: { n: 5 } }, (p) => t.equal(p.total, 30)],
    ['search is a substring match', { q: 'item 1' }, (p) => t.equal(p.total, 10)],
    ['% and _ in a search are literal', { q: '%_' }, (p) => { t.equal(p.total, 1); t.equal(p.items[0].name, '50%_off'); }],
    ['perPage is capped', { perPage: 10_000 }, (p) => t.equal(p.perPage, 200)],
  ];
  for (const [name, q, check] of cases) {
    await t.test(name, async () => check(await listPage(base(), spec, q)));
  }
});
