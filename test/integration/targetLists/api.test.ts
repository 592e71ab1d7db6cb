/*
 * /api/v1/target-lists on both databases: the stable interface (create by name; add members by
 * {type, externalId} / {type, id} or by filter → {added}); filter then select all adds every match
 * beyond one page; members by type with counts; per-list opt-out; dynamic criteria, preview and
 * evaluate; removal singly and in bulk.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { seedRecords, contacts } from './seed.js';

for (const kind of dbKinds()) {
  t.test(`target lists API (${kind})`, async (t) => {
    const { api, tdb } = await startTestApp(t, { kind });
    const k = tdb.db.knex;
    const ids = await seedRecords(k, 'contact', contacts(500));
    await seedRecords(k, 'lead', [{ externalId: 'L-1', name: 'Lead One', email: 'lead@match.example' }]);
    const json = async (path: string, method = 'GET', body?: unknown) => {
      const res = await api(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Record<string, any> };
    };

    const created = await json('/api/v1/target-lists', 'POST', { name: 'Spring launch' });
    t.equal(created.status, 201);
    const id = created.body.id as number;
    t.match(created.body, { id: Number, name: 'Spring launch', kind: 'static', counts: { total: 0 } });
    t.equal((await json('/api/v1/target-lists', 'POST', { name: 'Spring launch' })).status, 400, 'a taken name is refused');

    const byRef = await json(`/api/v1/target-lists/${id}/members`, 'POST', { records: [{ type: 'contact', externalId: 'c2' }, { type: 'contact', id: ids[3] }, { type: 'lead', externalId: 'L-1' }] });
    t.same(byRef, { status: 200, body: { added: 3, notFound: [] } });

    const byFilter = await json(`/api/v1/target-lists/${id}/members`, 'POST', { filter: { type: 'contact', emailDomain: 'match.example' } });
    t.same(byFilter, { status: 200, body: { added: 250 } }, 'every match, not one page');
    t.equal((await json(`/api/v1/target-lists/${id}/members`, 'POST', { filter: { type: 'contact', emailDomain: 'match.example' } })).body.added, 0, 'again: nothing new');
    t.equal((await json(`/api/v1/target-lists/${id}/members`, 'POST', {})).status, 400, 'records or filter required');
    t.equal((await json(`/api/v1/target-lists/${id}/members`, 'POST', { filter: { type: 'robot' } })).status, 400);

    const page = await json(`/api/v1/target-lists/${id}/members?type=contact&perPage=50`);
    t.equal(page.body.total, 252, '250 matches + c2 + c4');
    t.equal(page.body.items.length, 50);
    t.match(page.body.items[0], { type: 'contact', id: Number, externalId: String, email: String, optedOut: false, addedAt: Number });
    t.match(page.body.counts, { account: 0, contact: 252, lead: 1, user: 0, total: 253, optedOut: 0 });

    const got = await json(`/api/v1/target-lists/${id}`);
    t.match(got.body.counts, { contact: 252, lead: 1 });
    const lists = await json('/api/v1/target-lists');
    t.equal(lists.body.total, 1);
    t.equal(lists.body.items[0].counts.total, 253);

    t.same((await json(`/api/v1/target-lists/${id}/members/contact/${ids[0]}`, 'PATCH', { optedOut: true })).body, { type: 'contact', id: ids[0], optedOut: true });
    t.same((await json(`/api/v1/target-lists/${id}/members/opt-out`, 'POST', { records: [{ type: 'contact', externalId: 'c3' }] })).body, { changed: 1, notFound: [] });
    t.equal((await json(`/api/v1/target-lists/${id}/members?type=contact&optedOut=true`)).body.total, 2, 'two opted out of this list');
    const addr = await k('email_addresses').where({ address: 'c1@match.example' }).first();
    t.notOk(Boolean(Number(addr.opted_out)), 'not opted out entirely');

    t.equal((await json(`/api/v1/target-lists/${id}/members/contact/${ids[0]}`, 'DELETE')).status, 204);
    t.equal((await json(`/api/v1/target-lists/${id}/members/contact/${ids[0]}`, 'DELETE')).status, 404);
    t.same((await json(`/api/v1/target-lists/${id}/members/remove`, 'POST', { records: [{ type: 'contact', externalId: 'c2' }, { type: 'lead', externalId: 'L-1' }] })).body, { removed: 2, notFound: [] });
    t.same((await json(`/api/v1/target-lists/${id}/members/remove`, 'POST', { filter: { type: 'contact', attributes: { tier: 'gold' } } })).body, { removed: 249 });
    t.equal((await json(`/api/v1/target-lists/${id}`)).body.counts.total, 1);

    t.same((await json('/api/v1/target-lists/preview', 'POST', { filter: { type: 'contact', attributes: { tier: 'silver' } } })).body, { count: 250 });

    const dyn = await json('/api/v1/target-lists', 'POST', { name: 'Silver', kind: 'dynamic', criteria: [{ type: 'contact', attributes: { tier: 'silver' } }] });
    t.equal(dyn.status, 201);
    t.same((await json(`/api/v1/target-lists/${dyn.body.id}/preview`, 'POST', {})).body, { matches: 250, wouldAdd: 250, wouldRemove: 0 });
    const ev = await json(`/api/v1/target-lists/${dyn.body.id}/evaluate`, 'POST');
    t.match(ev.body, { added: 250, removed: 0, evaluatedAt: Number, counts: { contact: 250 } });
    await json(`/api/v1/target-lists/${dyn.body.id}`, 'PATCH', { criteria: [{ type: 'contact', attributes: { tier: 'silver' }, fields: { firstName: 'First2' } }] });
    const ev2 = await json(`/api/v1/target-lists/${dyn.body.id}/evaluate`, 'POST');
    // First2, First20..29 even, First200..299 even: 1 + 5 + 50 = 56 remain
    t.match(ev2.body, { added: 0, removed: 194 });
    t.match((await json(`/api/v1/target-lists/${dyn.body.id}`)).body, { lastAdded: 0, lastRemoved: 194, evaluatedAt: Number, counts: { contact: 56 } });
    t.equal((await json(`/api/v1/target-lists/${id}/evaluate`, 'POST')).status, 400, 'a static list is not evaluated');

    t.equal((await json(`/api/v1/target-lists/${id}`, 'DELETE')).status, 204);
    t.equal((await json(`/api/v1/target-lists/${id}`)).status, 404);
  });
}
