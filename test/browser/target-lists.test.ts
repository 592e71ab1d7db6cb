/*
 * A real browser imports a small CSV of contacts (one bad row reported by line), then builds
 * a target list by "filter then select all": creates a list, filters contacts by email
 * domain, sees the preview count, adds all matches (more than one page) and sees the count.
 */
import t from 'tap';
import { launchBrowser, signIn } from '../helpers/browser.js';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';


t.test('filter then select all in a real browser', async (t) => {
  const { url, app } = await startTestApp(t);
  const rows = Array.from({ length: 120 }, (_, i) => `b${i},Bea${i},Test,b${i}@${i % 3 ? 'keep' : 'skip'}.example`);
  rows.splice(60, 0, 'bad1,Bad,Row,not-an-address');
  const csv = `external_id,First Name,lastName,Email\n${rows.join('\n')}\n`;

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext()).newPage();
  await signIn(page, url, 'admin', ADMIN_PASSWORD);

  await page.getByRole('link', { name: 'Import / export CSV' }).click();
  await page.waitForURL(`${url}/admin/records/import`);
  await page.getByLabel('Record type').selectOption('contact');
  await page.getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.waitForSelector('[data-import-summary]', { timeout: 20_000 });
  t.match(await page.textContent('[data-import-summary]'), /Imported 121 rows: 120 created, 0 updated, 1 failed/, 'the import summary');
  t.match(await page.textContent('[data-import-errors]'), /line 62/, 'the bad row by its line (header is line 1)');

  await page.getByRole('link', { name: 'Target lists' }).click();
  await page.waitForURL(`${url}/admin/target-lists`);
  await page.getByLabel('Name', { exact: true }).last().fill('Keepers');
  await page.getByRole('button', { name: 'Create list' }).click();
  await page.waitForURL(/\/admin\/target-lists\/\d+$/);
  await page.getByRole('link', { name: 'Add members' }).click();
  await page.waitForURL(/\/add\?/);
  await page.getByLabel('Email domain').fill('keep.example');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.waitForURL(/f_emailDomain=keep.example/);
  t.equal((await page.textContent('#match-count'))?.trim(), '80 records match', 'the preview counts all matches');
  t.equal(await page.locator('input[name="ids"]').count(), 50, 'the page shows 50 of them');
  await page.getByRole('button', { name: 'Add all 80 matches' }).click();
  await page.waitForURL(/\/admin\/target-lists\/\d+\?type=contact$/);
  t.match(await page.textContent('.flash'), /80 member\(s\) added/);
  t.match(await page.textContent('#member-total'), /^80 members/, 'the member count');
  t.equal((await page.textContent('.tabs [data-type="contact"]'))?.trim(), '80');

  await page.getByRole('link', { name: 'Target lists' }).click();
  t.equal((await page.textContent('td[data-count="total"]'))?.trim(), '80', 'the lists page shows the count');
  const lists = await app.services.targetLists.all();
  t.equal((await app.services.targetLists.counts(lists[0]!.id)).contact, 80);
});
