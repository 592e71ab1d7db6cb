/*
 * Browser tests' common start: Debian's Chromium through playwright-core (never a downloaded
 * browser), closed when the test ends, and signing in through the real login form.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Teardown { fail(msg: string): void; teardown(fn: () => unknown): void }

/** Launches Chromium for a test (closed at its end), or fails the test when the package is missing. */
export async function launchBrowser(t: Teardown): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) { t.fail(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`); return null; }
  // launch() runs on a fresh temporary profile, so nothing from another run leaks in.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.teardown(() => browser.close());
  return browser;
}

/** Signs in through the login form and waits for the dashboard. */
export async function signIn(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/admin/login`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/admin`);
}
