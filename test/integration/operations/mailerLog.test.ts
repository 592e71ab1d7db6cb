/*
 * The mailer log and the webhook events the mailer emits, through the services on every
 * database: a failing upstream (deferred and failed rows with the remote reply, sent rows not
 * logged), an account paused by an auth failure and resumed, a message the pipeline gives up
 * on, mass email state changes, a failing job, signed delivery.* / mass_email.state /
 * message.failed events at a loopback receiver, no webhook query on the delivery path when
 * nobody listens (and grouped inserts when someone does), buffered multi-row writes, the
 * streamed exports (paged in id order) and the retention purge.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { startUpstream } from '../../helpers/upstream.js';
import { FEATURES } from '../../../server/app.js';
import { enqueue, type EnqueueMessage } from '../../../server/outbound/enqueue.js';
import { createCommitter } from '../../../server/inbound/committer.js';
import { verifySignature } from '../../../server/webhooks/signing.js';
import { CACHE_MS } from '../../../server/webhooks/service.js';
import { CSV_HEADER } from '../../../server/operations/mailerLogEntry.js';
import type { Feature } from '../../../server/feature.js';
import type { Services } from '../../../server/services.js';
import type { Readable } from 'node:stream';

const SECRET = 'whsec_mailer_log_0123456789';
const DAY = 86_400_000;
const msg = (o: Partial<EnqueueMessage> = {}): EnqueueMessage => ({ source: 'single', account_id: null, message_type_id: null, from_addr: 'news@ours.example', from_name: 'Ours', reply_to: null,
  subject: 'Hello', html: '<p>Hi there</p>', text: 'Hi there', headers: null, bulk: false, created_by: null, send_at: null, ...o });
const boom: Feature = { name: 'boom', jobs: [{ name: 'boom', description: 'fails', cron: '0 0 1 1 *', run: async () => { throw new Error('disk on fire'); } }] };

async function receiver(t: Test) {
  const hits: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }); res.writeHead(204); res.end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  /** The verified bodies received for an event (each signature checked). */
  const events = (event: string) => hits.filter((h) => h.headers['x-postern-event'] === event)
    // The worker sends deliveries side by side: in the order they were queued, by delivery id.
    .sort((a, b) => Number(a.headers['x-postern-delivery']) - Number(b.headers['x-postern-delivery'])).map((h) => {
    if (!verifySignature(SECRET, { signature: String(h.headers['x-postern-signature']), timestamp: String(h.headers['x-postern-timestamp']), body: h.body })) throw new Error('bad signature');
    return JSON.parse(h.body) as { id: string; event: string; at: number; data: Record<string, any> };
  });
  return { hits, events, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

/** Counts the statements that touch a table while `fn` runs. */
async function statements(s: Services, table: RegExp, fn: () => Promise<unknown>) {
  const seen: string[] = [];
  const on = (q: { sql: string }) => { if (table.test(q.sql)) seen.push(q.sql); };
  s.ctx.db.knex.on('query', on);
  try { await fn(); } finally { s.ctx.db.knex.off('query', on); }
  return seen;
}
const text = async (r: Readable) => { let out = ''; for await (const c of r) out += String(c); return out; };

void t.test('mailer log', async (t) => {
  await eachDb(t, async (t, tdb) => {
    const { s } = await buildTestServices(t, tdb, { features: [...FEATURES, boom], overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 } } });
    const up = await startUpstream({ rules: (r) => (r.startsWith('busy') ? '450' : r.startsWith('gone') ? '550' : 'ok') });
    // The worker's pooled connections first: the upstream's close waits for open sessions.
    t.teardown(async () => { await s.delivery.close(); await up.close(); });
    const rx = await receiver(t);
    const account = await s.accounts.create({ name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', maxConnections: 2 });
    const send = (key: string, to: string[], accountId = account.id) =>
      enqueue(s, { message: msg({ account_id: accountId }), recipients: to.map((address) => ({ address, kind: 'to' as const })), uniqueKeyPrefix: key });
    const entries = async (f: Record<string, unknown> = {}) => { await s.mailerLog.flush(); return (await s.mailerLog.list(s.mailerLog.filter(f), { perPage: 200, dir: 'asc' })).items; };
    const drainQueue = async () => { for (let i = 0; i < 20 && (await s.delivery.runOnce()) > 0; i++); };

    await t.test('nobody listens to delivery events: no webhook statement on the delivery path', async (t) => {
      const other = await s.webhooks.create({ url: rx.url, events: ['bounce'], secret: SECRET });
      await s.webhooks.emit('bounce', { warm: true }, 'warm-the-cache');
      await s.ctx.db.knex('webhook_deliveries').delete();
      // Three rounds, so three groups of results reach the webhooks (without the cache: a read of the endpoints each).
      const seen = await statements(s, /webhook_/, async () => {
        for (const round of [0, 1, 2]) { await send(`quiet${round}`, Array.from({ length: 10 }, (_, i) => `ok${i}@r${round}.example`)); await drainQueue(); }
      });
      t.equal(up.received.length, 30, 'sent');
      t.same(seen.filter((q) => /webhook_deliveries/.test(q)), [], 'no delivery row read or written');
      t.ok(seen.length <= 1, `the endpoints read at most once per ${CACHE_MS} ms from the cache, not per group (${seen.length} reads)`);
      const heard = await s.webhooks.create({ url: rx.url, events: ['delivery.sent'], secret: SECRET });
      await send('heard', Array.from({ length: 30 }, (_, i) => `ok${i}@second.example`));
      const writes = await statements(s, /webhook_deliveries/, drainQueue);
      t.equal(await s.ctx.db.knex('webhook_deliveries').where({ event: 'delivery.sent' }).count({ n: '*' }).then((r) => Number(r[0]!.n)), 30, 'one event per sent row');
      t.ok(writes.length <= 4, `30 events in a few statements, not one each (${writes.length})`);
      await s.webhooks.remove(heard.id);
      await s.webhooks.remove(other.id);
      await s.ctx.db.knex('webhook_deliveries').delete();
      t.same((await entries({ source: 'delivery' })).length, 0, 'sent rows are not logged');
    });

    const hook = await s.webhooks.create({ url: rx.url, events: ['delivery.sent', 'delivery.deferred', 'delivery.failed', 'mass_email.state', 'message.failed'], secret: SECRET });

    await t.test('a failing upstream: deferred and failed rows with the remote reply; signed delivery events', async (t) => {
      const r = await send('mixed', ['fine@rcpt.example', 'busy@rcpt.example', 'gone@rcpt.example']);
      await s.delivery.runOnce();
      const got = await entries({ source: 'delivery' });
      t.same(got.map((e) => [e.event, e.level, e.address]), [['delivery.deferred', 'warn', 'busy@rcpt.example'], ['delivery.failed', 'error', 'gone@rcpt.example']].sort((a, b) => a[0]!.localeCompare(b[0]!)));
      const deferred = got.find((e) => e.event === 'delivery.deferred')!;
      t.match(deferred, { account_id: account.id, reply: /^450 4\.2\.1 Mailbox busy/, message: /Deferred by relay \(attempt 1\): 450 4\.2\.1 Mailbox busy/ });
      t.ok(deferred.queue_id, 'linked to its queue row');
      t.match(got.find((e) => e.event === 'delivery.failed'), { reply: /^550 5\.1\.1 <gone@rcpt\.example>: Recipient address rejected/ });
      t.same((await entries({ level: 'error', source: 'delivery' })).map((e) => e.event), ['delivery.failed'], 'level filter');
      t.same((await entries({ q: 'mailbox busy' })).map((e) => e.event), ['delivery.deferred'], 'text search');
      t.same((await entries({ accountId: account.id + 1000 })).length, 0, 'account filter');

      t.equal(await s.webhooks.runOnce(), 3);
      const [sent] = rx.events('delivery.sent');
      t.match(sent, { event: 'delivery.sent', data: { messageId: /^<.+>$/, outboundMessageId: r.messageId, address: 'fine@rcpt.example', accountId: account.id, attempt: 1, code: 250, response: /^OK queued as U\d+|250/ } });
      t.type(sent!.data.queueId, 'number');
      t.notOk('massEmailId' in sent!.data, 'not a mass email');
      t.match(rx.events('delivery.deferred')[0], { data: { address: 'busy@rcpt.example', attempt: 1, code: 450, response: /4\.2\.1 Mailbox busy/ } });
      t.match(rx.events('delivery.failed')[0], { data: { address: 'gone@rcpt.example', attempt: 1, code: 550, response: /5\.1\.1/ } });
    });

    await t.test('an account paused by an auth failure, then resumed', async (t) => {
      const locked = await startUpstream({ auth: { user: 'relay', pass: 'right' } });
      t.teardown(async () => { await s.delivery.close(); await locked.close(); });
      const bad = await s.accounts.create({ name: 'locked', host: '127.0.0.1', port: locked.port, security: 'none', username: 'relay', password: 'wrong' });
      await send('locked', ['x@rcpt.example'], bad.id);
      await s.delivery.runOnce();
      const [paused] = await entries({ source: 'account', accountId: bad.id });
      t.match(paused, { event: 'account.paused', level: 'error', message: /Upstream account locked paused: authentication failed/, reply: /535/ });
      await s.accounts.resume(bad.id);
      t.same((await entries({ source: 'account', accountId: bad.id })).map((e) => e.event), ['account.paused', 'account.resumed']);
      await s.accounts.pause(bad.id, 'by hand');
      await s.ctx.db.knex('outbound_queue').where({ account_id: bad.id }).delete();
    });

    await t.test('a message the pipeline gives up on: logged, and message.failed', async (t) => {
      const raw = Buffer.from('\r\nno header section at all\r\n');
      const id = await createCommitter(s.ctx.db, s.ctx.clock).commit({
        listener: 'mx', mail_from: 'odd@sender.example', rcpt_to: ['support@ours.example'], remote_ip: '127.0.0.1', helo: 'x', tls: false, credential_id: null,
        size: raw.length, chunks: async function* () { yield raw; }, recipients: [],
      });
      await s.inboundPipeline.runOnce('w1');
      t.equal((await s.ctx.db.knex('inbound_messages').where({ id }).first()).state, 'failed');
      t.match((await entries({ source: 'inbound' }))[0], { event: 'inbound.failed', level: 'error', inbound_id: id, message: /no message headers/ });
      await s.webhooks.runOnce();
      t.match(rx.events('message.failed'), [{ data: { inboundId: id, mailFrom: 'odd@sender.example', rcptTo: ['support@ours.example'], attempts: 1, error: 'no message headers' } }]);
    });

    await t.test('mass email state changes: logged and mass_email.state', async (t) => {
      await s.dkim.generate('ours.example');
      const sandbox = (await s.accounts.repo.all()).find((a) => a.kind === 'sandbox')!;
      const template = await s.templates.create({ name: 'T', subject: 'Hi {Person.firstName}', html: '<p>Hello {Person.name}</p>', text: null, is_default: false } as never);
      await s.records.bulkUpsert('contact', Array.from({ length: 3 }, (_, i) => ({ externalId: `c${i}`, firstName: `F${i}`, lastName: 'L', emails: [`p${i}@rcpt.example`] })));
      const list = await s.targetLists.create({ name: 'All' });
      await s.targetLists.addByFilter(list.id, { type: 'contact' });
      const campaign = await s.campaigns.createCampaign({ name: 'C', type: 'newsletter', targetListIds: [list.id] }, null);
      const mass = (name: string) => s.campaigns.createMassEmail({ campaignId: campaign.id, name, templateId: template.id, accountId: sandbox.id, fromAddress: 'news@ours.example', status: 'pending' }, null);
      const one = await mass('one');
      await s.massSender.run();
      await drainQueue();
      t.equal((await s.massSender.run()).completed, 1);
      const two = await mass('two');
      await s.campaigns.pause(two.id, 'checking the list');
      await s.campaigns.resume(two.id);
      await s.campaigns.cancel(two.id);
      const got = await entries({ source: 'mass_email' });
      t.same(got.map((e) => [e.mass_email_id, e.event]), [
        [one.id, 'mass_email.scheduled'], [one.id, 'mass_email.started'], [one.id, 'mass_email.completed'],
        [two.id, 'mass_email.scheduled'], [two.id, 'mass_email.paused'], [two.id, 'mass_email.resumed'], [two.id, 'mass_email.cancelled'],
      ]);
      t.match(got[4], { level: 'warn', message: `Mass email #${two.id} paused (pending → paused): checking the list` });
      await s.webhooks.runOnce();
      t.same(rx.events('mass_email.state').map((e) => [e.data.id, e.data.campaignId, e.data.from, e.data.to]), [
        [one.id, campaign.id, 'draft', 'pending'], [one.id, campaign.id, 'pending', 'in_process'], [one.id, campaign.id, 'in_process', 'complete'],
        [two.id, campaign.id, 'draft', 'pending'], [two.id, campaign.id, 'pending', 'paused'], [two.id, campaign.id, 'paused', 'pending'], [two.id, campaign.id, 'pending', 'cancelled'],
      ]);
      const sentForMass = rx.events('delivery.sent').filter((e) => e.data.massEmailId === one.id);
      t.equal(sentForMass.length, 3, 'campaign rows carry their mass email');
    });

    await t.test('a failing job', async (t) => {
      await s.scheduler.ensureJobs();
      t.match(await s.scheduler.runNow('boom'), { ok: false, error: 'disk on fire' });
      t.match(await entries({ source: 'job' }), [{ event: 'job.failed', level: 'error', message: 'Job boom failed: disk on fire' }]);
    });

    await t.test('buffered writes, and exports streamed in id-ordered pages', async (t) => {
      const inserts = await statements(s, /^insert into [`"]?mailer_log/i, async () => {
        await Promise.all(Array.from({ length: 2500 }, (_, i) => s.mailerLog.record({ level: 'warn', source: 'imap', event: 'imap.sync_failed', message: `folder ${i} timed out`, mailboxId: 3 })));
      });
      t.ok(inserts.length <= 10, `2,500 entries in a few INSERTs (${inserts.length})`);
      const tricky = '=SUM(A1), "quoted", comma, and\na new line';
      await s.mailerLog.record({ level: 'error', source: 'imap', event: 'imap.auth_failed', message: tricky, reply: 'NO [AUTHENTICATIONFAILED] Invalid credentials', mailboxId: 3 });
      const f = s.mailerLog.filter({ source: 'imap' });
      let csv = '';
      const reads = await statements(s, /^select .* from [`"]?mailer_log/i, async () => { csv = await text(s.mailerLog.exportCsv(f)); });
      t.ok(reads.length >= 3, `read in pages, not at once (${reads.length} reads)`);
      const rows = parse(csv) as string[][];
      t.same(rows[0], [...CSV_HEADER], 'the header row');
      t.equal(rows.length, 2502);
      const ids = rows.slice(1).map((r) => Number(r[0]));
      t.same(ids, [...ids].sort((a, b) => a - b), 'in id order');
      const last = rows[rows.length - 1]!;
      t.equal(last[5], `'${tricky}`, 'quotes, commas and the line break survive; the formula is guarded');
      t.equal(last[6], 'NO [AUTHENTICATIONFAILED] Invalid credentials');
      const lines = (await text(s.mailerLog.exportNdjson(s.mailerLog.filter({ source: 'imap', level: 'error' })))).split('\n');
      t.equal(lines.pop(), '', 'each line ends with a newline');
      t.equal(lines.length, 1);
      t.match(JSON.parse(lines[0]!), { level: 'error', source: 'imap', event: 'imap.auth_failed', message: tricky, mailboxId: 3, time: /^\d{4}-\d\d-\d\dT/ });
    });

    await t.test('retention purge', async (t) => {
      await s.ctx.db.knex('mailer_log').delete();
      const now = Date.now();
      for (const age of [40, 10, 0]) await s.mailerLog.record({ level: 'info', source: 'job', event: 'job.test', message: `${age} days old`, at: now - age * DAY });
      t.same(await s.mailerLog.purge(), { deleted: 1, retentionDays: 30 }, 'the default keeps 30 days');
      await s.mailerLog.setSettings({ retentionDays: 5 });
      t.same(await s.mailerLog.purge(), { deleted: 1, retentionDays: 5 });
      t.same((await entries()).map((e) => e.message), ['0 days old']);
      await t.rejects(s.mailerLog.setSettings({ retentionDays: 0 }), { code: 'validation_failed', fields: [{ field: 'retentionDays' }] });
      const job = (await s.scheduler.list()).find((j) => j.name === 'mailer-log-purge');
      t.ok(job, 'the purge is a scheduled job');
    });
    await s.webhooks.remove(hook.id);
  });
});
