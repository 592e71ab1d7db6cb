/*
 * Tracking and opt-out end to end on both databases, over HTTP against a real upstream: a
 * scanner that GETs and HEADs every link of 100 sent messages opts nobody out and makes no
 * human click; a person's click on {trackingUrl:ID} redirects to the stored URL and counts once
 * per recipient and URL; a target list built from "clicked URL X" holds exactly those records;
 * the RFC 8058 one-click POST (no cookies) opts out and closes the next unsent row to that
 * address; a tampered token changes nothing and a replayed one adds nothing.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { trackingRig } from './rig.js';
import { signFields } from '../../../server/lib/tokens.js';
import { deriveKey } from '../../../server/lib/keys.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SCANNER = 'Barracuda Sentinel (EE)';

void eachDb(t, async (t, tdb) => {
  const { api, url, s, up, clock, ok, account, list, campaign, pricing } = await trackingRig(t, tdb, 100, 'https://shop.example/pricing?from=mail');
  t.equal(pricing.code, `{trackingUrl:${pricing.id}}`);
  t.equal((await api(`/api/v1/campaigns/${campaign.id}/tracking-urls`, { method: 'POST', body: JSON.stringify({ name: 'Bad', url: 'javascript:alert(1)' }) })).status, 400);
  const template = await ok('/api/v1/templates', 'POST', {
    name: 'Launch', subject: 'Hi {Person.firstName}',
    html: `<html><body><p>Hello</p><a href="${pricing.code}">Pricing</a> <a href="https://shop.example/blog">Blog</a> <a href="mailto:x@shop.example">Mail</a></body></html>`,
  });
  const me = await ok('/api/v1/mass-emails', 'POST', {
    campaignId: campaign.id, name: 'Wave', templateId: template.id, accountId: account.id, fromAddress: 'news@ours.example', trackLinks: true, status: 'pending',
  });
  for (let i = 0; i < 800 && (await ok(`/api/v1/mass-emails/${me.id}`)).status !== 'complete'; i++) { // up to ~40 s on a loaded box
    if (i % 10 === 0) await ok('/api/v1/jobs/send-mass-emails/run', 'POST');
    await sleep(50);
  }
  t.equal(up.received.length, 100, '100 messages sent');
  const links = new Map<string, { clicks: string[]; pixel: string; optout: string }>();
  for (const r of up.received) {
    const raw = r.raw.toString('latin1').replace(/=\r\n/g, '').replace(/=3D/g, '=');
    const clicks = [...raw.matchAll(/href="(http:\/\/[^"]+\/t\/c\/[^"]+)"/g)].map((m) => m[1]!);
    const pixel = /src="(http:\/\/[^"]+\/t\/o\/[^"]+)"/.exec(raw)?.[1] ?? '';
    const optout = /List-Unsubscribe: <(http:\/\/[^>]+)>/.exec(raw)?.[1] ?? '';
    links.set(r.to[0]!, { clicks, pixel, optout });
    t.notMatch(raw, /mailto:x@shop\.example"[^>]*\/t\/c\//, 'mailto is never tracked');
  }
  const first = links.get('p0@rcpt.example')!;
  t.equal(first.clicks.length, 2, 'the tracking URL and the other http link are tracked');
  t.ok(first.pixel, 'an open pixel');
  t.ok(first.optout.includes('/u/'), 'an opt-out link');
  // `sent` events are logged just after the rows' results are written: a moment after `complete`.
  for (let i = 0; i < 100 && (await ok(`/api/v1/mass-emails/${me.id}/stats`)).counters.sent !== 100; i++) await sleep(50);
  t.match(await ok(`/api/v1/mass-emails/${me.id}/stats`), { counters: { sent: 100 } });
  const local = (u: string) => u.replace(/^http:\/\/[^/]+/, url);

  // A link scanner visits every link of every message at once, with HEAD and GET.
  for (const [, l] of links) {
    for (const c of l.clicks) {
      for (const method of ['HEAD', 'GET']) {
        const res = await fetch(local(c), { method, redirect: 'manual', headers: { 'user-agent': SCANNER } });
        t.equal(res.status, 302);
      }
    }
    const page = await fetch(local(l.optout), { headers: { 'user-agent': SCANNER } });
    t.equal(page.status, 200, 'the opt-out link shows a page');
    t.match(await page.text(), /<form method="post"/);
  }
  await s.tracking.flush();
  let stats = (await ok(`/api/v1/mass-emails/${me.id}/stats`)).counters;
  t.notOk(stats.clicked, 'no human click');
  t.equal(stats.clicked_machine, 200, 'machine clicks counted once per recipient and link (2 links × 100)');
  t.notOk(stats.opted_out, 'nobody opted out');
  t.equal(Number((await tdb.db.knex('target_list_members').where({ list_id: list.id, opted_out: true }).count({ n: '*' }))[0]!.n), 0);
  t.equal(Number((await tdb.db.knex('email_addresses').where({ opted_out: true }).count({ n: '*' }))[0]!.n), 0);
  const scanned = await ok(`/api/v1/campaign-log?massEmailId=${me.id}&action=clicked&human=false&perPage=5`);
  t.match(scanned.items[0], { action: 'clicked', class: 'scanner', human: false });

  // Webhooks hear of each first open, click and opt-out (an endpoint that listens to those only).
  await ok('/api/v1/webhooks', 'POST', { url: 'http://127.0.0.1:9/hook', secret: 'whsec_tracking_0123456789', events: ['open', 'click', 'opt_out'] });
  // Queued just after the hit's commit: wait (up to 5 s) for `n` of them.
  const hooks = async (event: string, n: number) => {
    const read = (): Promise<Array<{ data: string }>> => tdb.db.knex('webhook_deliveries').where({ event }).orderBy('id').select('data');
    let rows = await read();
    for (let i = 0; i < 100 && rows.length < n; i++) { await sleep(50); rows = await read(); }
    return rows.map((r) => JSON.parse(r.data));
  };

  // A minute later, two people click the pricing link (one twice) and one opens the mail.
  clock.offset = 60_000;
  const pricingLink = (to: string) => links.get(to)!.clicks.find((c) => c.includes('/t/c/'))!;
  for (const to of ['p1@rcpt.example', 'p2@rcpt.example', 'p2@rcpt.example']) {
    const res = await fetch(local(pricingLink(to)), { redirect: 'manual', headers: { 'user-agent': CHROME } });
    t.equal(res.status, 302);
    t.equal(res.headers.get('location'), 'https://shop.example/pricing?from=mail', 'the stored URL');
  }
  const gif = await fetch(local(links.get('p1@rcpt.example')!.pixel), { headers: { 'user-agent': CHROME } });
  t.equal(gif.headers.get('content-type'), 'image/gif');
  stats = (await ok(`/api/v1/mass-emails/${me.id}/stats`)).counters;
  t.equal(stats.clicked, 2, 'two people clicked: p2 counted once');
  t.equal(stats[`click:u${pricing.id}`], 2);
  t.equal(stats.opened, 1);
  t.match(await hooks('click', 2), [{ address: 'p1@rcpt.example', human: true, trackingUrlId: pricing.id, massEmailId: me.id }, { address: 'p2@rcpt.example' }], 'one click event per person and link');
  await sleep(300);
  t.equal((await hooks('click', 0)).length, 2, 'the second click of p2 is not another event');
  t.match(await hooks('open', 1), [{ address: 'p1@rcpt.example', human: true, class: 'human' }]);
  const forged = pricingLink('p1@rcpt.example').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  t.equal((await fetch(local(forged), { redirect: 'manual' })).status, 404, 'a tampered click token redirects nowhere');

  const built = await ok('/api/v1/campaign-log/target-list', 'POST', { campaignId: campaign.id, action: 'clicked', trackingUrlId: pricing.id, newName: 'Clicked pricing' });
  t.match(built, { created: true, added: 2 });
  const members = await ok(`/api/v1/target-lists/${built.listId}/members?type=contact`);
  t.same(members.items.map((m: any) => m.externalId).sort(), ['C1', 'C2'], 'exactly the people who clicked');

  // A second mass email waits (held) when the person opts out with the one-click POST.
  await s.campaigns.setSettings({ sendWindow: { days: [8 - 7], from: '00:00', to: '00:01', timeZone: 'UTC' } });
  const me2 = await ok('/api/v1/mass-emails', 'POST', { campaignId: campaign.id, name: 'Wave 2', templateId: template.id, accountId: account.id, fromAddress: 'news@ours.example', status: 'pending' });
  await ok('/api/v1/jobs/send-mass-emails/run', 'POST');
  const held = await tdb.db.knex('outbound_queue').where({ mass_email_id: me2.id, recipient: 'p3@rcpt.example' }).first();
  t.equal(held.state, 'held');
  const token = links.get('p3@rcpt.example')!.optout;
  const post = (u: string) => fetch(local(u), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  const tampered = token.replace(/\/u\/(.)/, (_m, c: string) => `/u/${c === 'A' ? 'B' : 'A'}`);
  t.equal((await post(tampered)).status, 404, 'a tampered token');
  t.equal((await tdb.db.knex('outbound_queue').where({ id: held.id }).first()).state, 'held', 'changes nothing');
  t.equal((await post(token)).status, 200, 'one-click POST without cookies');
  t.match(await tdb.db.knex('outbound_queue').where({ id: held.id }).first(), { state: 'suppressed', suppressed_reason: 'opted_out' }, 'the next unsent row is closed');
  t.equal(Number((await tdb.db.knex('target_list_members as m').join('records as r', 'r.id', 'm.member_id').where({ 'm.list_id': list.id, 'r.external_id': 'C3', 'm.opted_out': true }).count({ n: '*' }))[0]!.n), 1, 'out of the campaign list');
  t.equal((await post(token)).status, 200, 'a replay');
  t.equal((await ok(`/api/v1/mass-emails/${me.id}/stats`)).counters.opted_out, 1, 'counted once');
  t.match(await hooks('opt_out', 1), [{ address: 'p3@rcpt.example', entirely: false, campaignId: campaign.id }], 'one opt_out event');
  await sleep(300);
  t.equal((await hooks('opt_out', 0)).length, 1, 'the replay is not another');
  const log = await ok(`/api/v1/campaign-log?massEmailId=${me.id}&action=opted_out`);
  t.match(log, { total: 2, items: [{ action: 'opted_out', address: 'p3@rcpt.example', recordType: 'contact' }] });
  await s.campaigns.setSettings({ sendWindow: null });

  // The log's other views and bulk actions.
  t.equal((await ok(`/api/v1/campaign-log?massEmailId=${me.id}&action=not_opened&perPage=1`)).total, 99, 'everyone but the one opener');
  const csv = await (await api(`/api/v1/campaign-log/export.csv?massEmailId=${me.id}&action=clicked`)).text();
  t.equal(csv.trim().split('\n').length, 1 + 3, 'header and the three human clicks');
  t.match(csv, /clicked,p2@rcpt\.example,contact/);
  const resend = await ok(`/api/v1/mass-emails/${me.id}/resend-non-openers`, 'POST');
  t.equal(resend.recipients, 98, 'non-openers minus the one who opted out');
  t.match(await ok(`/api/v1/mass-emails/${resend.massEmailId}`), { status: 'draft', targetListIds: [resend.listId], trackLinks: true });
  t.same(await ok('/api/v1/campaign-log/former-employee', 'POST', { campaignId: campaign.id, action: 'clicked', trackingUrlId: pricing.id }), { changed: 2 });
  t.equal((await ok('/api/v1/records/contacts?email=p1@rcpt.example')).items[0].formerEmployee, true);

  // Mail rendered before tokens carried the row's facts: the row id alone still opens and redirects.
  const row4 = await tdb.db.knex('outbound_queue').where({ mass_email_id: me.id, recipient: 'p4@rcpt.example' }).first();
  const oldOpen = signFields(deriveKey(s.ctx.config.secret, 'track-open'), [Number(row4.id)]);
  const oldClick = signFields(deriveKey(s.ctx.config.secret, 'track-click'), [Number(row4.id), 0, pricing.id]);
  t.equal((await fetch(`${url}/t/o/${oldOpen}.gif`, { headers: { 'user-agent': CHROME } })).headers.get('content-type'), 'image/gif');
  const oldRes = await fetch(`${url}/t/c/${oldClick}`, { redirect: 'manual', headers: { 'user-agent': CHROME } });
  t.equal(oldRes.headers.get('location'), 'https://shop.example/pricing?from=mail', 'a row-id-only click token redirects to the stored URL');
  t.match((await ok(`/api/v1/mass-emails/${me.id}/stats`)).counters, { opened: 2, clicked: 3 }, 'and both count');
  t.match(await ok(`/api/v1/campaign-log?massEmailId=${me.id}&action=opened&perPage=1`), { items: [{ address: 'p4@rcpt.example', recordType: 'contact' }] }, 'logged with the row\'s recipient');
});
