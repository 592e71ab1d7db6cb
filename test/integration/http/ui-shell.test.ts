/*
 * The admin shell per app: two apps in one process each show every dashboard card once and
 * their own menu; a user's locale and time zone (My settings) change how pages format
 * dates, and bad settings are refused on the form.
 */
import t from 'tap';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const count = (html: string, needle: string) => html.split(needle).length - 1;

t.test('two apps in one process: each card once, each menu once', async (t) => {
  const a = await startTestApp(t);
  const b = await startTestApp(t);
  for (const app of [a, b, a]) {
    const ui = new UiClient(app.url);
    await ui.login('admin', ADMIN_PASSWORD);
    const { html } = await ui.get('/admin');
    t.equal(count(html, '<div class="card-title">Blocked addresses</div>'), 1, 'blocked-addresses card once');
    t.equal(count(html, '<div class="card-title">Outbound waiting</div>'), 1, 'outbound card once');
    t.equal(count(html, 'href="/admin/inbound"'), 1, 'menu entry once');
  }
});

t.test('My settings: locale and time zone', async (t) => {
  const { url } = await startTestApp(t, { clock: { now: () => Date.UTC(2026, 11, 5, 23, 30) } });
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  let page = await ui.get('/admin/settings');
  t.equal(page.res.status, 200);
  t.match(page.html, /Dec 5, 2026/, 'defaults: en-US in UTC');

  const bad = await ui.submit('/admin/settings', '/admin/settings', { locale: 'xx-YY', timeZone: 'Mars/Base' });
  t.equal(bad.res.status, 400, 'refused');
  t.match(bad.html, /Choose one of the listed locales/);
  t.match(bad.html, /Not a known time zone/);
  t.match(bad.html, /value="Mars\/Base"/, 'the form keeps what was typed');

  const ok = await ui.submit('/admin/settings', '/admin/settings', { locale: 'nb-NO', timeZone: 'Europe/Oslo' });
  t.equal(ok.res.status, 303);
  page = await ui.get('/admin/settings');
  t.match(page.html, /6\. des\. 2026/, 'Norwegian format, Oslo time (already the 6th)');
  t.match(page.html, /<html lang="nb">/);
  t.match(page.html, /Settings saved/, 'the flash');
});

t.test('a list page in nb-NO / Europe/Oslo: the flash and the dates follow My settings', async (t) => {
  const { url } = await startTestApp(t, { clock: { now: () => Date.UTC(2026, 11, 5, 23, 30) } });
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const before = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: 'utc-team' });
  t.equal(before.res.status, 303);
  let list = await ui.get('/admin/teams');
  t.match(list.html, /Team utc-team created/, 'the flash, in English');
  t.match(list.html, /<time datetime="2026-12-05T23:30:00\.000Z">Dec 5, 2026<\/time>/, 'en-US in UTC: still the 5th');

  t.equal((await ui.submit('/admin/settings', '/admin/settings', { locale: 'nb-NO', timeZone: 'Europe/Oslo' })).res.status, 303);
  const made = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: 'oslo-team' });
  t.equal(made.res.status, 303);
  t.equal(made.res.headers.get('location'), '/admin/teams');
  list = await ui.get('/admin/teams');
  t.match(list.html, /<div class="flash ok" role="status">Team oslo-team created<\/div>/, 'the flash (English texts until nb ships)');
  t.match(list.html, /<time datetime="2026-12-05T23:30:00\.000Z">6\. des\. 2026<\/time>/, 'the created date the Norwegian way, in Oslo time');
  t.notMatch(list.html, /Dec 5, 2026/);
  t.match(list.html, /<html lang="nb">/);
});
