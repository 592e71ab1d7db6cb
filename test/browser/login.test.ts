/*
 * A real browser (Debian's chromium through playwright-core) signs in through the login
 * page, sees the dashboard, opens Users, and signs out. Fails, never skips, when chromium
 * is missing: CI installs it.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

t.test('sign in through the login page with a real browser', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`${CHROMIUM} is missing: install Debian's chromium (apt-get update && apt-get install -y chromium)`);
    return;
  }
  const { url } = await startTestApp(t);
  // launch() runs on a fresh temporary profile, so nothing from another run leaks in.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.teardown(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The wrong-password page answers 401 on purpose; any other console error is a bug.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });

  await page.goto(`${url}/admin`);
  t.match(page.url(), /\/admin\/login\?next=/, 'redirected to the login page');
  t.equal(await page.title(), 'Sign in · Postern');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  t.match(await page.textContent('[role="alert"]'), /Wrong username or password/, 'a wrong password is refused on the page');

  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/admin`);
  t.equal(await page.textContent('h1'), 'Dashboard', 'the dashboard after login');
  t.match(await page.textContent('header .who'), /Administrator \(admin\)/, 'shows who is signed in');
  await page.screenshot({ path: join(tmpdir(), 'postern-dashboard.png'), fullPage: true });

  await page.getByRole('link', { name: 'Users' }).first().click();
  await page.waitForURL(`${url}/admin/users`);
  t.equal(await page.textContent('h1'), 'Users');
  t.ok(await page.getByRole('link', { name: 'admin', exact: true }).count(), 'the users list shows admin');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/admin\/login/);
  await page.goto(`${url}/admin`);
  t.match(page.url(), /\/admin\/login/, 'signed out');
  t.same(errors, [], 'no script or console errors');
});
