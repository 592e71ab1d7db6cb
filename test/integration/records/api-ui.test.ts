/*
 * Records over HTTP on every database: the stable interfaces (POST …/bulk → {created, updated,
 * errors}, GET /api/v1/records/{type}?email= → {items:[{id, externalId, emails:[…]}], total}),
 * CRUD and filters in camelCase, opt-out, and the admin pages (list with filters, record page
 * with addresses, ⚠ blocked, account and target lists, create/edit forms with field errors).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, { tdb });
  const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
  const post = (path: string, body: unknown, method = 'POST') => api(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  await t.test('bulk upsert: {created, updated, errors}; upserts by externalId', async (t) => {
    const r1 = await post('/api/v1/records/contacts/bulk', { items: [
      { externalId: 'crm-1', firstName: 'John', lastName: 'Smith', email: 'John@X.com', accountExternalId: 'acc-1', attributes: { tier: 'gold' } },
      { externalId: 'crm-2', name: 'Bad', email: 'nope' },
      { externalId: 'crm-3', name: 'Mary', emails: ['mary@x.com', 'm@y.org'] },
    ] });
    t.equal(r1.status, 200);
    t.same(await r1.json(), { created: 2, updated: 0, errors: [{ index: 1, message: 'email "nope" is not a valid address' }] });
    const r2 = await json(post('/api/v1/records/contacts/bulk', { items: [{ externalId: 'crm-1', title: 'CTO' }] }));
    t.same(r2, { created: 0, updated: 1, errors: [] });
    const lead = await json(post('/api/v1/records/leads/bulk', { items: [{ externalId: 'lead-1', firstName: 'John', email: ' john@x.COM ' }] }));
    t.same(lead, { created: 1, updated: 0, errors: [] });
    const bad = await post('/api/v1/records/widgets/bulk', { items: [] });
    t.equal(bad.status, 400, 'unknown type');
  });

  await t.test('GET /api/v1/records/{type}?email= (the stable lookup)', async (t) => {
    const r = await json(api('/api/v1/records/contacts?email=JOHN%40x.com'));
    t.equal(r.total, 1);
    t.match(r.items[0], {
      externalId: 'crm-1', firstName: 'John', lastName: 'Smith', name: 'John Smith', title: 'CTO', accountName: 'acc-1', formerEmployee: false,
      attributes: { tier: 'gold' }, emails: [{ address: 'john@x.com', primary: true, optedOut: false, blocked: false }],
    });
    t.type(r.items[0].id, 'number');
    t.type(r.items[0].createdAt, 'number');
    const leads = await json(api('/api/v1/records/leads?email=john@x.com'));
    t.equal(leads.items[0].externalId, 'lead-1');
    t.same(await json(api('/api/v1/records/accounts?email=nobody@x.com')), { items: [], total: 0, page: 1, perPage: 25 });
  });

  await t.test('opt-out of an address shows on every record; blocked addresses carry the reason', async (t) => {
    t.same(await json(post('/api/v1/email-addresses/opt-out', { address: 'John@X.com', optedOut: true })), { address: 'john@x.com', optedOut: true });
    t.equal((await json(api('/api/v1/records/contacts?email=john@x.com'))).items[0].emails[0].optedOut, true);
    t.equal((await json(api('/api/v1/records/leads?email=john@x.com'))).items[0].emails[0].optedOut, true);
    t.equal((await json(api('/api/v1/records/leads?optedOut=true'))).total, 1);
    await app.services.suppressions.block('m@y.org', { reason: 'userunknown' });
    const mary = (await json(api('/api/v1/records/contacts?blocked=true'))).items[0];
    t.match(mary, { externalId: 'crm-3', emails: [{ address: 'mary@x.com', blocked: false }, { address: 'm@y.org', blocked: true }] });
    t.ok(mary.emails[1].blockedReason);
  });

  let id = 0;
  await t.test('CRUD and filters in camelCase', async (t) => {
    const c = await post('/api/v1/records/leads', { firstName: 'Ann', lastName: 'Lee', email: 'ann@lee.io', formerEmployee: true, attributes: { score: 7 } });
    t.equal(c.status, 201);
    const lead: any = await c.json();
    id = lead.id;
    t.match(lead, { name: 'Ann Lee', formerEmployee: true, attributes: { score: 7 }, emails: [{ address: 'ann@lee.io', primary: true }] });
    t.match(await json(api(`/api/v1/records/leads/${id}`)), { id, targetLists: [] });
    const p = await json(post(`/api/v1/records/leads/${id}`, { title: 'VP', formerEmployee: false }, 'PATCH'));
    t.match(p, { title: 'VP', formerEmployee: false, name: 'Ann Lee' });
    const v = await post('/api/v1/records/leads', { email: 'x' });
    t.equal(v.status, 400);
    t.match(await v.json(), { error: { code: 'validation_failed', fields: [{ field: 'email' }] } });
    t.equal((await json(api('/api/v1/records/leads?q=lee'))).total, 1);
    t.equal((await json(api('/api/v1/records/leads?emailDomain=lee.io&title=vp'))).total, 1);
    t.equal((await json(api('/api/v1/records/contacts?attr.tier=gold'))).total, 1);
    t.equal((await json(api('/api/v1/records/contacts?attr.tier=silver'))).total, 0);
    const sorted = await json(api('/api/v1/records/contacts?sort=name&dir=desc&perPage=1'));
    t.equal(sorted.items.length, 1);
    t.equal(sorted.total, 2);
    t.equal(sorted.items[0].name, 'Mary');
    t.same(await json(post('/api/v1/records/former-employee', { ids: [id], value: true })), { changed: 1 });
    t.equal((await json(api('/api/v1/records/leads?formerEmployee=true'))).total, 1);
    t.equal((await api(`/api/v1/records/leads/${id}`, { method: 'DELETE' })).status, 204);
    t.equal((await api(`/api/v1/records/leads/${id}`)).status, 404);
  });

  await t.test('admin pages: lists, record page, forms', async (t) => {
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const home = await ui.get('/admin');
    t.match(home.html, /href="\/admin\/records\/contacts"/, 'in the menu');
    const list = await ui.get('/admin/records/contacts?q=john');
    t.equal(list.res.status, 200);
    t.match(list.html, /John Smith/);
    t.notMatch(list.html, />Mary</, 'filtered');
    t.match(list.html, /opted out/);
    const blocked = await ui.get('/admin/records/contacts?blocked=true');
    t.match(blocked.html, /class="warn" title="Blocked: /);
    t.match(blocked.html, /Mary/);
    const john = (await app.services.records.byExternalId('contact', 'crm-1'))!;
    await app.services.records.setFormerEmployee([john.id], true);
    const page = await ui.get(`/admin/records/contacts/${john.id}`);
    t.equal(page.res.status, 200);
    t.match(page.html, /john@x\.com/);
    t.match(page.html, /former employee/);
    t.match(page.html, /href="\/admin\/records\/accounts\/\d+">acc-1</, 'its account');
    t.match(page.html, /In no target list/);
    t.match((await ui.get('/admin/records/contacts')).html, /John Smith<\/a> <span class="badge former">former employee/, 'former employee on the list too');
    const acct = await ui.get(`/admin/records/accounts/${john.account_id}`);
    t.match(acct.html, /John Smith/, 'the account lists its contacts');
    t.equal((await ui.get('/admin/records/widgets')).res.status, 404);

    // Create with a field error, then fixed.
    const bad = await ui.submit('/admin/records/leads/new', '/admin/records/leads/new', { firstName: 'Zed', emails: 'zed@ok.com\nnot-an-address' });
    t.equal(bad.res.status, 400);
    t.match(bad.html, /id="err-emails"[^>]*>[^<]*not a valid address/);
    const ok = await ui.submit('/admin/records/leads/new', '/admin/records/leads/new', { firstName: 'Zed', lastName: 'Z', emails: 'zed@ok.com', attributes: 'tier=gold' });
    t.equal(ok.res.status, 303);
    const to = ok.res.headers.get('location')!;
    t.match(to, /^\/admin\/records\/leads\/\d+$/);
    const zed = await ui.get(to);
    t.match(zed.html, /Zed Z/);
    t.match(zed.html, /tier/);
    // Edit: rename, drop the attribute, mark former employee.
    const edit = await ui.submit(`${to}/edit`, `${to}/edit`, { firstName: 'Zed', lastName: 'Zulu', emails: 'zed@ok.com', attributes: '', formerEmployee: 'on' });
    t.equal(edit.res.status, 303);
    const after = await app.services.records.get('lead', Number(to.split('/').pop()));
    t.match(after, { name: 'Zed Zulu', former_employee: true, attributes: {} });
    // Opt an address out from the record page.
    const optOut = await ui.submit(to, to, { action: 'optOut', address: 'zed@ok.com' });
    t.equal(optOut.res.status, 303);
    t.equal(await app.services.records.isOptedOut('zed@ok.com'), true);
    const del = await ui.submit(to, to, { action: 'delete' });
    t.equal(del.res.headers.get('location'), '/admin/records/leads');
  });
});
