/*
 * A real browser creates a campaign and a mass email, sends a test (the upstream gets it marked
 * `X-Postern-Test: yes`), starts it and watches the mass email page's own polling move the
 * progress to complete without a reload.
 */
import t from 'tap';
import { launchBrowser, signIn } from '../helpers/browser.js';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';
import { startUpstream } from '../helpers/upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a mass email from the UI, with a test send and live progress', async (t) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const { url, app, api } = await startTestApp(t, { roles: ['http', 'worker'], overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 } } });
  const s = app.services;
  const ok = async (path: string, body: unknown) => {
    const res = await api(path, { method: 'POST', body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${path} → ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  await s.dkim.generate('ours.example');
  await ok('/api/v1/accounts', { name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', maxConnections: 2 });
  await ok('/api/v1/templates', { name: 'Spring', subject: 'Hello {Person.firstName}', html: '<p>Dear {Person.name}</p>' });
  await ok('/api/v1/records/contacts/bulk', { items: ['ann', 'bo', 'cy'].map((n, i) => ({ externalId: `C${i}`, firstName: n, email: `${n}@x.example` })) });
  const list = await ok('/api/v1/target-lists', { name: 'Customers' });
  await ok(`/api/v1/target-lists/${list.id}/members`, { records: [0, 1, 2].map((i) => ({ type: 'contact', externalId: `C${i}` })) });

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext()).newPage();
  await signIn(page, url, 'admin', ADMIN_PASSWORD);

  await page.getByRole('link', { name: 'Campaigns' }).click();
  await page.waitForURL(`${url}/admin/campaigns`);
  await page.getByLabel('Name', { exact: true }).fill('Spring');
  await page.locator('select[name=type]').first().selectOption('newsletter');
  await page.locator('select[name=targetListIds]').first().selectOption(String(list.id));
  await page.getByRole('button', { name: 'Create campaign' }).click();
  await page.waitForURL(/\/admin\/campaigns\/\d+$/);
  t.match(await page.textContent('.flash'), /Campaign Spring created/);

  const form = page.locator('form[data-mass-form]');
  await form.getByLabel('Name', { exact: true }).fill('Wave 1');
  await form.getByLabel('Template').selectOption({ label: 'Spring' });
  await form.getByLabel('Upstream account').selectOption({ label: 'relay' });
  await form.getByLabel('From address').fill('news@ours.example');
  await form.getByLabel('From name').fill('Ours');
  t.equal(await form.locator('select[name=targetListIds]').inputValue(), String(list.id), "the campaign's list is preselected");
  await form.getByRole('button', { name: 'Save as draft' }).click();
  await page.waitForURL(/\/admin\/mass-emails\/\d+$/);
  t.equal((await page.textContent('[data-status]'))?.trim(), 'Draft');

  await page.getByLabel('Test addresses').fill('qa@test.example');
  await page.getByRole('button', { name: 'Send test' }).click();
  await page.waitForURL(/\/admin\/mass-emails\/\d+$/);
  t.match(await page.textContent('.flash'), /Test queued to: qa@test\.example/);
  for (let i = 0; i < 200 && !up.received.length; i++) await sleep(50);
  t.same(up.received.map((r) => r.to[0]), ['qa@test.example'], 'the test reached the upstream');
  t.match(String(up.received[0]?.raw), /\r\nX-Postern-Test: yes\r\n/, 'marked as a test');

  await page.getByRole('button', { name: 'Start now' }).click();
  await page.waitForURL(/\/admin\/mass-emails\/\d+$/);
  t.match(await page.textContent('.flash'), /Wave 1 is starting/);
  await page.evaluate('window.stayed = true');
  // The job runs every minute; run it here meanwhile, as the cron would. The page only polls.
  let done = false;
  for (let i = 0; i < 60 && !done; i++) {
    await s.scheduler.runNow('send-mass-emails').catch(() => undefined);
    done = await page.locator('[data-progress-final="complete"]').count() > 0;
    if (!done) await sleep(1000);
  }
  t.ok(done, 'the page saw the mass email complete');
  t.equal(await page.evaluate('window.stayed'), true, 'no reload: the polling updated the page');
  t.equal((await page.textContent('[data-status]'))?.trim(), 'Complete');
  t.equal((await page.textContent('[data-count="sent"]'))?.trim(), '3');
  t.match(await page.textContent('[data-progress-summary]'), /3 of 3 done \(100%\)/);
  t.same(up.received.map((r) => r.to[0]).slice(1).sort(), ['ann@x.example', 'bo@x.example', 'cy@x.example'], 'the members got it');
});
