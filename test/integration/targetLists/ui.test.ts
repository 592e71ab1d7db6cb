/*
 * Target-list pages and the blocked-addresses bulk actions, through real form posts on both
 * databases: filter then select all adds every match; per-list opt-out in bulk; a dynamic
 * list's criteria, preview and evaluation; from the blocked page, the selected addresses'
 * records join a new or existing list and their contacts become former employees.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';
import { seedRecords, contacts } from './seed.js';

for (const kind of dbKinds()) {
  t.test(`target list pages (${kind})`, async (t) => {
    const { url, app, tdb } = await startTestApp(t, { kind });
    const k = tdb.db.knex;
    const ids = await seedRecords(k, 'contact', contacts(300));
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);

    let r = await ui.submit('/admin/target-lists', '/admin/target-lists', { name: 'Gold customers', description: 'by filter', kind: 'static' });
    t.equal(r.res.status, 303);
    const listUrl = r.res.headers.get('location')!;
    const id = Number(/\/(\d+)$/.exec(listUrl)![1]);

    const preview = await ui.get(`/admin/target-lists/${id}/add?f_type=contact&f_attrKey=tier&f_attrValue=gold&perPage=20`);
    t.equal(preview.res.status, 200);
    t.match(preview.html, /150 records match/, 'the preview counts every match');
    t.match(preview.html, /Add all 150 matches/);
    t.equal((preview.html.match(/name="ids"/g) ?? []).length, 20, 'one page of 20 shown');
    r = await ui.post(`/admin/target-lists/${id}/add`, { action: 'all', f_type: 'contact', f_attrKey: 'tier', f_attrValue: 'gold', back: '?f_type=contact' }, UiClient.csrfOf(preview.html));
    t.equal(r.res.status, 303);
    t.equal(Number((await k('target_list_members').where({ list_id: id }).count({ n: '*' }))[0]!.n), 150, 'all 150 added, not only the page');
    r = await ui.post(`/admin/target-lists/${id}/add`, { action: 'selected', f_type: 'contact', ids: [String(ids[1]), String(ids[3])] }, UiClient.csrfOf(preview.html));
    t.equal(r.res.status, 303, 'picked records added');

    const detail = await ui.get(`/admin/target-lists/${id}?type=contact`);
    t.match(detail.html, /152 members/);
    t.match(detail.html, /data-type="contact">152</);
    r = await ui.post(`/admin/target-lists/${id}/members`, { type: 'contact', action: 'optOut', ids: [String(ids[0]), String(ids[2])] }, UiClient.csrfOf(detail.html));
    t.equal(r.res.status, 303);
    t.equal((await app.services.targetLists.counts(id)).optedOut, 2, 'opted out of this list');
    await ui.post(`/admin/target-lists/${id}/members`, { type: 'contact', action: 'remove', ids: [String(ids[0]), String(ids[1])] }, UiClient.csrfOf(detail.html));
    t.equal((await app.services.targetLists.counts(id)).total, 150);
    const index = await ui.get('/admin/target-lists');
    t.match(index.html, /Gold customers/);
    t.match(index.html, /data-count="total">150</);

    // Dynamic list: criteria with a preview, then evaluate.
    r = await ui.submit('/admin/target-lists', '/admin/target-lists', { name: 'Other domain', kind: 'dynamic' });
    const dynId = Number(/\/(\d+)\/criteria$/.exec(r.res.headers.get('location')!)![1]);
    const crit = await ui.get(`/admin/target-lists/${dynId}/criteria`);
    r = await ui.post(`/admin/target-lists/${dynId}/criteria`, { action: 'preview', f_type: 'contact', f_emailDomain: 'other.example' }, UiClient.csrfOf(crit.html));
    t.equal(r.res.status, 200);
    t.match(r.html, /150 matches; an evaluation would add 150 and remove 0/);
    r = await ui.post(`/admin/target-lists/${dynId}/criteria`, { action: 'add', f_type: 'contact', f_emailDomain: 'other.example' }, UiClient.csrfOf(crit.html));
    t.equal(r.res.status, 303);
    r = await ui.post(`/admin/target-lists/${dynId}/evaluate`, {}, UiClient.csrfOf(crit.html));
    t.equal(r.res.status, 303);
    const after = await ui.get(`/admin/target-lists/${dynId}/criteria`);
    t.match(after.html, /Evaluated: 150 added, 0 removed/);
    t.match(after.html, /150 added, 0 removed/);
    t.match(after.html, /data-figure="wouldAdd">0</);
  });

  t.test(`blocked-addresses bulk actions (${kind})`, async (t) => {
    const { url, app, tdb } = await startTestApp(t, { kind });
    const k = tdb.db.knex;
    const [c1, c2] = await seedRecords(k, 'contact', [{ externalId: 'x1', firstName: 'Ann', email: 'ann@bounce.example' }, { externalId: 'x2', firstName: 'Bo', email: 'bo@bounce.example' }]);
    const [lead] = await seedRecords(k, 'lead', [{ externalId: 'y1', name: 'Ann as lead', email: 'ann@bounce.example' }]);
    await seedRecords(k, 'contact', [{ externalId: 'x3', firstName: 'Cy', email: 'cy@fine.example' }]);
    const s = app.services;
    const ann = await s.suppressions.block('ann@bounce.example', { reason: 'manual' });
    const bo = await s.suppressions.block('bo@bounce.example', { reason: 'manual' });
    const nobody = await s.suppressions.block('nobody@bounce.example', { reason: 'manual' });
    const existing = await s.targetLists.create({ name: 'Existing' });
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const page = await ui.get('/admin/suppressions');
    t.match(page.html, /Add their records to list/);
    t.match(page.html, /<option value="\d+">Existing<\/option>/);
    const csrf = UiClient.csrfOf(page.html);

    let r = await ui.post('/admin/suppressions/bulk', { action: 'addToList', newList: 'Bounced', ids: [String(ann.id), String(nobody.id)] }, csrf);
    t.equal(r.res.status, 303);
    const bounced = (await s.targetLists.all()).find((l) => l.name === 'Bounced')!;
    t.ok(bounced, 'a new list was made');
    const c = await s.targetLists.counts(bounced.id);
    t.same([c.contact, c.lead, c.total], [1, 1, 2], "ann's contact and lead");
    t.ok(await s.targetLists.member(bounced.id, 'lead', lead!));
    await ui.post('/admin/suppressions/bulk', { action: 'addToList', listId: String(existing.id), ids: [String(ann.id), String(bo.id)] }, csrf);
    t.equal((await s.targetLists.counts(existing.id)).total, 3, 'into an existing list');
    r = await ui.post('/admin/suppressions/bulk', { action: 'addToList', ids: [String(ann.id)] }, csrf);
    t.equal(r.res.status, 303, 'no list chosen: back with an error');

    r = await ui.post('/admin/suppressions/bulk', { action: 'formerEmployee', ids: [String(ann.id), String(bo.id)] }, csrf);
    t.equal(r.res.status, 303);
    const rows = await k('records').whereIn('id', [c1!, c2!, lead!]).orderBy('id').select('id', 'former_employee');
    t.same(rows.map((x) => Boolean(Number(x.former_employee))), [true, true, false], 'contacts marked, the lead untouched');
    t.notOk(Boolean(Number((await k('records').where({ external_id: 'x3' }).first()).former_employee)), 'others untouched');
  });
}
