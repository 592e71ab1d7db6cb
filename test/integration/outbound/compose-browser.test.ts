/*
 * Compose in a real browser (Debian's chromium through playwright-core): pick a file (the
 * page script reads it into base64 fields), preview in the sandboxed frame, send, and find
 * the attachment's bytes stored with the message. Fails, never skips, without chromium.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';

t.test('compose with an attachment in a real browser', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} must exist (apt-get install chromium)`);
  const { url, tdb, app } = await startTestApp(t);
  const k = tdb.db.knex;
  const now = Date.now();
  // The built-in sandbox is the default on a fresh install: this test's account takes over.
  await k('upstream_accounts').update({ is_default: false });
  await k('upstream_accounts').insert({ name: 'browser-acct', kind: 'sandbox', allowed_from: JSON.stringify(['desk@ours.example']), from_name: 'Desk', active: true, is_default: true, created_at: now, updated_at: now });
  const dir = mkdtempSync(join(tmpdir(), 'postern-compose-'));
  const file = join(dir, 'report.bin');
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13, 65]);
  writeFileSync(file, bytes);
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(async () => { await context.close(); rmSync(dir, { recursive: true, force: true }); });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(`${url}/admin/login`);
  await page.getByLabel('Username').fill(app.admin?.username ?? 'admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/admin`);
  await page.getByRole('link', { name: 'Compose' }).click();
  await page.waitForURL(`${url}/admin/compose`);
  t.equal(await page.inputValue('input[name="from"]'), 'desk@ours.example', 'From prefilled from the account');
  await page.fill('input[name="to"]', 'reader@example.com');
  await page.fill('input[name="subject"]', 'Report for {Person.firstName}');
  await page.fill('textarea[name="html"]', '<p>Hello {Person.firstName}</p>');
  await page.fill('input[name="data"]', '{"Person":{"firstName":"<i>Ann</i>"}}');
  await page.setInputFiles('input[data-attach-input]', file);
  await page.waitForSelector('.attachment input[name="att_data"]', { state: 'attached' });
  t.match(await page.textContent('.attachment'), /report\.bin \(9 bytes\)/, 'the picked file is listed');

  await page.getByRole('button', { name: 'Preview' }).click();
  await page.waitForSelector('iframe.preview-html');
  const frame = page.frameLocator('iframe.preview-html');
  t.equal(await frame.locator('p').textContent(), 'Hello <i>Ann</i>', 'the value shows as text, not markup');
  t.equal(await frame.locator('i').count(), 0);
  t.match(await page.textContent('.preview'), /report\.bin \(9 bytes\)/, 'the attachment survives the preview round trip');
  await page.screenshot({ path: join(tmpdir(), 'postern-compose-preview.png'), fullPage: true });

  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.waitForURL(/\/admin\/queue\?messageId=\d+/);
  t.match(await page.textContent('.flash'), /queued: 1 recipient/);
  await page.screenshot({ path: join(tmpdir(), 'postern-queue.png'), fullPage: true });
  const messageId = Number(new URL(page.url()).searchParams.get('messageId'));
  const att = await k('outbound_attachments').where({ message_id: messageId }).first();
  t.equal(att?.filename, 'report.bin');
  t.ok(Buffer.from(att.content).equals(bytes), 'bytes stored exactly');
  t.same(errors, [], 'no script or console errors');
});
