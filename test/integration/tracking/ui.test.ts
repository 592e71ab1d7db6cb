/*
 * The tracking pages through real form posts on both databases, with real log events (a mass
 * email sent to a test upstream, then its pixel and click URLs fetched like a person or a link
 * scanner would): the campaign page shows the tracking URLs, the stats and the charts; a bad
 * tracking URL comes back with its error; the log's tabs, link select, machines toggle and search
 * narrow it; "add to target list" fills a list with exactly the selection; the CSV has its header
 * and rows; resend to non-openers makes a draft; the privacy switch and "Track every link" save;
 * GET changes nothing.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { ADMIN_PASSWORD } from '../../helpers/app.js';
import { trackingRig } from './rig.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SCANNER = 'Barracuda Sentinel (EE)';
const rows = (html: string) => [...html.matchAll(/data-log-row="\d+"/g)].length;

void eachDb(t, async (t, tdb) => {
  const { url, s, up, clock, ok, account, list, campaign, pricing } = await trackingRig(t, tdb, 5, 'https://shop.example/pricing');
  const template = await ok('/api/v1/templates', 'POST', {
    name: 'Launch', subject: 'Hi {Person.firstName}', html: `<html><body><p>Hello</p><a href="${pricing.code}">Pricing</a> <a href="https://shop.example/blog">Blog</a></body></html>`,
  });

  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const base = `/admin/campaigns/${campaign.id}`;

  // The campaign page before anything was sent: the tracking URL with its code, empty charts.
  let page = await ui.get(base);
  t.equal(page.res.status, 200);
  t.match(page.html, /<h2>Tracking URLs<\/h2>/);
  t.match(page.html, new RegExp(`data-tracking-url="${pricing.id}"[\\s\\S]*?<code data-code>\\{trackingUrl:${pricing.id}\\}</code>`), 'the code to paste');
  t.match(page.html, /data-chart-empty="hourly"/);
  t.match(page.html, /data-chart-empty="outcomes"/);
  t.match(page.html, /name="trackLinks"/, 'the mass email form has "Track every link"');

  // A bad tracking URL comes back with its error and values; a good one is added.
  let csrf = UiClient.csrfOf(page.html);
  let r = await ui.post(`${base}/tracking-urls`, { name: 'Docs', url: 'javascript:alert(1)', from: 'campaign' }, csrf);
  t.equal(r.res.status, 400);
  t.match(r.html, /<span class="field-error" id="err-tu-url">Give an absolute http\(s\) address/);
  t.match(r.html, /name="name" required maxlength="200" value="Docs"/, 'the form keeps its values');
  r = await ui.post(`${base}/tracking-urls`, { name: 'Docs', url: 'https://shop.example/docs', from: 'campaign' }, csrf);
  t.equal(r.res.status, 303);
  t.equal(r.res.headers.get('location'), base);
  const docs = (await s.tracking.listUrls(campaign.id)).find((u) => u.name === 'Docs')!;
  t.match(docs, { url: 'https://shop.example/docs' });
  r = await ui.post(`/admin/tracking-urls/${docs.id}`, { name: 'Docs', url: 'ftp://x' }, csrf);
  t.equal(r.res.status, 400, 'an edit is checked too');
  t.match(r.html, /<details open>/);
  r = await ui.post(`/admin/tracking-urls/${docs.id}`, { name: 'Manual', url: 'https://shop.example/manual' }, csrf);
  t.equal(r.res.status, 303);
  t.match(await s.tracking.getUrl(docs.id), { name: 'Manual', url: 'https://shop.example/manual' });
  r = await ui.post(`/admin/tracking-urls/${docs.id}/delete`, {}, csrf);
  t.equal(r.res.status, 303);
  t.equal((await s.tracking.listUrls(campaign.id)).length, 1);

  // A mass email from the form with "Track every link", then sent.
  r = await ui.post(`${base}/mass-emails`, {
    name: 'Wave', templateId: String(template.id), accountId: String(account.id), fromAddress: 'news@ours.example', tracking: 'on', trackLinks: 'on',
    targetListIds: String(list.id), action: 'schedule',
  }, csrf);
  t.equal(r.res.status, 303);
  const mid = Number(/\/admin\/mass-emails\/(\d+)$/.exec(r.res.headers.get('location')!)![1]);
  t.match(await s.campaigns.getMassEmail(mid), { tracking: true, track_links: true });
  for (let i = 0; i < 800 && (await s.campaigns.getMassEmail(mid)).status !== 'complete'; i++) {
    if (i % 10 === 0) await ok('/api/v1/jobs/send-mass-emails/run', 'POST');
    await sleep(50);
  }
  t.equal(up.received.length, 5, '5 messages sent');
  const links = new Map<string, { clicks: string[]; pixel: string }>();
  for (const m of up.received) {
    const raw = m.raw.toString('latin1').replace(/=\r\n/g, '').replace(/=3D/g, '=');
    links.set(m.to[0]!, { clicks: [...raw.matchAll(/href="(http:\/\/[^"]+\/t\/c\/[^"]+)"/g)].map((x) => x[1]!), pixel: /src="(http:\/\/[^"]+\/t\/o\/[^"]+)"/.exec(raw)?.[1] ?? '' });
  }
  const local = (u: string) => u.replace(/^http:\/\/[^/]+/, url);
  // A scanner visits every link of p4's message at once.
  for (const c of links.get('p4@rcpt.example')!.clicks) await fetch(local(c), { redirect: 'manual', headers: { 'user-agent': SCANNER } });
  // A minute later p1 and p2 click pricing, p1 opens.
  clock.offset = 60_000;
  for (const to of ['p1@rcpt.example', 'p2@rcpt.example']) {
    const res = await fetch(local(links.get(to)!.clicks[0]!), { redirect: 'manual', headers: { 'user-agent': CHROME } });
    t.equal(res.headers.get('location'), 'https://shop.example/pricing');
  }
  await fetch(local(links.get('p1@rcpt.example')!.pixel), { headers: { 'user-agent': CHROME } });
  await s.tracking.flush();
  t.match(await s.tracking.stats('c', campaign.id), { sent: 5, opened: 1, clicked: 2, clicked_machine: 2, [`click:u${pricing.id}`]: 2 });

  // Stats and charts on the campaign and the mass email pages.
  page = await ui.get(base);
  t.match(page.html, /data-stat="sent">5</);
  t.match(page.html, /data-stat="opened">1<\/td><td class="num" data-rate="opened">20 %</);
  t.match(page.html, /data-stat="clicked">2<\/td><td class="num" data-rate="clicked">40 %</);
  t.match(page.html, /data-stat="clicked_machine">2</, 'machines apart');
  t.match(page.html, /<svg [^>]*role="img"[^>]*data-chart="hourly"><title [^>]*>Opens and clicks per hour<\/title><desc [^>]*>[^<]*people opened 1 and clicked 2 times; machines opened 0 and clicked 2 times/);
  t.match(page.html, /data-series="clicked_machine"/);
  t.match(page.html, /data-chart="outcomes"[\s\S]*Of 5 sent: 2 clicked, 0 opened without a click, 0 bounced, 0 opted out, 3 not opened/);
  t.match(page.html, /data-outcome="not_opened">3</, 'the table fallback');
  t.match(page.html, new RegExp(`data-tracking-url="${pricing.id}"[\\s\\S]*?data-clicks[^>]*>2<`), 'unique human clicks of the URL');
  const mpage = await ui.get(`/admin/mass-emails/${mid}`);
  t.match(mpage.html, /data-stat="sent">5</);
  t.match(mpage.html, /data-chart="hourly"/);
  t.match(mpage.html, new RegExp(`action="/admin/mass-emails/${mid}/resend-non-openers"`));

  // The log: tabs, link select, machines, search, paging.
  const log = `${base}/log`;
  page = await ui.get(log);
  t.equal(page.res.status, 200);
  t.equal(rows(page.html), 5, 'sent by default');
  t.match(page.html, /data-tab="sent" aria-current="page"/);
  t.match(page.html, /<a href="\/admin\/records\/contacts\/\d+">Contact #\d+<\/a>/, 'the record is linked');
  t.equal(rows((await ui.get(`${log}?action=opened`)).html), 1);
  t.equal(rows((await ui.get(`${log}?action=not_opened`)).html), 4);
  page = await ui.get(`${log}?action=clicked`);
  t.equal(rows(page.html), 2, 'people only');
  t.match(page.html, new RegExp(`<option value="u${pricing.id}">Pricing</option>`), 'the link select names the tracking URL');
  t.match(page.html, /<option value="a\d+">Tracked link \d+<\/option>/, 'and the tracked links');
  page = await ui.get(`${log}?action=clicked&machines=1`);
  t.equal(rows(page.html), 4, 'machines too');
  t.match(page.html, /data-machine>[\s\S]*?data-class="scanner">Link scanner<\/span> <span class="muted" data-rule>/, 'machine class and rule');
  t.equal(rows((await ui.get(`${log}?action=clicked&machines=1&link=u${pricing.id}`)).html), 3, 'one link: two people and the scanner');
  t.equal(rows((await ui.get(`${log}?action=clicked&q=p2@`)).html), 1, 'search by address');
  page = await ui.get(`${log}?perPage=2`);
  t.equal(rows(page.html), 2);
  t.match(page.html, /rel="next"/);
  t.equal(rows((await ui.get(`/admin/mass-emails/${mid}/log?action=opened`)).html), 1, 'the mass email log');

  // GET changes nothing.
  const listsBefore = (await s.targetLists.all()).length;
  for (const path of [`${log}/target-list`, `${log}/former-employee`, `/admin/mass-emails/${mid}/resend-non-openers`]) t.equal((await ui.get(path)).res.status, 404, `GET ${path} is no action`);
  t.equal((await s.targetLists.all()).length, listsBefore, 'no list made');
  t.equal((await s.campaigns.listMassEmails({ campaignId: campaign.id })).total, 1, 'no draft made');

  // Add to a target list: the whole filtered selection, exactly.
  csrf = UiClient.csrfOf(page.html);
  const sel = { action: 'clicked', link: `u${pricing.id}`, machines: '' };
  t.equal((await ui.post(`${log}/target-list`, { ...sel, newName: 'x' })).res.status, 403, 'no CSRF: refused');
  r = await ui.post(`${log}/target-list`, sel, csrf);
  t.equal(r.res.status, 303, 'no list chosen goes back');
  t.match((await ui.get(r.res.headers.get('location')!)).html, /class="flash error"[^>]*>Choose a list or name a new one/);
  r = await ui.post(`${log}/target-list`, { ...sel, newName: 'Clicked pricing', q: 'p1' }, csrf);
  t.equal(r.res.status, 303);
  const to = r.res.headers.get('location')!;
  const newList = Number(/\/admin\/target-lists\/(\d+)$/.exec(to)![1]);
  t.match((await ui.get(to)).html, /Target list Clicked pricing created with 2 records/);
  const members = await ok(`/api/v1/target-lists/${newList}/members?type=contact`);
  t.same(members.items.map((m: any) => m.externalId).sort(), ['C1', 'C2'], 'exactly the people who clicked pricing');
  r = await ui.post(`/admin/mass-emails/${mid}/log/target-list`, { action: 'opened', listId: String(newList) }, csrf);
  t.equal(r.res.status, 303, 'into an existing list');
  t.equal((await ok(`/api/v1/target-lists/${newList}/members?type=contact`)).total, 2, 'p1 was there already');

  // CSV of the same filter.
  const csvRes = await ui.get(`${log}.csv?action=clicked&machines=1`);
  t.equal(csvRes.res.status, 200);
  t.match(csvRes.res.headers.get('content-type'), /^text\/csv/);
  t.match(csvRes.res.headers.get('content-disposition'), /attachment; filename="campaign-\d+-clicked\.csv"/);
  const lines = csvRes.html.trim().split('\n');
  t.equal(lines[0], 'at,action,address,recordType,recordId,class,rule,link,bounceClass,reason,massEmailId');
  t.equal(lines.length, 1 + 4, 'header and the four clicks');
  t.match(page.html, new RegExp(`href="${log.replace(/\//g, '\\/')}\\.csv\\?action=sent"`), 'the export link carries the filter');

  // Former employees: the contacts of the selection.
  r = await ui.post(`${log}/former-employee`, { action: 'opened' }, csrf);
  t.equal(r.res.status, 303);
  t.match((await ui.get(r.res.headers.get('location')!)).html, /1 contacts marked as former employees/);
  t.equal((await ok('/api/v1/records/contacts?email=p1@rcpt.example')).items[0].formerEmployee, true);
  t.equal((await ok('/api/v1/records/contacts?email=p2@rcpt.example')).items[0].formerEmployee, false);

  // Resend to non-openers: a draft, and its page with a flash.
  r = await ui.post(`/admin/mass-emails/${mid}/resend-non-openers`, {}, csrf);
  t.equal(r.res.status, 303);
  const draftId = Number(/\/admin\/mass-emails\/(\d+)$/.exec(r.res.headers.get('location')!)![1]);
  t.not(draftId, mid);
  t.match(await s.campaigns.getMassEmail(draftId), { status: 'draft', track_links: true });
  t.match((await ui.get(`/admin/mass-emails/${draftId}`)).html, /created for 4 non-openers/);

  // The privacy switch.
  const st = await ui.get('/admin/settings/mass-email');
  t.match(st.html, /name="privacy" value="on" aria-describedby/);
  r = await ui.post('/admin/settings/tracking', { privacy: 'on' }, UiClient.csrfOf(st.html));
  t.equal(r.res.status, 303);
  t.same(await s.tracking.settings(), { privacy: true });
  t.match((await ui.get('/admin/settings/mass-email')).html, /name="privacy" value="on" checked/);
  await ui.post('/admin/settings/tracking', {}, UiClient.csrfOf(st.html));
  t.same(await s.tracking.settings(), { privacy: false });
});
