/*
 * The agents' inbox end to end on every database, over real SMTP and HTTP: a message to support@
 * lands in support's inbox (with its case); a support filter "move to folder + mark read + tag"
 * files support's copy there (created by name) and leaves sales' copy of the same message in
 * sales' Inbox; a skip filter keeps a message out of every inbox; agents see only their teams'
 * mailboxes (API with their key, and the pages), another team's item is a 404 (single and bulk,
 * nothing changed); bulk move / archive / read / tag; search, unread and tag filters; folder
 * rename and delete (items back to the Inbox); a re-routed message makes no second item; opening
 * an item from the list is a POST that marks it read, its GET changes nothing.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PW = 'agent password 12345';

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'],
    overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 20 } },
  });
  const s = app.services;
  // No DNS here: the verdicts are not what this test is about.
  s.inboundPipeline.resolver = async () => { throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' }); };
  const json = async (r: Promise<Response> | Response): Promise<any> => (await r).json();
  const send = (path: string, method: string, body?: unknown) => api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
  t.teardown(() => tr.close());

  const now = Date.now();
  const supportTeam = await s.auth.teams.create({ name: 'Support', description: '' }, now);
  const salesTeam = await s.auth.teams.create({ name: 'Sales', description: '' }, now);
  const ann = await s.auth.createUser({ username: 'ann', role: 'agent', password: PW, teamIds: [supportTeam] });
  const sam = await s.auth.createUser({ username: 'sam', role: 'agent', password: PW, teamIds: [salesTeam] });
  const support = await json(send('/api/v1/mailboxes', 'POST', { address: 'support@ours.example', name: 'Support', createCases: true, teams: [supportTeam] }));
  const sales = await json(send('/api/v1/mailboxes', 'POST', { address: 'sales@ours.example', name: 'Sales', teams: [salesTeam] }));
  const keyOf = async (userId: number) => (await s.auth.createApiKey(`key-${userId}`, userId)).key;
  const as = (key: string) => (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const asAnn = as(await keyOf(ann.id));
  const asSam = as(await keyOf(sam.id));

  async function processed(mid: string) {
    for (let i = 0; i < 300; i++) {
      const r = await json(api(`/api/v1/inbound?messageId=${encodeURIComponent(mid)}`));
      if (r.items[0]?.state === 'processed' || r.items[0]?.state === 'failed') return r.items[0];
      await sleep(30);
    }
    throw new Error(`${mid} not processed`);
  }
  const mail = async (o: { to: string | string[]; subject: string; mid: string; from?: string }) => {
    await tr.sendMail({ from: o.from ?? 'Alice <alice@customer.example>', to: o.to, subject: o.subject, text: 'Hello there.', messageId: `<${o.mid}>` });
    return processed(o.mid);
  };
  const items = async (q: string, who = api) => json(who(`/api/v1/inbox?${q}`));
  const itemsOf = async (inboundId: number) => (await items('view=all&perPage=200')).items.filter((i: any) => i.inboundId === inboundId)
    .concat((await items('view=archived&perPage=200')).items.filter((i: any) => i.inboundId === inboundId));

  let first: any;
  await t.test('a message to support@ lands in support\'s inbox, with its case', async (t) => {
    const m = await mail({ to: 'support@ours.example', subject: 'Printer broken', mid: 'p1@customer.example' });
    t.equal(m.state, 'processed');
    const list = await items(`mailboxId=${support.id}`);
    t.equal(list.total, 1);
    first = list.items[0];
    t.match(first, { inboundId: m.id, mailboxId: support.id, folderId: null, read: false, archived: false, tags: [], subject: 'Printer broken', from: 'alice@customer.example', caseId: m.caseId });
    t.type(first.caseId, 'number', 'support opens cases: the item names it');
    t.type(first.receivedAt, 'number');
    t.equal((await items(`mailboxId=${sales.id}`)).total, 0, 'nothing in sales');
    t.match(await json(api(`/api/v1/inbox/${first.id}`)), { id: first.id, subject: 'Printer broken' });
  });

  let filed: any, salesCopy: any;
  await t.test('a mailbox filter files its mailbox\'s copy: folder (created by name), read, tag; the other mailbox\'s copy stays in its Inbox', async (t) => {
    const f = await json(send('/api/v1/filters', 'POST', { name: 'Invoices', mailboxId: support.id, conditions: [{ field: 'subject', op: 'contains', value: 'invoice' }], actions: { folder: 'Billing', markRead: true, tags: ['Finance'] } }));
    t.type(f.id, 'number');
    const m = await mail({ to: ['support@ours.example', 'sales@ours.example'], subject: 'Invoice 4711', mid: 'inv1@customer.example' });
    const folders = (await json(api(`/api/v1/mailboxes/${support.id}/folders`))).items;
    t.match(folders, [{ name: 'Billing', mailboxId: support.id }]);
    const copies = await itemsOf(m.id);
    t.equal(copies.length, 2, 'one item per mailbox');
    filed = copies.find((i: any) => i.mailboxId === support.id);
    salesCopy = copies.find((i: any) => i.mailboxId === sales.id);
    t.match(filed, { folderId: folders[0].id, read: true, tags: ['finance'] });
    t.match(salesCopy, { folderId: null, read: false, tags: [] });
    t.equal((await items(`mailboxId=${support.id}`)).total, 1, 'support\'s Inbox still holds only the first message');
    t.same((await items(`folderId=${folders[0].id}`)).items.map((i: any) => i.id), [filed.id], 'the folder view');
    t.same((await items('tag=FINANCE&view=all')).items.map((i: any) => i.id), [filed.id], 'the tag filter (case-insensitive)');
    // Another invoice reuses the folder (found case-insensitively), never a second one.
    await json(send(`/api/v1/filters/${f.id}`, 'PATCH', { actions: { folder: 'billing', tags: ['finance'] } }));
    const m2 = await mail({ to: 'support@ours.example', subject: 'invoice 4712', mid: 'inv2@customer.example' });
    t.equal((await json(api(`/api/v1/mailboxes/${support.id}/folders`))).items.length, 1);
    t.match((await itemsOf(m2.id))[0], { folderId: folders[0].id, read: false });
  });

  await t.test('a skip filter keeps a message out of every inbox (kept in the message log)', async (t) => {
    await json(send('/api/v1/filters', 'POST', { name: 'Noise', conditions: [{ field: 'from', op: 'contains', value: 'notifications.example.com' }], actions: { skip: true } }));
    const m = await mail({ to: ['support@ours.example', 'sales@ours.example'], subject: 'Build failed', mid: 'n1@notifications.example.com', from: 'ci@notifications.example.com' });
    t.equal(m.state, 'processed');
    t.same(await itemsOf(m.id), []);
    const d = await json(api(`/api/v1/inbound/${m.id}`));
    t.notOk('inbox' in (d.steps.find((x: any) => x.step === 'route').result ?? {}), 'the inbox hook did not run');
  });

  await t.test('agents see only their teams\' mailboxes: API with their key', async (t) => {
    const annList = await items('view=all&perPage=200', asAnn);
    t.ok(annList.total >= 3);
    t.ok(annList.items.every((i: any) => i.mailboxId === support.id), 'ann: support only');
    const samList = await items('view=all&perPage=200', asSam);
    t.same(samList.items.map((i: any) => i.id), [salesCopy.id], 'sam: sales only');
    t.equal((await asAnn(`/api/v1/inbox/${salesCopy.id}`)).status, 404);
    t.equal((await asAnn(`/api/v1/inbox/${salesCopy.id}`, { method: 'PATCH', body: JSON.stringify({ read: true }) })).status, 404);
    t.equal((await asAnn(`/api/v1/inbox?mailboxId=${sales.id}`)).status, 404, 'another team\'s mailbox is not there');
    const bulk = await asAnn('/api/v1/inbox/bulk', { method: 'POST', body: JSON.stringify({ ids: [first.id, salesCopy.id], action: 'archive' }) });
    t.equal(bulk.status, 404, 'one item out of reach: nothing changes');
    t.match(await json(api(`/api/v1/inbox/${first.id}`)), { archived: false });
    t.match(await json(api(`/api/v1/inbox/${salesCopy.id}`)), { archived: false });
    const boxes = (await json(asAnn('/api/v1/inbox/mailboxes'))).items;
    t.same(boxes.map((b: any) => b.id), [support.id]);
    t.match(boxes[0], { unread: 1, folders: [{ name: 'Billing', unread: 1, total: 2 }] });
    t.equal((await asAnn(`/api/v1/mailboxes/${sales.id}/folders`)).status, 404);
    // Folders of her own mailbox she manages with her key, as on the page; another team's are not there.
    const mine = await asAnn(`/api/v1/mailboxes/${support.id}/folders`, { method: 'POST', body: JSON.stringify({ name: 'Ann later' }) });
    t.equal(mine.status, 201);
    const folder = (await mine.json()) as { id: number };
    t.match(await json(asAnn(`/api/v1/mailboxes/${support.id}/folders/${folder.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Ann soon' }) })), { name: 'Ann soon' });
    t.equal((await asAnn(`/api/v1/mailboxes/${support.id}/folders/${folder.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await asAnn(`/api/v1/mailboxes/${sales.id}/folders`, { method: 'POST', body: JSON.stringify({ name: 'Nope' }) })).status, 404);
    t.equal((await asAnn(`/api/v1/mailboxes/${support.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Mine' }) })).status, 403, 'the mailbox itself stays the admins\'');
    // Ann's own change through her key.
    t.match(await json(asAnn(`/api/v1/inbox/${first.id}`, { method: 'PATCH', body: JSON.stringify({ read: true, tags: ['VIP', 'vip', 'printer'] }) })), { read: true, tags: ['printer', 'vip'] });
  });

  await t.test('bulk move, archive, read, tag; search and unread filters', async (t) => {
    const extra = [];
    for (const i of [1, 2, 3]) extra.push((await itemsOf((await mail({ to: 'support@ours.example', subject: `Question ${i}`, mid: `q${i}@customer.example` })).id))[0]);
    const ids = extra.map((i) => i.id);
    const later = await json(send(`/api/v1/mailboxes/${support.id}/folders`, 'POST', { name: 'Later' }));
    t.match(later, { name: 'Later', mailboxId: support.id });
    t.equal((await send(`/api/v1/mailboxes/${support.id}/folders`, 'POST', { name: 'later' })).status, 409, 'names are unique per mailbox');
    t.same(await json(send('/api/v1/inbox/bulk', 'POST', { ids: ids.slice(0, 2), action: 'move', folderId: later.id })), { updated: 2 });
    t.same((await items(`folderId=${later.id}`)).items.map((i: any) => i.id).sort(), ids.slice(0, 2).sort());
    const billing = (await json(api(`/api/v1/mailboxes/${support.id}/folders`))).items.find((f: any) => f.name === 'Billing');
    t.equal((await send('/api/v1/inbox/bulk', 'POST', { ids: [salesCopy.id], action: 'move', folderId: billing.id })).status, 400, 'a folder of another mailbox');
    t.same(await json(send('/api/v1/inbox/bulk', 'POST', { ids: [ids[2]], action: 'archive' })), { updated: 1 });
    t.same((await items(`mailboxId=${support.id}&view=archived`)).items.map((i: any) => i.id), [ids[2]]);
    t.notOk((await items(`mailboxId=${support.id}`)).items.some((i: any) => i.id === ids[2]), 'out of the Inbox');
    t.equal((await items(`mailboxId=${support.id}&view=all&unread=true&q=question`)).total, 2, 'unread and search');
    await json(send('/api/v1/inbox/bulk', 'POST', { ids, action: 'read' }));
    t.equal((await items(`mailboxId=${support.id}&view=all&unread=true&q=question`)).total, 0);
    t.equal((await items('view=all&q=ALICE@customer')).total >= 3, true, 'search reads the sender too');
    await json(send('/api/v1/inbox/bulk', 'POST', { ids, action: 'tag', tag: 'Follow up' }));
    t.equal((await items('tag=follow%20up&view=all')).total, 2, 'the archived one is not in view=all');
    t.equal((await items('tag=follow%20up&view=archived')).total, 1);
    await json(send('/api/v1/inbox/bulk', 'POST', { ids: [ids[0]], action: 'untag', tag: 'follow up' }));
    t.equal((await items('tag=follow%20up&view=all')).total, 1);
    t.equal((await send('/api/v1/inbox/bulk', 'POST', { ids, action: 'tag' })).status, 400, 'a tag action needs a tag');
    // Rename, then delete: its items go back to the Inbox.
    t.match(await json(send(`/api/v1/mailboxes/${support.id}/folders/${later.id}`, 'PATCH', { name: 'Someday' })), { name: 'Someday' });
    t.equal((await send(`/api/v1/mailboxes/${support.id}/folders/${later.id}`, 'DELETE')).status, 204);
    const back = await items(`mailboxId=${support.id}&perPage=200`);
    t.ok(ids.slice(0, 2).every((id) => back.items.some((i: any) => i.id === id && i.folderId === null)), 'back in the Inbox');
    // The archive's count covers archived items of every folder.
    await json(send(`/api/v1/inbox/${filed.id}`, 'PATCH', { archived: true }));
    t.match((await json(api('/api/v1/inbox/mailboxes'))).items.find((m: any) => m.id === support.id), { archived: 2 });
    t.match(await json(send(`/api/v1/inbox/${filed.id}`, 'PATCH', { archived: false })), { archived: false, folderId: filed.folderId });
  });

  await t.test('a re-routed message makes no second item and keeps the item\'s state', async (t) => {
    const before = await json(api(`/api/v1/inbox/${filed.id}`));
    await json(send(`/api/v1/inbox/${filed.id}`, 'PATCH', { read: false }));
    t.equal((await send(`/api/v1/inbound/${filed.inboundId}/reprocess`, 'POST')).status, 202);
    for (let i = 0; i < 200 && (await json(api(`/api/v1/inbound/${filed.inboundId}`))).state !== 'processed'; i++) await sleep(30);
    const after = await itemsOf(filed.inboundId);
    t.equal(after.length, 2, 'still one item per mailbox');
    t.match(after.find((i: any) => i.mailboxId === support.id), { id: before.id, folderId: before.folderId, read: false, tags: before.tags });
    t.equal(Number((await tdb.db.knex('inbox_items').where({ inbound_id: filed.inboundId }).count({ n: '*' }))[0]!.n), 2);
  });

  await t.test('pages: an agent sees their mailboxes; opening is a POST that marks read; the case link', async (t) => {
    const m = await mail({ to: ['support@ours.example', 'sales@ours.example'], subject: 'Page check', mid: 'page1@customer.example' });
    const mine = (await itemsOf(m.id)).find((i: any) => i.mailboxId === support.id);
    const theirs = (await itemsOf(m.id)).find((i: any) => i.mailboxId === sales.id);
    const ui = new UiClient(url);
    t.equal((await ui.login('ann', PW)).res.status, 303);
    const list = await ui.get('/admin/inbox');
    t.equal(list.res.status, 200);
    t.match(list.html, 'href="/admin/inbox"', 'the menu entry');
    t.match(list.html, `id="inbox-item-${mine.id}"`);
    t.notMatch(list.html, `id="inbox-item-${theirs.id}"`, 'not sales\' copy');
    t.notMatch(list.html, 'Sales', 'nor the sales mailbox');
    t.match(list.html, new RegExp(`id="inbox-row-${mine.id}" class="unread"`), 'unread shows as such');
    t.match(list.html, `href="/admin/cases/${mine.caseId}" id="inbox-case-${mine.id}"`);
    const page = await ui.get(`/admin/inbox/${mine.id}`);
    t.equal(page.res.status, 200);
    t.match(page.html, 'Hello there.', 'the message text');
    t.match(page.html, `id="inbox-case-link"`);
    t.match(await json(api(`/api/v1/inbox/${mine.id}`)), { read: false }, 'a GET changes nothing');
    t.equal((await ui.get(`/admin/inbox/${theirs.id}`)).res.status, 404, 'another team\'s item');
    const open = await ui.post(`/admin/inbox/${mine.id}/open`, {}, UiClient.csrfOf(list.html));
    t.equal(open.res.status, 303);
    t.equal(open.res.headers.get('location'), `/admin/inbox/${mine.id}`);
    t.match(await json(api(`/api/v1/inbox/${mine.id}`)), { read: true }, 'opened: read');
    t.equal((await ui.post(`/admin/inbox/${theirs.id}/open`, {}, UiClient.csrfOf(list.html))).res.status, 404);
    t.match(await json(api(`/api/v1/inbox/${theirs.id}`)), { read: false });
    // Bulk from the list page: archive, with the page's CSRF token.
    const bulk = await ui.post('/admin/inbox/bulk', { ids: [String(mine.id)], action: 'archive', back: '/admin/inbox?view=archived' }, UiClient.csrfOf(list.html));
    t.equal(bulk.res.status, 303);
    t.equal(bulk.res.headers.get('location'), '/admin/inbox?view=archived');
    t.match(await json(api(`/api/v1/inbox/${mine.id}`)), { archived: true });
    t.equal((await ui.post('/admin/inbox/bulk', { ids: [String(theirs.id)], action: 'archive' }, UiClient.csrfOf(list.html))).res.status, 404);
    t.equal((await ui.post('/admin/inbox/bulk', { ids: [String(mine.id)], action: 'read' }, 'forged')).res.status, 403, 'CSRF checked');
    // Folders from the page.
    const made = await ui.post('/admin/inbox/folders', { mailboxId: String(support.id), name: 'From the page' }, UiClient.csrfOf(list.html));
    t.equal(made.res.status, 303);
    t.ok((await json(api(`/api/v1/mailboxes/${support.id}/folders`))).items.some((f: any) => f.name === 'From the page'));
    t.equal((await ui.post('/admin/inbox/folders', { mailboxId: String(sales.id), name: 'Nope' }, UiClient.csrfOf(list.html))).res.status, 404);
    const admin = new UiClient(url);
    await admin.login('admin', ADMIN_PASSWORD);
    const all = await admin.get('/admin/inbox');
    t.match(all.html, `id="inbox-item-${theirs.id}"`, 'admins see every mailbox');
  });
});
