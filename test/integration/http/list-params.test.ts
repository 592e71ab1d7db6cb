/*
 * Every list page of the admin UI and every list of the API with repeated query
 * parameters and absurd page numbers, on every database: the UI renders with the first
 * value, the API answers 400 JSON, and nothing answers 500.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

// [path, its filters]: every parameter the page reads gets repeated.
const UI_PAGES: Array<[string, string[]]> = [
  ['/admin', []], ['/admin/users', ['role', 'active']], ['/admin/teams', []], ['/admin/apikeys', []], ['/admin/jobs', []],
  ['/admin/templates', []], ['/admin/message-types', []], ['/admin/credentials', []], ['/admin/accounts', []],
  ['/admin/suppressions', ['address', 'reason', 'domain', 'source']], ['/admin/suppressions/export.csv', ['address', 'reason', 'domain']],
  ['/admin/domains', ['kind', 'domainId']], ['/admin/queue', ['state', 'accountId', 'messageTypeId', 'recipient', 'source', 'from', 'to']],
  ['/admin/inbound', ['state', 'kind', 'listener', 'spf', 'dkim', 'dmarc', 'sender', 'address', 'messageId', 'from', 'to']],
  ['/admin/compose', ['template', 'accountId']],
];
const API_LISTS: Array<[string, string[]]> = [
  ['/api/v1/users', ['role', 'active']], ['/api/v1/teams', []], ['/api/v1/apikeys', []], ['/api/v1/templates', []], ['/api/v1/message-types', []],
  ['/api/v1/smtp-credentials', []], ['/api/v1/accounts', []], ['/api/v1/sandbox', []], ['/api/v1/suppressions', ['address', 'reason']],
  ['/api/v1/domains', ['kind']], ['/api/v1/mailboxes', ['kind', 'domainId']], ['/api/v1/queue', ['state', 'recipient']],
  ['/api/v1/inbound', ['state', 'kind', 'sender', 'address', 'messageId']],
];
const LIST_PARAMS = ['q', 'sort', 'dir', 'page', 'perPage'];
// A valid first value (the one that counts), then a second one.
const FIRST: Record<string, string> = { page: '1', perPage: '10', dir: 'asc', from: '2024-01-01', to: '2024-01-02', state: 'queued', active: 'true' };
const twice = (p: string) => `${p}=${FIRST[p] ?? (/Id$/.test(p) ? '1' : 'x')}&${p}=${p === 'dir' ? 'desc' : '2'}`;
const BAD_PAGES = ['1e20', '99999999999999999999', '9007199254740993', '0', '-1', '1.5', '1000001'];

void eachDb(t, async (t, tdb) => {
  const { url, api } = await startTestApp(t, { tdb });
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);

  await t.test('UI pages render with the first of repeated parameters', async (t) => {
    for (const [path, filters] of UI_PAGES) {
      for (const p of [...LIST_PARAMS, ...filters]) {
        const { res } = await ui.get(`${path}?${twice(p)}`);
        t.equal(res.status, 200, `${path}?${twice(p)}`);
      }
    }
    const users = await ui.get('/admin/users?q=admin&q=nobody-matches');
    t.match(users.html, /<input name="q" value="admin"/, 'the first value is the one used');
    t.match(users.html, /href="\/admin\/users\/\d+">admin</);
  });

  await t.test('UI pages refuse or ignore absurd page numbers', async (t) => {
    for (const [path] of UI_PAGES) {
      for (const page of BAD_PAGES) {
        const { res } = await ui.get(`${path}?page=${page}`);
        t.ok(res.status === 200 || res.status === 400, `${path}?page=${page}: ${res.status}`);
      }
    }
  });

  await t.test('API lists answer 400 JSON for repeated parameters and absurd pages', async (t) => {
    for (const [path, filters] of API_LISTS) {
      for (const q of [...[...LIST_PARAMS, ...filters].map(twice), ...BAD_PAGES.map((p) => `page=${p}`)]) {
        const res = await api(`${path}?${q}`);
        t.equal(res.status, 400, `${path}?${q}`);
        t.match(await res.json(), { error: { code: 'validation_failed' } }, `${path}?${q} JSON error`);
      }
      t.equal((await api(`${path}?page=1000000`)).status, 200, `${path}: the last allowed page is an empty page`);
    }
    t.equal((await api('/api/v1/mailboxes?kind=group')).status, 200, 'the mailbox kind filter is not an ambiguous column');
  });
});
