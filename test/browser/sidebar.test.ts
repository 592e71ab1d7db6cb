/*
 * The sidebar as a person sees it in a real browser: grouped by area (Overview · Inbound ·
 * Outbound · Deliverability · Administration), entries in their order, the current page
 * marked; an agent sees no admin-only entries.
 */
import t from 'tap';
import { launchBrowser, signIn } from '../helpers/browser.js';
import type { Page } from 'playwright-core';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';


async function sidebar(page: Page) {
  return page.$$eval('nav.sidebar section', (secs) => secs.map((s) => ({
    area: s.querySelector('h2')?.textContent?.trim(),
    items: [...s.querySelectorAll('a')].map((a) => a.textContent?.trim()),
  })));
}

t.test('the sidebar is grouped by area', async (t) => {
  const { url, app } = await startTestApp(t);
  await app.services.auth.createUser({ username: 'agnes', name: 'Agnes', role: 'agent', active: true, password: 'agent password 1', email: null, teamIds: [] });
  const browser = await launchBrowser(t);
  if (!browser) return;

  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, url, 'admin', ADMIN_PASSWORD);
  t.same(await sidebar(admin), [
    { area: 'Overview', items: ['Dashboard', 'Notifications', 'Mailer status'] },
    { area: 'Inbound', items: ['Inbox', 'Inbound mail', 'Cases', 'Domains & mailboxes', 'Filters', 'App credentials', 'IMAP accounts'] },
    { area: 'Outbound', items: ['Compose', 'Outbound queue', 'Templates', 'Message types', 'Upstream accounts'] },
    { area: 'Records & lists', items: ['Accounts', 'Contacts', 'Leads', 'Target lists', 'Campaigns', 'Import / export CSV'] },
    { area: 'Deliverability', items: ['Blocked addresses'] },
    { area: 'Administration', items: ['Users', 'Teams', 'API keys', 'Scheduled jobs', 'Mass email settings', 'Webhooks', 'Mailer log', 'My settings'] },
  ], 'admin: every area, in order');
  await admin.getByRole('link', { name: 'Outbound queue' }).click();
  await admin.waitForURL(`${url}/admin/queue`);
  t.equal(await admin.getAttribute('nav.sidebar a[aria-current="page"]', 'href'), '/admin/queue', 'the current page is marked');
  await admin.getByRole('link', { name: 'Mass email settings' }).click();
  await admin.waitForURL(`${url}/admin/settings/mass-email`);
  t.same(await admin.locator('nav.sidebar a[aria-current="page"]').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['/admin/settings/mass-email'],
    'only the longest matching entry is current (not My settings at /admin/settings)');

  const agent = await (await browser.newContext()).newPage();
  await signIn(agent, url, 'agnes', 'agent password 1');
  const areas = await sidebar(agent);
  const items = areas.flatMap((a) => a.items);
  for (const hidden of ['App credentials', 'Upstream accounts', 'Users', 'API keys', 'Mass email settings', 'Webhooks', 'Mailer log', 'Mailer status']) t.notOk(items.includes(hidden), `agent does not see ${hidden}`);
  t.same(areas.map((a) => a.area), ['Overview', 'Inbound', 'Outbound', 'Records & lists', 'Deliverability', 'Administration'], 'agent: areas in the same order');
  for (const shown of ['Inbox', 'Notifications', 'Cases', 'Filters']) t.ok(items.includes(shown), `agent sees ${shown}`);
  t.notOk(items.includes('Import / export CSV'), 'agent does not see the CSV import');
});
