/*
 * Email filters end to end on every database, over real SMTP and HTTP: a global "skip" filter
 * keeps a notification mail out of routing (stored, its route result names the filter, later
 * hooks see c.routing.skip); global before mailbox filters and stop processing; an unsafe
 * pattern refused with a 400 field error; the dry run through the API and the pages; agents
 * manage their personal mailbox's filters only (403/404 on global ones).
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';
import { FEATURES } from '../../../server/app.js';
import type { Feature } from '../../../server/feature.js';
import type { RoutingState } from '../../../server/inbound/pipeline/steps.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PW = 'agent password 12345';

void eachDb(t, async (t, tdb) => {
  // A route hook after every feature's, as a later feature declares one: what c.routing held when it ran.
  const seen = new Map<string, RoutingState>();
  const probe: Feature = { name: 'routing-probe', hooks: () => [{ name: 'probe', when: () => true, async run(c) { seen.set(c.fields.message_id ?? c.msg.message_id ?? '', structuredClone(c.routing ?? {})); return undefined; } }] };
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'], features: [...FEATURES, probe],
    overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } },
  });
  const s = app.services;
  const ann = await s.auth.createUser({ username: 'ann', role: 'agent', password: PW, teamIds: [] });
  await s.domains.createMailbox({ address: 'ann@ours.example', kind: 'personal', userId: ann.id });
  const support = (await (await api('/api/v1/mailboxes?q=support')).json() as { items: Array<{ id: number; address: string }> }).items.find((m) => m.address === 'support@ours.example')!;
  const json = async (r: Promise<Response> | Response): Promise<any> => (await r).json();
  const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => tr.close());
  async function processed(messageId: string) {
    for (let i = 0; i < 200; i++) {
      const r = await json(api(`/api/v1/inbound?messageId=${encodeURIComponent(messageId)}`));
      if (r.items[0]?.state === 'processed') return json(api(`/api/v1/inbound/${r.items[0].id}`));
      await sleep(50);
    }
    throw new Error(`${messageId} not processed`);
  }
  const routeOf = (detail: any) => detail.steps.find((x: any) => x.step === 'route');

  // Global: the notification skip filter (1st), mark-read on urgent (2nd). Support's: tag + stop, then a folder that never applies.
  const skip = await json(post('/api/v1/filters', { name: 'Jira noise', conditions: [{ field: 'from', op: 'contains', value: 'notifications.example.com' }], actions: { skip: true } }));
  const urgentRead = await json(post('/api/v1/filters', { name: 'Urgent read', match: 'any', conditions: [{ field: 'subject', op: 'matches', value: '^urgent' }, { field: 'subject', op: 'contains', value: 'urgent' }], actions: { markRead: true } }));
  const tagStop = await json(post('/api/v1/filters', { name: 'Tag and stop', mailboxId: support.id, conditions: [{ field: 'subject', op: 'contains', value: 'urgent' }], actions: { tags: ['urgent'], stop: true } }));
  const never = await json(post('/api/v1/filters', { name: 'After stop', mailboxId: support.id, conditions: [{ field: 'subject', op: 'contains', value: 'urgent' }], actions: { folder: 'Never' } }));

  await t.test('the API lists filters in run order with their scope and position', async (t) => {
    const list = await json(api('/api/v1/filters'));
    t.same(list.items.map((f: any) => [f.id, f.scope, f.position]), [[skip.id, 'global', 1], [urgentRead.id, 'global', 2], [tagStop.id, 'mailbox', 1], [never.id, 'mailbox', 2]]);
    t.equal(list.items[2].mailboxAddress, 'support@ours.example');
  });

  let skippedId = 0;
  await t.test('a skip filter keeps a notification mail out of routing', async (t) => {
    await api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', secret: 'whsec_filters_0123456789', events: ['message.received'] }) });
    await tr.sendMail({ from: '"Jira" <jira@notifications.example.com>', to: 'support@ours.example', subject: 'OPS-1 updated', text: 'status changed', messageId: '<jira-1@notifications.example.com>' });
    const d = await processed('jira-1@notifications.example.com');
    skippedId = d.id;
    t.equal(d.state, 'processed', 'stored and processed, kept for audit');
    const route = routeOf(d);
    t.equal(route.status, 'ok');
    t.match(route.result.filters, { matchedFilters: [skip.id], skip: true });
    t.notOk('cases' in route.result, 'the cases hook did nothing');
    t.notOk('auto-reply' in route.result || 'autoReply' in route.result, 'no auto-reply');
    t.match(seen.get('jira-1@notifications.example.com'), { skip: true, matchedFilters: [skip.id] }, 'later hooks see c.routing.skip');
    await tr.sendMail({ from: 'kim@customer.example', to: 'support@ours.example', subject: 'A question', text: 'hello', messageId: '<plain-1@customer.example>' });
    const plain = await processed('plain-1@customer.example');
    const received = (await tdb.db.knex('webhook_deliveries').where({ event: 'message.received' }).select('data')).map((r: { data: string }) => JSON.parse(r.data).inboundId);
    t.same(received, [plain.id], 'message.received for routed mail only, not for the skipped one');
  });

  await t.test('global filters run first, then the mailbox’s; stop ends the run', async (t) => {
    await tr.sendMail({ from: 'customer@example.net', to: 'support@ours.example', subject: 'URGENT: printer on fire', text: 'help', messageId: '<urgent-1@example.net>' });
    const d = await processed('urgent-1@example.net');
    t.match(routeOf(d).result.filters, { matchedFilters: [urgentRead.id, tagStop.id], skip: false, stop: true, markRead: true, tags: ['urgent'], folder: null });
    t.same(seen.get('urgent-1@example.net')!.matchedFilters, [urgentRead.id, tagStop.id]);
    // Moving the folder filter up puts it before the stop.
    await api(`/api/v1/filters/${never.id}`, { method: 'PATCH', body: JSON.stringify({ position: 0 }) });
    await tr.sendMail({ from: 'customer@example.net', to: 'support@ours.example', subject: 'urgent again', text: 'help', messageId: '<urgent-2@example.net>' });
    t.match(routeOf(await processed('urgent-2@example.net')).result.filters, { matchedFilters: [urgentRead.id, never.id, tagStop.id], folder: 'Never' });
    await tr.sendMail({ from: 'customer@example.net', to: 'support@ours.example', subject: 'hello', text: 'nothing special', messageId: '<plain-1@example.net>' });
    t.notOk('filters' in (routeOf(await processed('plain-1@example.net')).result ?? {}), 'no filter matched: nothing recorded');
  });

  await t.test('an unsafe pattern is refused with a 400 naming the field', async (t) => {
    const r = await post('/api/v1/filters', { name: 'Evil', conditions: [{ field: 'body', op: 'matches', value: '(a+)+$' }], actions: { skip: true } });
    t.equal(r.status, 400);
    const body = await r.json() as any;
    t.equal(body.error.code, 'validation_failed');
    t.match(body.error.fields, [{ field: 'conditions.0.value', message: /unsafe/ }]);
    const r2 = await post('/api/v1/filters', { name: 'Backref', conditions: [{ field: 'body', op: 'matches', value: '(a)\\1' }], actions: { skip: true } });
    t.match(await r2.json(), { error: { fields: [{ field: 'conditions.0.value', message: /backreferences/ }] } });
  });

  await t.test('an assignment must name a team and a user that exist', async (t) => {
    const r = await post('/api/v1/filters', { name: 'Assign', conditions: [{ field: 'kind', op: 'equals', value: 'normal' }], actions: { assignTeamId: 9999, assignUserId: ann.id } });
    t.equal(r.status, 400);
    t.match(await r.json(), { error: { fields: [{ field: 'actions.assignTeamId' }] } });
  });

  await t.test('dry run through the API: saved and unsaved filters, nothing changes', async (t) => {
    const saved = await json(post('/api/v1/filters/dry-run', { filterId: skip.id, inboundId: skippedId }));
    t.match(saved, { matched: true, filterId: skip.id, inboundId: skippedId, conditions: [{ index: 0, matched: true }], wouldDo: { skip: true } });
    const unsaved = await json(post('/api/v1/filters/dry-run', { filter: { match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'OPS-1' }, { field: 'body', op: 'contains', value: 'nope' }], actions: { folder: 'X' } }, inboundId: skippedId }));
    t.match(unsaved, { matched: false, filterId: null, conditions: [{ matched: true }, { matched: false }], wouldDo: {} });
    const bad = await post('/api/v1/filters/dry-run', { filter: { conditions: [{ field: 'subject', op: 'matches', value: '(x+)+y' }], actions: { skip: true } }, inboundId: skippedId });
    t.equal(bad.status, 400);
    t.equal((await post('/api/v1/filters/dry-run', { filterId: skip.id, inboundId: 999999 })).status, 404);
    t.equal((await json(api(`/api/v1/inbound/${skippedId}`))).steps.length, 5, 'the message was not routed again');
  });

  await t.test('dry run through the pages: from the message page and from the filter form', async (t) => {
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const msg = await ui.get(`/admin/inbound/${skippedId}`);
    t.match(msg.html, `/admin/filters/dry-run?inboundId=${skippedId}`, 'the message page links to the dry run');
    const pick = await ui.get(`/admin/filters/dry-run?inboundId=${skippedId}`);
    t.equal(pick.res.status, 200);
    t.match(pick.html, 'Jira noise');
    const ran = await ui.get(`/admin/filters/dry-run?inboundId=${skippedId}&filterId=${skip.id}`);
    t.match(ran.html, 'data-dry-matched="true"');
    t.match(ran.html, 'Skip (keep for audit, do not route)');
    const miss = await ui.get(`/admin/filters/dry-run?inboundId=${skippedId}&filterId=${tagStop.id}`);
    t.match(miss.html, 'data-dry-matched="false"');
    const fields = { name: 'Draft', mailboxId: '', active: 'on', match: 'all', c0_field: 'from', c0_op: 'contains', c0_value: 'jira@', skip: 'on', inboundId: String(skippedId), action: 'dryrun' };
    const form = await ui.submit('/admin/filters/new', '/admin/filters/new', fields);
    t.equal(form.res.status, 200);
    t.match(form.html, 'data-dry-matched="true"');
    t.equal((await json(api('/api/v1/filters'))).total, 4, 'a dry run saves nothing');
    const evil = await ui.submit('/admin/filters/new', '/admin/filters/new', { ...fields, c0_op: 'matches', c0_value: '(a+)+$', action: '' });
    t.equal(evil.res.status, 400);
    t.match(evil.html, /field-error" id="err-conditions\.0\.value">[^<]*unsafe/);
    const list = await ui.get('/admin/filters');
    t.match(list.html, 'Tag and stop');
  });

  await t.test('agents manage their personal mailbox’s filters only', async (t) => {
    const agentKey = (await s.auth.createApiKey('ann-key', ann.id)).key;
    const asAnn = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' } });
    t.equal((await asAnn(`/api/v1/filters/${skip.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'mine' }) })).status, 404, 'API: a global filter is not there for an agent');
    t.equal((await asAnn('/api/v1/filters', { method: 'POST', body: JSON.stringify({ name: 'g', conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: { skip: true } }) })).status, 403);
    const ui = new UiClient(url);
    await ui.login('ann', PW);
    t.equal((await ui.get(`/admin/filters/${skip.id}`)).res.status, 404, 'a global filter is not there for an agent');
    t.equal((await ui.submit('/admin/filters', `/admin/filters/${skip.id}`, { action: 'delete' })).res.status, 404);
    const base = { name: 'Newsletters', active: 'on', match: 'all', c0_field: 'header', c0_header: 'List-Id', c0_op: 'contains', c0_value: 'news', markRead: 'on' };
    t.equal((await ui.submit('/admin/filters/new', '/admin/filters/new', { ...base, mailboxId: '' })).res.status, 403, 'no global filter from an agent');
    t.equal((await ui.submit('/admin/filters/new', '/admin/filters/new', { ...base, mailboxId: String(support.id) })).res.status, 403, 'nor a group mailbox’s');
    const mine = await ui.submit('/admin/filters/new', '/admin/filters/new', { ...base, mailboxId: String((await s.filters.mailboxChoices({ role: 'agent', userId: ann.id }))[0]!.id) });
    t.equal(mine.res.status, 303);
    const list = await ui.get('/admin/filters');
    t.match(list.html, 'Newsletters');
    t.notMatch(list.html, 'Jira noise', 'only her own filters are listed');
    t.equal((await json(api('/api/v1/filters?scope=personal'))).items[0].name, 'Newsletters', 'admins see every scope');
    t.equal((await json(api(`/api/v1/filters/${skip.id}`))).name, 'Jira noise', 'the global filter is unchanged');
    // Her API key reaches her own filters too, and only those.
    const viaKey = await asAnn('/api/v1/filters');
    t.equal(viaKey.status, 200);
    t.same(((await viaKey.json()) as { items: Array<{ name: string }> }).items.map((f) => f.name), ['Newsletters'], 'her key lists her filters only');
    const personal = (await s.filters.mailboxChoices({ role: 'agent', userId: ann.id }))[0]!.id;
    const created = await asAnn('/api/v1/filters', { method: 'POST', body: JSON.stringify({ name: 'Key-made', mailboxId: personal, conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: { markRead: true } }) });
    t.equal(created.status, 201, 'an agent key creates a filter on her personal mailbox');
    t.equal((await asAnn('/api/v1/filters', { method: 'POST', body: JSON.stringify({ name: 'g', mailboxId: support.id, conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: { skip: true } }) })).status, 403, 'not on a group mailbox');
  });
});
