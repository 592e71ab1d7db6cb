/*
 * A real browser on the campaign log: after a mass email went out and two people opened it
 * (fetched like a mail client would, a minute later), the marketer opens the campaign's log from
 * its page, picks the Opened tab, turns that selection into a new target list and sees the list
 * with its two members.
 */
import t from 'tap';
import { launchBrowser, signIn } from '../helpers/browser.js';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';
import { startUpstream } from '../helpers/upstream.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('campaign log: filter Opened, make a target list of the selection', async (t) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  let offset = 0;
  const { url, app, api } = await startTestApp(t, { roles: ['http', 'worker'], clock: { now: () => Date.now() + offset }, overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 } } });
  const s = app.services;
  const ok = async (path: string, body?: unknown) => {
    const res = await api(path, { method: 'POST', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (res.status >= 300) throw new Error(`${path} → ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  await s.dkim.generate('ours.example');
  const account = await ok('/api/v1/accounts', { name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', maxConnections: 2 });
  const template = await ok('/api/v1/templates', { name: 'Spring', subject: 'Hello {Person.firstName}', html: '<p>Dear {Person.name}</p>' });
  await ok('/api/v1/records/contacts/bulk', { items: ['ann', 'bo', 'cy', 'di'].map((n, i) => ({ externalId: `C${i}`, firstName: n, email: `${n}@x.example` })) });
  const list = await ok('/api/v1/target-lists', { name: 'Customers' });
  await ok(`/api/v1/target-lists/${list.id}/members`, { records: [0, 1, 2, 3].map((i) => ({ type: 'contact', externalId: `C${i}` })) });
  const campaign = await ok('/api/v1/campaigns', { name: 'Spring', type: 'newsletter', targetListIds: [list.id] });
  const me = await ok('/api/v1/mass-emails', { campaignId: campaign.id, name: 'Wave 1', templateId: template.id, accountId: account.id, fromAddress: 'news@ours.example', status: 'pending' });
  for (let i = 0; i < 200 && (await s.campaigns.getMassEmail(me.id)).status !== 'complete'; i++) {
    if (i % 10 === 0) await s.scheduler.runNow('send-mass-emails').catch(() => undefined);
    await sleep(50);
  }
  t.equal(up.received.length, 4, 'sent');
  offset = 60_000;
  for (const m of up.received.filter((x) => ['ann@x.example', 'cy@x.example'].includes(x.to[0]!))) {
    const pixel = /src="(http:\/\/[^"]+\/t\/o\/[^"]+)"/.exec(m.raw.toString('latin1').replace(/=\r\n/g, '').replace(/=3D/g, '='))![1]!;
    await fetch(pixel.replace(/^http:\/\/[^/]+/, url), { headers: { 'user-agent': CHROME } });
  }
  await s.tracking.flush();

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext()).newPage();
  await signIn(page, url, 'admin', ADMIN_PASSWORD);

  await page.goto(`${url}/admin/campaigns/${campaign.id}`);
  t.equal((await page.textContent('[data-stat="opened"]'))?.trim(), '2', 'two people opened');
  t.equal(await page.getByRole('img', { name: 'Opens and clicks per hour' }).count(), 1, 'the hourly chart is an image with its name');
  t.equal(await page.getByRole('img', { name: 'What became of the sent mail' }).count(), 1);
  if (process.env.POSTERN_SHOT) await page.screenshot({ path: process.env.POSTERN_SHOT, fullPage: true });
  await page.getByRole('link', { name: 'Open the campaign log' }).click();
  await page.waitForURL(`${url}/admin/campaigns/${campaign.id}/log`);
  t.equal(await page.locator('[data-log-row]').count(), 4, 'sent: everyone');
  await page.locator('[data-log-tabs]').getByRole('link', { name: 'Opened', exact: true }).click();
  await page.waitForURL(/action=opened/);
  t.same((await page.locator('[data-log-row] [data-address]').allTextContents()).sort(), ['ann@x.example', 'cy@x.example'], 'the openers');

  await page.getByLabel('or a new list named').fill('Opened spring');
  await page.getByRole('button', { name: 'Add to target list' }).click();
  await page.waitForURL(/\/admin\/target-lists\/\d+$/);
  t.match(await page.textContent('.flash'), /Target list Opened spring created with 2 records/);
  t.match(await page.textContent('#member-total'), /^2\b/, 'the list shows its two members');
  t.equal((await page.textContent('.count[data-type="contact"]'))?.trim(), '2');
});
