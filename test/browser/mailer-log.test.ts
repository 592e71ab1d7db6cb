/*
 * A real browser on the mailer log: after an upstream deferred one recipient and refused
 * another, the admin opens the log from the sidebar, filters it to errors of that account,
 * sees the refused recipient with the upstream's reply, and downloads the filtered CSV.
 */
import t from 'tap';
import { launchBrowser, signIn } from '../helpers/browser.js';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';
import { startUpstream } from '../helpers/upstream.js';
import { enqueue } from '../../server/outbound/enqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('mailer log: filter to errors, download the CSV', async (t) => {
  const up = await startUpstream({ rules: (r) => (r.startsWith('busy') ? '450' : r.startsWith('gone') ? '550' : 'ok') });
  const { url, app, api } = await startTestApp(t, { roles: ['http', 'worker'], overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 } } });
  const s = app.services;
  t.teardown(async () => { await s.delivery.close(); await up.close(); });
  const account = await (await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'Flaky relay', host: '127.0.0.1', port: up.port, security: 'none' }) })).json() as { id: number };
  await enqueue(s, { message: { source: 'single', account_id: account.id, message_type_id: null, from_addr: 'news@ours.example', from_name: 'Ours', reply_to: null, subject: 'Hi',
    html: '<p>Hi</p>', text: 'Hi', headers: null, bulk: false, created_by: null, send_at: null },
  recipients: ['fine', 'busy', 'gone'].map((n) => ({ address: `${n}@rcpt.example`, kind: 'to' as const })), uniqueKeyPrefix: 'browser' });
  for (let i = 0; i < 200; i++) {
    await s.mailerLog.flush();
    if ((await s.mailerLog.list({ source: 'delivery' }, {})).total >= 2) break;
    await sleep(40);
  }

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  await signIn(page, url, 'admin', ADMIN_PASSWORD);

  await page.locator('nav.sidebar').getByRole('link', { name: 'Mailer log' }).click();
  await page.waitForURL(`${url}/admin/mailer-log`);
  t.ok(await page.locator('[data-log-entry][data-source="delivery"]').count() >= 2, 'deferred and failed rows are listed');
  const filter = page.locator('[data-mailer-log-filter]');
  await filter.locator('select[name="level"]').selectOption({ label: 'Error' });
  await filter.locator('select[name="accountId"]').selectOption({ label: 'Flaky relay' });
  await filter.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/level=error/);
  const rows = page.locator('[data-log-entry]');
  t.equal(await rows.count(), 1, 'only the refusal');
  t.match(await rows.first().locator('[data-message]').textContent(), /Refused by Flaky relay: 550 5\.1\.1 <gone@rcpt\.example>/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  t.equal(download.suggestedFilename(), 'mailer-log.csv');
  const csv = parse(readFileSync((await download.path())!, 'utf8')) as string[][];
  t.equal(csv[0]![0], 'id');
  t.equal(csv.length, 2, 'the header and the filtered row');
  t.match(csv[1], [/^\d+$/, /Z$/, 'error', 'delivery', 'delivery.failed', /Refused by Flaky relay/, /^550 5\.1\.1/, String(account.id)]);
});
