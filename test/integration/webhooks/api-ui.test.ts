/*
 * The webhooks API and admin pages over real HTTP, on every database: create (the secret
 * answered once), read (only "set"), change, send test, deliveries with their attempts,
 * re-send, the history setting, remove; the pages with CSRF on every form.
 */
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

for (const kind of dbKinds()) {
  t.test(kind, async (t) => {
    const got: string[] = [];
    const server = createServer((req, res) => { got.push(req.headers['x-postern-event'] as string); req.resume(); req.on('end', () => { res.writeHead(200); res.end('ok'); }); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { url, api } = await startTestApp(t, { kind });
    const json = async (r: Promise<Response>): Promise<any> => (await r).json();

    await t.test('API', async (t) => {
      const bad = await api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: 'gopher://x', secret: 'whsec_0123456789abcdef', events: ['bounce'] }) });
      t.equal(bad.status, 400);
      t.match(await bad.json(), { error: { code: 'validation_failed', fields: [{ field: 'url' }] } });
      t.equal((await api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: hook, events: ['nope'] }) })).status, 400, 'unknown event');
      const res = await api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: hook, secret: 'whsec_0123456789abcdef', events: ['bounce', 'open'], description: 'crm' }) });
      t.equal(res.status, 201);
      const e: any = await res.json();
      t.match(e, { id: Number, url: hook, secret: 'whsec_0123456789abcdef', secretSet: true, events: ['bounce', 'open'], active: true, description: 'crm' });
      const read = await json(api(`/api/v1/webhooks/${e.id}`));
      t.notOk('secret' in read, 'never shown again');
      t.notOk('secretEnc' in read);
      t.equal(read.secretSet, true);
      t.equal((await json(api('/api/v1/webhooks'))).items.length, 1);
      t.match(await json(api(`/api/v1/webhooks/${e.id}`, { method: 'PATCH', body: JSON.stringify({ active: false }) })), { active: false, secretSet: true });

      const test = await json(api(`/api/v1/webhooks/${e.id}/test`, { method: 'POST' }));
      t.match(test, { deliveryId: Number, state: 'delivered', status: 200, error: null });
      t.same(got, ['webhook.test']);
      const list = await json(api(`/api/v1/webhooks/${e.id}/deliveries`));
      t.equal(list.total, 1);
      t.match(list.items[0], { id: test.deliveryId, event: 'webhook.test', state: 'delivered', attempts: 1, lastStatus: 200 });
      t.equal((await json(api(`/api/v1/webhooks/${e.id}/deliveries?state=failed`))).total, 0);
      const one = await json(api(`/api/v1/webhook-deliveries/${test.deliveryId}`));
      t.equal(one.attemptHistory.length, 1);
      t.match(one.attemptHistory[0], { attempt: 1, responseStatus: 200, responseBody: 'ok', error: null });
      t.match(JSON.parse(one.attemptHistory[0].requestBody), { event: 'webhook.test' });
      const again = await api(`/api/v1/webhook-deliveries/${test.deliveryId}/resend`, { method: 'POST' });
      t.equal(again.status, 201);
      t.match(await again.json(), { resendOf: test.deliveryId, state: 'pending', eventId: one.eventId });
      t.equal((await api('/api/v1/webhook-deliveries/999999')).status, 404);

      t.same(await json(api('/api/v1/webhook-settings')), { historyDays: 30 });
      t.same(await json(api('/api/v1/webhook-settings', { method: 'PUT', body: JSON.stringify({ historyDays: 7 }) })), { historyDays: 7 });
      t.equal((await api('/api/v1/webhook-settings', { method: 'PUT', body: JSON.stringify({ historyDays: 0 }) })).status, 400);

      t.equal((await api(`/api/v1/webhooks/${e.id}`, { method: 'DELETE' })).status, 204);
      t.equal((await api(`/api/v1/webhooks/${e.id}`)).status, 404);
      t.equal((await api(`/api/v1/webhook-deliveries/${test.deliveryId}`)).status, 404, 'its deliveries went with it');
    });

    await t.test('pages', async (t) => {
      const ui = new UiClient(url);
      t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
      const list = await ui.get('/admin/webhooks');
      t.equal(list.res.status, 200);
      t.match(list.html, 'href="/admin/webhooks/new"');
      t.match(list.html, 'href="/admin/webhooks"', 'in the menu');
      const form = await ui.get('/admin/webhooks/new');
      const csrf = UiClient.csrfOf(form.html);
      t.equal((await ui.post('/admin/webhooks/new', { url: hook, events: ['bounce'] })).res.status, 403, 'no CSRF token, no change');
      const invalid = await ui.post('/admin/webhooks/new', { url: 'nope', events: [] }, csrf);
      t.equal(invalid.res.status, 400);
      t.match(invalid.html, 'Enter an http:// or https:// URL.');
      t.match(invalid.html, 'Choose at least one event.');
      const created = await ui.post('/admin/webhooks/new', { url: hook, events: ['bounce', 'click'], active: 'on', description: 'from the UI' }, csrf);
      t.equal(created.res.status, 200);
      const secret = /<code class="key">(whsec_[^<]+)<\/code>/.exec(created.html)?.[1];
      t.ok(secret, 'the generated secret is shown once');
      const id = Number(/action="\/admin\/webhooks\/(\d+)"/.exec(created.html)![1]);
      const edit = await ui.get(`/admin/webhooks/${id}`);
      t.notMatch(edit.html, secret!, 'and never again');
      t.match(edit.html, 'value="click" checked');
      const tested = await ui.post(`/admin/webhooks/${id}`, { action: 'test' }, UiClient.csrfOf(edit.html));
      t.equal(tested.res.status, 303);
      const after = await ui.get(`/admin/webhooks/${id}`);
      t.match(after.html, /Test event delivered \(HTTP 200\)/);
      const did = Number(/href="\/admin\/webhook-deliveries\/(\d+)"/.exec(after.html)![1]);
      const detail = await ui.get(`/admin/webhook-deliveries/${did}`);
      t.equal(detail.res.status, 200);
      t.match(detail.html, 'webhook.test');
      const resent = await ui.post(`/admin/webhook-deliveries/${did}/resend`, {}, UiClient.csrfOf(detail.html));
      t.equal(resent.res.status, 303);
      t.match(resent.res.headers.get('location'), /^\/admin\/webhook-deliveries\/\d+$/);
      const saved = await ui.post(`/admin/webhooks/${id}`, { url: hook, events: ['open'], description: 'changed', active: 'on' }, UiClient.csrfOf(after.html));
      t.equal(saved.res.status, 303);
      const settings = await ui.post('/admin/webhooks/settings', { historyDays: '14' }, csrf);
      t.equal(settings.res.status, 303);
      t.match((await ui.get('/admin/webhooks')).html, 'value="14"');
      const removed = await ui.post(`/admin/webhooks/${id}`, { action: 'delete' }, csrf);
      t.equal(removed.res.status, 303);
      t.equal((await ui.get(`/admin/webhooks/${id}`)).res.status, 404);
    });
  });
}
