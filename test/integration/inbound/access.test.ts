/*
 * Mailbox-scoped access on every database: an agent in team A reads team A's mailbox and
 * its own personal mailbox — never team B's or another user's — in the inbound list (paged
 * in SQL), detail, body frame, .eml, attachments and the API; sees only its outbound rows;
 * and sends only from its own mailboxes' addresses through an account that names them.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PW = 'agent password 12345';
interface Page<T> { items: T[]; total: number }
type Msg = { id: number; subject: string; state: string };

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, { tdb, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } } });
  const s = app.services, k = tdb.db.knex, now = Date.now();
  const teamA = await s.auth.teams.create({ name: 'A', description: '' }, now);
  const teamB = await s.auth.teams.create({ name: 'B', description: '' }, now);
  const ann = await s.auth.createUser({ username: 'ann', role: 'agent', password: PW, teamIds: [teamA] });
  const bob = await s.auth.createUser({ username: 'bob', role: 'agent', password: PW, teamIds: [teamB] });
  await s.domains.createMailbox({ address: 'a@ours.example', teamIds: [teamA] });
  await s.domains.createMailbox({ address: 'b@ours.example', teamIds: [teamB] });
  await s.domains.createMailbox({ address: 'ann@ours.example', kind: 'personal', userId: ann.id });
  await s.domains.createMailbox({ address: 'bob@ours.example', kind: 'personal', userId: bob.id });

  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => tr.close());
  const att = [{ filename: 'note.txt', content: 'secret note', contentType: 'text/plain' }];
  for (const [to, subject] of [['a@ours.example', 'to-team-a'], ['b@ours.example', 'to-team-b'], ['ann@ours.example', 'to-ann'], ['bob@ours.example', 'to-bob'], [['a@ours.example', 'b@ours.example'], 'to-both']] as const) {
    await tr.sendMail({ from: 'someone@example.net', to: to as string | string[], subject, text: `body of ${subject}`, attachments: att });
  }
  let all: Msg[] = [];
  for (let i = 0; i < 200 && !(all.length === 5 && all.every((m) => m.state === 'processed')); i++) { all = ((await (await api('/api/v1/inbound')).json()) as Page<Msg>).items; await sleep(50); }
  t.equal(all.length, 5, 'the admin key sees every message');
  const id = Object.fromEntries(all.map((m) => [m.subject, m.id])) as Record<string, number>;

  const annKey = (await s.auth.createApiKey('ann-key', ann.id)).key;
  const annApi = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${annKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const ui = new UiClient(url);
  t.equal((await ui.login('ann', PW)).res.status, 303);
  const mine = ['to-ann', 'to-both', 'to-team-a'], others = ['to-bob', 'to-team-b'];

  await t.test('inbound UI: list, detail, body, .eml, attachment, reprocess', async (t) => {
    const list = (await ui.get('/admin/inbound')).html;
    for (const subj of mine) t.match(list, subj, `${subj} listed`);
    for (const subj of others) t.notMatch(list, subj, `${subj} not listed`);
    const paged = (await ui.get('/admin/inbound?perPage=2')).html;
    t.notMatch(paged, /to-bob|to-team-b/, 'filtered before paging');
    for (const subj of mine) {
      t.equal((await ui.get(`/admin/inbound/${id[subj]}`)).res.status, 200, `${subj} opens`);
    }
    const a = await ui.get(`/admin/inbound/${id['to-team-a']}/attachments/0`);
    t.equal(a.res.status, 200);
    t.equal(a.html, 'secret note');
    t.match((await ui.get(`/admin/inbound/${id['to-ann']}/raw`)).html, /Subject: to-ann/);
    for (const subj of others) {
      for (const sub of ['', '/body', '/raw', '/attachments/0']) {
        const r = await ui.get(`/admin/inbound/${id[subj]}${sub}`);
        t.equal(r.res.status, 404, `${subj}${sub} is 404`);
        t.notMatch(r.html, /secret note|body of/);
      }
    }
    const page = await ui.get(`/admin/inbound/${id['to-ann']}`);
    const rp = await ui.post(`/admin/inbound/${id['to-bob']}/reprocess`, {}, UiClient.csrfOf(page.html));
    t.equal(rp.res.status, 404, 'no reprocess out of scope');
  });

  await t.test('inbound API with a key created by the agent', async (t) => {
    const page = (await (await annApi('/api/v1/inbound?perPage=2')).json()) as Page<Msg>;
    t.equal(page.total, 3, 'the total counts only messages in scope');
    const every = (await (await annApi('/api/v1/inbound')).json()) as Page<Msg>;
    t.same(every.items.map((m) => m.subject).sort(), mine);
    t.equal((await annApi(`/api/v1/inbound/${id['to-team-a']}`)).status, 200);
    for (const subj of others) {
      const r = await annApi(`/api/v1/inbound/${id[subj]}`);
      t.equal(r.status, 404);
      t.match(await r.json(), { error: { code: 'not_found' } });
      t.equal((await annApi(`/api/v1/inbound/${id[subj]}/raw`)).status, 404);
      t.equal((await annApi(`/api/v1/inbound/${id[subj]}/reprocess`, { method: 'POST' })).status, 404);
    }
    t.match(await (await annApi(`/api/v1/inbound/${id['to-ann']}/raw`)).text(), /Subject: to-ann/);
    const users = await annApi('/api/v1/users');
    t.equal(users.status, 403, 'an agent key reaches only the mail routes');
    t.match(await users.json(), { error: { code: 'forbidden' } });
  });

  await t.test('admins see everything', async (t) => {
    const admin = new UiClient(url);
    await admin.login('admin', ADMIN_PASSWORD);
    const list = (await admin.get('/admin/inbound')).html;
    for (const subj of [...mine, ...others]) t.match(list, subj);
    t.equal((await admin.get(`/admin/inbound/${id['to-bob']}/raw`)).res.status, 200);
  });

  // Outbound: an account naming the domain, and one with an empty allowed-From list.
  const named = Number((await k('upstream_accounts').insert({ name: 'named', kind: 'sandbox', allowed_from: JSON.stringify(['ours.example']), active: true, is_default: true, created_at: now, updated_at: now }))[0]);
  const open = Number((await k('upstream_accounts').insert({ name: 'open', kind: 'sandbox', allowed_from: '[]', active: true, created_at: now, updated_at: now }))[0]);
  const adminSend = async (from: string, to: string, accountId = named) => {
    const r = await api('/api/v1/messages', { method: 'POST', body: JSON.stringify({ accountId, from, to: [to], subject: `from ${from}`, text: 'hi' }) });
    t.equal(r.status, 202, `admin sends as ${from}`);
    return ((await r.json()) as { messageId: number }).messageId;
  };
  const rowOf = async (messageId: number) => Number((await k('outbound_queue').where({ message_id: messageId }).first()).id);
  const rowA = await rowOf(await adminSend('a@ours.example', 'x1@example.com'));
  const rowB = await rowOf(await adminSend('b@ours.example', 'x2@example.com'));
  const rowBob = await rowOf(await adminSend('bob@ours.example', 'x3@example.com'));
  await rowOf(await adminSend('anyone@elsewhere.example', 'x4@example.com', open)); // admins: an empty list still allows any From

  await t.test('compose: the From select offers only the agent\'s addresses; forged From refused', async (t) => {
    const form = await ui.get('/admin/compose');
    t.equal(form.res.status, 200);
    t.match(form.html, /<select name="from"/);
    t.match(form.html, /<option value="a@ours.example"/);
    t.match(form.html, /<option value="ann@ours.example"/);
    t.notMatch(form.html, /<option value="b@ours.example"|<option value="bob@ours.example"/);
    const csrf = UiClient.csrfOf(form.html);
    const before = Number((await k('outbound_queue').count({ n: '*' }))[0]!.n);
    const forged = await ui.post('/admin/compose', { accountId: String(named), from: 'b@ours.example', to: 'y@example.com', subject: 'forged', text: 'x', action: 'send' }, csrf);
    t.equal(forged.res.status, 400);
    t.match(forged.html, /You may not send as b@ours.example/);
    const viaOpen = await ui.post('/admin/compose', { accountId: String(open), from: 'a@ours.example', to: 'y@example.com', subject: 'open', text: 'x', action: 'send' }, csrf);
    t.equal(viaOpen.res.status, 400, 'an empty allowed-From list is nothing for agents');
    t.match(viaOpen.html, /no allowed From list/);
    t.equal(Number((await k('outbound_queue').count({ n: '*' }))[0]!.n), before, 'nothing queued');
    const ok = await ui.post('/admin/compose', { accountId: String(named), from: 'ann@ours.example', to: 'y@example.com', subject: 'mine', text: 'x', action: 'send' }, csrf);
    t.equal(ok.res.status, 303, 'sends from its personal address');

    const api403 = await annApi('/api/v1/messages', { method: 'POST', body: JSON.stringify({ accountId: named, from: 'bob@ours.example', to: ['y@example.com'], subject: 'forged', text: 'x' }) });
    t.equal(api403.status, 403);
    t.match(await api403.json(), { error: { code: 'forbidden', fields: [{ field: 'from' }] } });
    t.equal((await annApi('/api/v1/messages/preview', { method: 'POST', body: JSON.stringify({ accountId: named, from: 'b@ours.example', to: ['y@example.com'], subject: 'p', text: 'x' }) })).status, 403);
    const apiOk = await annApi('/api/v1/messages', { method: 'POST', body: JSON.stringify({ accountId: named, from: 'a@ours.example', to: ['z@example.com'], subject: 'api-mine', text: 'x' }) });
    t.equal(apiOk.status, 202);
  });

  await t.test('outbound queue: only rows in scope, in the UI and the API', async (t) => {
    const list = (await ui.get('/admin/queue')).html;
    t.match(list, /x1@example\.com/, 'sent from a team address');
    t.match(list, /y@example\.com/, 'its own');
    t.notMatch(list, /x2@example\.com|x3@example\.com|x4@example\.com/);
    for (const row of [rowB, rowBob]) {
      t.equal((await ui.get(`/admin/queue/${row}`)).res.status, 404);
      t.equal((await annApi(`/api/v1/queue/${row}`)).status, 404);
      t.equal((await annApi(`/api/v1/queue/${row}/cancel`, { method: 'POST' })).status, 404);
    }
    t.equal((await ui.get(`/admin/queue/${rowA}`)).res.status, 200);
    const page = (await (await annApi('/api/v1/queue')).json()) as Page<{ recipient: string }>;
    t.same(page.items.map((r) => r.recipient).sort(), ['x1@example.com', 'y@example.com', 'z@example.com']);
    const counts = (await (await annApi('/api/v1/queue/counts')).json()) as Record<string, number>;
    t.equal(Object.values(counts).reduce((a, b) => a + b, 0), 3, 'counts only rows in scope');
    await k('outbound_queue').whereIn('id', [rowA, rowB]).update({ state: 'failed' });
    t.same(await (await annApi('/api/v1/queue/retry-failed', { method: 'POST', body: '{}' })).json(), { retried: 1 }, 'bulk retry stays in scope');
    t.equal((await k('outbound_queue').where({ id: rowB }).first()).state, 'failed', "team B's row untouched");
    const form = await ui.get('/admin/queue');
    await ui.post(`/admin/queue/${rowB}/cancel`, {}, UiClient.csrfOf(form.html));
    t.equal((await k('outbound_queue').where({ id: rowB }).first()).state, 'failed', 'no action out of scope');
  });

  await t.test('mailboxes: an agent lists and opens only its own, in the UI and the API', async (t) => {
    const listed = ((await (await annApi('/api/v1/mailboxes')).json()) as Page<{ address: string; id: number }>).items;
    t.same(listed.map((m) => m.address).sort(), ['a@ours.example', 'ann@ours.example']);
    const every = ((await (await api('/api/v1/mailboxes')).json()) as Page<{ address: string; id: number }>).items;
    t.equal(every.length, 4, 'the admin key lists all four');
    const bobBox = every.find((m) => m.address === 'bob@ours.example')!.id;
    const teamB = every.find((m) => m.address === 'b@ours.example')!.id;
    for (const other of [bobBox, teamB]) {
      t.equal((await annApi(`/api/v1/mailboxes/${other}`)).status, 404, 'API: another team\'s or person\'s mailbox is 404');
      t.equal((await ui.get(`/admin/mailboxes/${other}`)).res.status, 404, 'UI: the same');
    }
    const page = (await ui.get('/admin/domains')).html;
    t.match(page, /ann@ours\.example/);
    t.notMatch(page, /bob@ours\.example|b@ours\.example/, 'the domains page lists none of the others');
  });

  await t.test("a deleted user's keys end with it (never an admin key)", async (t) => {
    const { key } = await s.auth.createApiKey('bob-key', bob.id);
    const bobApi = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    t.equal((await bobApi('/api/v1/inbound')).status, 200, 'works while bob exists');
    t.equal((await api(`/api/v1/users/${bob.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await bobApi('/api/v1/inbound')).status, 401, 'revoked with its user');
    t.equal((await bobApi('/api/v1/users')).status, 401, 'and never promoted to admin');
  });
});
