/*
 * The outbound queue pages as a signed-in admin on every database: list with filters and
 * state tabs, per-row retry / cancel forms (POST + CSRF), bulk "retry failed only" keeping
 * the filters, the detail page with every attempt, and attachment download.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

void eachDb(t, async (t, tdb) => {
  const { url, app, api } = await startTestApp(t, { tdb });
  const k = tdb.db.knex;
  const now = Date.now();
  const acct = async (name: string) => Number((await k('upstream_accounts').insert({ name, kind: 'sandbox', allowed_from: '[]', active: true, created_at: now, updated_at: now }))[0]);
  const a1 = await acct('acct-a'), a2 = await acct('acct-b');
  const send = async (accountId: number, to: string[], extra: Record<string, unknown> = {}) =>
    (await api('/api/v1/messages', { method: 'POST', body: JSON.stringify({ accountId, from: 'x@ours.example', to, subject: 'Subj <1>', text: 'T', ...extra }) })).json() as Promise<any>;
  await send(a1, ['f1@example.com', 'd1@example.com', 'q1@example.com'], { attachments: [{ filename: 'a.txt', contentType: 'text/plain', contentBase64: Buffer.from('att!').toString('base64') }] });
  await send(a2, ['f2@example.com']);
  const id = async (rcpt: string) => Number((await k('outbound_queue').where({ recipient: rcpt }).first()).id);
  const [f1, d1, q1, f2] = [await id('f1@example.com'), await id('d1@example.com'), await id('q1@example.com'), await id('f2@example.com')];
  await k('outbound_queue').whereIn('id', [f1, f2]).update({ state: 'failed', attempts: 1, upstream_response: '550 5.1.1 unknown user' });
  await k('outbound_queue').where({ id: d1 }).update({ state: 'deferred', attempts: 1, run_at: now + 3_600_000 });
  await k('outbound_attempts').insert({ queue_id: f1, at: now, result: 'failed', code: 550, response: '550 5.1.1 <f1@example.com>: unknown user', duration_ms: 12 });
  const stateOf = async (qid: number) => (await k('outbound_queue').where({ id: qid }).first()).state;

  const ui = new UiClient(url);
  t.equal((await ui.login(app.admin?.username ?? 'admin', ADMIN_PASSWORD)).res.status, 303);

  await t.test('list: rows, counts per state, filters and escaping', async (t) => {
    const { res, html } = await ui.get('/admin/queue');
    t.equal(res.status, 200);
    for (const r of ['f1@example.com', 'd1@example.com', 'q1@example.com', 'f2@example.com']) t.match(html, r);
    t.match(html, /Subj &lt;1&gt;/, 'subject escaped');
    t.match(html, /failed <span class="count">2<\/span>/);
    t.match(html, /Retry failed only \(2\)/);
    const filtered = await ui.get(`/admin/queue?accountId=${a2}&state=failed`);
    t.match(filtered.html, /f2@example.com/);
    t.notMatch(filtered.html, /f1@example.com/);
    t.match(filtered.html, new RegExp(`<option value="${a2}" selected>acct-b`));
    const bad = await ui.get('/admin/queue?since=garbage');
    t.equal(bad.res.status, 400);
    t.match(bad.html, /Not a date/);
    const sorted = await ui.get('/admin/queue?sort=recipient&dir=asc');
    t.ok(sorted.html.indexOf('d1@example.com') < sorted.html.indexOf('q1@example.com'), 'sorted by recipient');
    t.match(sorted.html, /aria-sort="ascending"/);
    t.match((await ui.get('/admin')).html, /Outbound failed<\/div>\s*<div class="card-value"><a href="\/admin\/queue\?state=failed">2</, 'dashboard card');
  });

  await t.test('a blocked recipient carries a ⚠ with the reason, in the list and on its row', async (t) => {
    await app.services.suppressions.block('F1@example.com', { reason: 'userunknown' });
    t.teardown(async () => { await k('suppressions').where({ address: 'f1@example.com' }).delete(); });
    const { html } = await ui.get('/admin/queue?sort=recipient&dir=asc');
    t.match(html, /<span class="warn" title="Blocked: userunknown"[^>]*>⚠<\/span> f1@example\.com/);
    t.notMatch(html, /⚠<\/span> q1@example\.com/, 'only the blocked one');
    const detail = await ui.get(`/admin/queue/${f1}`);
    t.match(detail.html, /⚠<\/span> f1@example\.com/);
    t.match(detail.html, /blocked: userunknown/);
  });

  await t.test('per-row actions: only the right buttons, retry and cancel work and come back', async (t) => {
    const { html } = await ui.get('/admin/queue');
    t.match(html, new RegExp(`action="/admin/queue/${f1}/retry"`));
    t.notMatch(html, new RegExp(`action="/admin/queue/${f1}/cancel"`), 'a failed row cannot be canceled');
    t.match(html, new RegExp(`action="/admin/queue/${d1}/cancel"`));
    t.notMatch(html, new RegExp(`action="/admin/queue/${q1}/retry"`));
    const csrf = UiClient.csrfOf(html);
    let r = await ui.post(`/admin/queue/${d1}/cancel`, { back: '/admin/queue?state=deferred' }, csrf);
    t.equal(r.res.status, 303);
    t.equal(r.res.headers.get('location'), '/admin/queue?state=deferred');
    t.equal(await stateOf(d1), 'canceled');
    r = await ui.post(`/admin/queue/${d1}/cancel`, { back: 'https://evil.example/' }, csrf);
    t.equal(r.res.headers.get('location'), `/admin/queue/${d1}`, 'never redirects off-site');
    t.match((await ui.get(`/admin/queue/${d1}`)).html, /Only queued or deferred rows can be canceled/);
    await ui.post(`/admin/queue/${f1}/retry`, { back: `/admin/queue/${f1}` }, csrf);
    t.equal(await stateOf(f1), 'queued');
    t.equal((await ui.post(`/admin/queue/${f2}/retry`, {})).res.status, 403, 'no CSRF token, no action');
    t.equal(await stateOf(f2), 'failed');
  });

  await t.test('bulk retry failed only keeps the filters and touches failed rows only', async (t) => {
    await k('outbound_queue').where({ id: f1 }).update({ state: 'failed' });
    const page = await ui.get(`/admin/queue?accountId=${a1}`);
    t.match(page.html, new RegExp(`<input type="hidden" name="accountId" value="${a1}">`));
    const r = await ui.post('/admin/queue/retry-failed', { accountId: String(a1), back: `/admin/queue?accountId=${a1}` }, UiClient.csrfOf(page.html));
    t.equal(r.res.headers.get('location'), `/admin/queue?accountId=${a1}`);
    t.same([await stateOf(f1), await stateOf(f2), await stateOf(d1), await stateOf(q1)], ['queued', 'failed', 'canceled', 'queued']);
    t.match((await ui.get(`/admin/queue?accountId=${a1}`)).html, /1 failed row\(s\) queued again/);
  });

  await t.test('detail page: attempts with the upstream reply, attachment download', async (t) => {
    const { html } = await ui.get(`/admin/queue/${f1}`);
    t.match(html, /550 5.1.1 &lt;f1@example.com&gt;: unknown user/);
    t.match(html, /12 ms/);
    const m = /href="(\/admin\/queue\/\d+\/attachments\/\d+)">a.txt</.exec(html);
    t.ok(m, 'attachment link');
    const dl = await ui.get(m![1]!);
    t.equal(dl.res.headers.get('content-disposition'), 'attachment; filename="a.txt"');
    t.equal(dl.html, 'att!');
    t.equal((await ui.get('/admin/queue/999999')).res.status, 404);
  });
});
