/*
 * The mailer status page in a real browser: an account whose upstream answers 450 shows as
 * failing with the remote reply; the admin disables it from its row (the page says so and
 * the account stops), then enables it again.
 */
import t from 'tap';
import { launchBrowser, signIn } from '../helpers/browser.js';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';
import { startUpstream } from '../helpers/upstream.js';
import { enqueue } from '../../server/outbound/enqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('status page: sees a failing account and toggles it', async (t) => {
  const up = await startUpstream({ rules: () => '450' });
  t.teardown(() => up.close());
  const { url, app, api, tdb } = await startTestApp(t, {
    roles: ['http', 'worker'], overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 10 }, outbound: { maxAgeHours: 72, retryBaseMs: 3_600_000, retryMaxMs: 3_600_000, verpPrefix: 'b' } },
  });
  const acct = await (await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'flaky-relay', host: '127.0.0.1', port: up.port, security: 'none' }) })).json() as { id: number };
  const r = await enqueue(app.services, {
    message: { source: 'single', account_id: acct.id, message_type_id: null, from_addr: 'news@ours.example', from_name: '', reply_to: null, subject: 'Hi', html: null, text: 'Hi',
      headers: null, bulk: false, created_by: null, send_at: null },
    recipients: [{ address: 'someone@example.org', kind: 'to' }], uniqueKeyPrefix: 'browser:status',
  });
  for (let i = 0; i < 200 && (await tdb.db.knex('outbound_queue').where({ message_id: r.messageId }).first()).state !== 'deferred'; i++) await sleep(50);

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext()).newPage();
  await signIn(page, url, 'admin', ADMIN_PASSWORD);
  await page.locator('nav.sidebar').getByRole('link', { name: 'Mailer status' }).click();
  await page.waitForURL(`${url}/admin/status`);

  const row = page.locator(`tr[data-source="accounts-${acct.id}"]`);
  t.equal(await row.getAttribute('data-state'), 'failing');
  t.match(await row.innerText(), /Failing/);
  t.match(await row.innerText(), /failing since/);
  t.match(await row.innerText(), /450 4\.2\.1 Mailbox busy/, 'the remote reply');
  t.equal(await row.getByRole('link', { name: 'Mailer log' }).getAttribute('href'), `/admin/mailer-log?accountId=${acct.id}`);

  await row.getByRole('button', { name: 'Disable' }).click();
  await page.waitForURL(`${url}/admin/status`);
  t.match(await page.locator('.flash').innerText(), /Disabled/);
  t.equal(await page.locator(`tr[data-source="accounts-${acct.id}"]`).getAttribute('data-state'), 'disabled');
  t.equal((await app.services.accounts.get(acct.id)).active, false, 'the account is off');

  await page.locator(`tr[data-source="accounts-${acct.id}"]`).getByRole('button', { name: 'Enable' }).click();
  await page.waitForURL(`${url}/admin/status`);
  t.equal(await page.locator(`tr[data-source="accounts-${acct.id}"]`).getAttribute('data-state'), 'failing', 'on again, and still failing');
  t.equal((await app.services.accounts.get(acct.id)).active, true);
});
