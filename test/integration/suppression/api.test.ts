/*
 * Blocked addresses end to end over HTTP on every database: the stable lookup
 * GET /api/v1/suppressions?address=, recording bounces through the service, manual add,
 * CSV import/export, unblock, delete, grouping, the policy, and the admin pages.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';
import { processBounceMessage } from '../../../server/suppression/processor.js';
import { arf, dsn } from './reports.js';

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, { tdb });
  const svc = app.services.suppressions;
  const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
  const lookup = async (address: string) => (await json(api(`/api/v1/suppressions?address=${encodeURIComponent(address)}`))) as { items: any[]; total: number };

  await t.test('unknown address: empty result in the stable shape', async (t) => {
    t.same(await lookup('nobody@example.com'), { items: [], total: 0, page: 1, perPage: 25 });
  });

  await t.test('a hard bounce blocks at once; the lookup is case-insensitive and accepts <brackets>', async (t) => {
    const r = await svc.recordBounce({ address: 'Gone@Example.com', class: 'hard', reason: 'userunknown', side: 'recipient', queueId: 42 });
    t.equal(r.blocked, true);
    const res = await lookup('<gone@EXAMPLE.com>');
    t.equal(res.total, 1);
    t.match(res.items[0], { address: 'gone@example.com', reason: 'userunknown', class: 'hard', blocked: true, lastQueueId: 42, source: 'bounce' });
  });

  await t.test('soft bounces block at the threshold; sender-side refusals never count', async (t) => {
    for (let i = 0; i < 10; i++) await svc.recordBounce({ address: 'ours@example.com', class: 'soft', reason: 'blocked', side: 'sender' });
    t.equal((await lookup('ours@example.com')).total, 0, 'our reputation problem is not the recipient\'s');
    for (let i = 0; i < 4; i++) await svc.recordBounce({ address: 'full@example.net', class: 'soft', reason: 'mailboxfull', side: 'recipient' });
    t.equal((await lookup('full@example.net')).total, 0, 'four soft bounces: not yet');
    const notBlocked = await json(api('/api/v1/suppressions?blocked=false&address=full@example.net'));
    t.equal(notBlocked.items[0].bounceCount, 4, 'but tracked');
    await svc.recordBounce({ address: 'full@example.net', class: 'soft', reason: 'mailboxfull', side: 'recipient' });
    t.match((await lookup('full@example.net')).items[0], { reason: 'mailboxfull', class: 'soft' });
  });

  await t.test('concurrent bounces for one address lose no count', async (t) => {
    await api('/api/v1/bounce-policy', { method: 'PUT', body: JSON.stringify({ threshold: 100 }) });
    await Promise.all(Array.from({ length: 20 }, () => svc.recordBounce({ address: 'busy@example.org', class: 'soft', reason: 'mailboxfull', side: 'recipient' })));
    const r = await json(api('/api/v1/suppressions?blocked=false&address=busy@example.org'));
    t.equal(r.items[0].bounceCount, 20);
    await api('/api/v1/bounce-policy', { method: 'PUT', body: JSON.stringify({ threshold: 5 }) });
  });

  await t.test('a complaint blocks at once', async (t) => {
    await svc.recordComplaint({ address: 'angry@example.com', feedbackType: 'abuse' });
    t.match((await lookup('angry@example.com')).items[0], { blocked: true, reason: 'feedback', source: 'complaint' });
  });

  await t.test('manual add, validation, CSV import and export', async (t) => {
    const add = await api('/api/v1/suppressions', { method: 'POST', body: JSON.stringify({ address: 'Manual@Example.com', note: 'asked by phone' }) });
    t.equal(add.status, 201);
    t.match(await json(add), { address: 'manual@example.com', reason: 'manual', source: 'manual' });
    const bad = await api('/api/v1/suppressions', { method: 'POST', body: JSON.stringify({ address: 'user%evil.test@example.com' }) });
    t.equal(bad.status, 400);
    t.equal((await json(bad)).error.fields[0].field, 'address');
    const imp = await json(api('/api/v1/suppressions/import', { method: 'POST', body: JSON.stringify({ csv: 'address,reason\none@example.com,legal\ntwo@example.com,\nnot-an-address,x\n' }) }));
    t.equal(imp.added, 2);
    t.same(imp.errors.map((e: any) => e.line), [4]);
    t.match((await lookup('one@example.com')).items[0], { reason: 'legal', source: 'import' });
    const csv = await (await api('/api/v1/suppressions/export.csv')).text();
    t.match(csv, /^address,blocked,reason,class/);
    t.match(csv, /one@example.com,yes,legal/);
    t.notMatch(csv, /busy@example.org/, 'export lists blocked addresses by default');
  });

  await t.test('CSV export neutralises formula cells; importing that file reads them back', async (t) => {
    const add = await api('/api/v1/suppressions', { method: 'POST', body: JSON.stringify({ address: '=cmd@example.net', reason: '+sum', note: '=HYPERLINK("http://evil.test","click")' }) });
    t.equal(add.status, 201);
    await svc.block('-list@example.net', { note: '@SUM(A1:A9)' });
    const csv = await (await api('/api/v1/suppressions/export.csv?domain=example.net')).text();
    const lines = csv.trim().split(/\r?\n/).slice(1);
    t.ok(lines.some((l) => l.startsWith(`'-list@example.net,yes,manual,none,manual,0,`)), 'a leading - is neutralised');
    t.ok(lines.some((l) => l.startsWith(`'=cmd@example.net,yes,'+sum,none,manual,0,`)), 'a leading = and + too');
    t.match(csv, /'=HYPERLINK/);
    t.match(csv, /'@SUM\(A1:A9\)/);
    t.notMatch(csv, /(^|,)[=+\-@]/m, 'no cell starts with a formula character');
    const ids = (await json(api('/api/v1/suppressions?domain=example.net'))).items.map((r: any) => r.id);
    await api('/api/v1/suppressions/delete', { method: 'POST', body: JSON.stringify({ ids }) });
    const imp = await json(api('/api/v1/suppressions/import', { method: 'POST', body: JSON.stringify({ csv }) }));
    t.same(imp.errors, [], 'every exported row imports cleanly');
    t.match((await lookup('=cmd@example.net')).items[0], { address: '=cmd@example.net', reason: '+sum', note: '=HYPERLINK("http://evil.test","click")' });
    t.match((await lookup('-list@example.net')).items[0], { address: '-list@example.net', note: '@SUM(A1:A9)' });
  });

  await t.test('group by reason and domain', async (t) => {
    const byReason = await json(api('/api/v1/suppressions/groups?by=reason'));
    t.ok(byReason.items.find((g: any) => g.key === 'userunknown' && g.n === 1));
    const byDomain = await json(api('/api/v1/suppressions/groups?by=domain'));
    t.ok(byDomain.items.find((g: any) => g.key === 'example.com' && g.n >= 5));
  });

  await t.test('unblock clears the mark; delete removes the history', async (t) => {
    const id = (await lookup('gone@example.com')).items[0].id;
    t.same(await json(api('/api/v1/suppressions/unblock', { method: 'POST', body: JSON.stringify({ ids: [id] }) })), { unblocked: 1 });
    t.equal((await lookup('gone@example.com')).total, 0, 'can be mailed again');
    t.equal((await api(`/api/v1/suppressions/${id}`, { method: 'DELETE' })).status, 204);
    t.equal((await api(`/api/v1/suppressions/${id}`)).status, 404);
  });

  await t.test('policy validation', async (t) => {
    const res = await api('/api/v1/bounce-policy', { method: 'PUT', body: JSON.stringify({ threshold: 0 }) });
    t.equal(res.status, 400);
    t.match(await json(api('/api/v1/bounce-policy')), { blockOnHard: true, threshold: 5 });
  });

  await t.test('unmatched reports: kept, listed in the API and on a page; an admin blocks one by hand', async (t) => {
    await processBounceMessage(app.services, { inboundId: 501, raw: Buffer.from(arf({ feedback: ['Original-Rcpt-To: reported@anybank.test'] })), verpQueueIds: [] });
    await processBounceMessage(app.services, { inboundId: 502, raw: Buffer.from(dsn('gone@anybank.test', { diag: '550 5.1.1 <script>alert(1)</script> user unknown' })), verpQueueIds: [] });
    t.equal((await lookup('reported@anybank.test')).total, 0, 'the report blocked nobody');
    const all = await json(api('/api/v1/suppressions/unmatched'));
    t.match(all.items.find((e: any) => e.recipient === 'reported@anybank.test'), { source: 'arf', reason: 'feedback', inboundId: 501 });
    const arfOnly = await json(api('/api/v1/suppressions/unmatched?source=arf'));
    t.ok(arfOnly.items.length >= 1 && arfOnly.items.every((e: any) => e.source === 'arf'), 'filter by kind');
    t.equal((await api('/api/v1/suppressions/unmatched?source=smtp')).status, 400);

    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    t.match((await ui.get('/admin/suppressions')).html, /href="\/admin\/suppressions\/unmatched"/, 'linked from the list');
    const page = await ui.get('/admin/suppressions/unmatched');
    t.equal(page.res.status, 200);
    t.match(page.html, /reported@anybank\.test/);
    t.match(page.html, /href="\/admin\/inbound\/501"/, 'the report itself is one click away');
    t.notMatch(page.html, /<script>alert/, 'reported text is escaped');
    t.match(page.html, /&lt;script&gt;alert/, 'and shown');
    const noCsrf = await ui.post('/admin/suppressions/unmatched/block', { address: 'reported@anybank.test', source: 'arf', inbound: '501' }, 'wrong');
    t.equal(noCsrf.res.status, 403);
    t.equal((await lookup('reported@anybank.test')).total, 0, 'a forged form changes nothing');
    const ok = await ui.submit('/admin/suppressions/unmatched', '/admin/suppressions/unmatched/block', { address: 'reported@anybank.test', source: 'arf', inbound: '501', back: '?source=arf' });
    t.equal(ok.res.status, 303);
    t.equal(ok.res.headers.get('location'), '/admin/suppressions/unmatched?source=arf');
    t.match((await lookup('reported@anybank.test')).items[0], { blocked: true, reason: 'manual', source: 'manual', note: /unmatched complaint report, inbound message #501/ });
    const bad = await ui.submit('/admin/suppressions/unmatched', '/admin/suppressions/unmatched/block', { address: 'not an address' });
    t.equal(bad.res.status, 303);
    t.match((await ui.get('/admin/suppressions/unmatched')).html, /Not blocked/);
  });

  await t.test('admin pages: list with warning icon, filter, group, add form errors, bulk unblock, policy form', async (t) => {
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const list = await ui.get('/admin/suppressions?class=hard');
    t.equal(list.res.status, 200);
    t.notMatch(list.html, /manual@example.com/, 'filtered by class');
    const all = await ui.get('/admin/suppressions');
    t.match(all.html, /title="Blocked: feedback"/, 'warning icon with the reason');
    const grouped = await ui.get('/admin/suppressions?group=reason');
    t.match(grouped.html, /Blocked addresses by reason/);
    const bad = await ui.submit('/admin/suppressions/new', '/admin/suppressions/new', { address: 'nope' });
    t.equal(bad.res.status, 400);
    t.match(bad.html, /class="field-error"/, 'form re-shown with the field error');
    t.match(bad.html, /value="nope"/, 'keeping what was typed');
    const good = await ui.submit('/admin/suppressions/new', '/admin/suppressions/new', { address: 'ui@example.com' });
    t.equal(good.res.status, 303);
    const id = (await lookup('ui@example.com')).items[0].id;
    const bulk = await ui.submit('/admin/suppressions', '/admin/suppressions/bulk', { action: 'unblock', ids: [String(id)] });
    t.equal(bulk.res.status, 303);
    t.equal((await lookup('ui@example.com')).total, 0);
    t.match((await ui.get('/admin/suppressions')).html, /1 address\(es\) unblocked/, 'flash message');
    const pol = await ui.submit('/admin/suppressions/policy', '/admin/suppressions/policy', { threshold: 'x', windowDays: '30', decayAfter: '3' });
    t.equal(pol.res.status, 400);
    t.match(pol.html, /must be a whole number/);
    const noCsrf = await ui.post('/admin/suppressions/new', { address: 'csrf@example.com' }, 'wrong');
    t.equal(noCsrf.res.status, 403);
    t.equal((await lookup('csrf@example.com')).total, 0, 'a forged form changes nothing');
  });
});
