/*
 * The inbound pipeline through its service, without SMTP or HTTP, on every database: a
 * message stored by the committer is claimed by `runOnce`, runs parse → authenticate →
 * detect → bounce → route with each step recorded, and ends processed; a test feature's
 * routing hook runs in `route` (with the services it was made from) only for the mail it
 * asks for; nothing is claimed twice.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { FEATURES } from '../../../server/app.js';
import type { Feature } from '../../../server/feature.js';
import { createCommitter } from '../../../server/inbound/committer.js';

const mail = (subject: string, id: string) => Buffer.from([
  'From: Ann Example <ann@example.org>', 'To: support@ours.example', `Subject: ${subject}`, `Message-ID: <${id}>`,
  'Date: Tue, 02 Jan 2024 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Hello, I need help.', '',
].join('\r\n'));

void eachDb(t, async (t, tdb) => {
  const routed: Array<{ id: number; recipients: number }> = [];
  const crmFeature: Feature = {
    name: 'test-crm',
    hooks: (s) => [{
      name: 'crm-link',
      when: (c) => c.kind === 'normal' && c.fields.subject === 'Route me',
      // A hook gets the built services: this one reads the stored recipients through them.
      async run(c) { const r = await s.inboundView.recipients(c.msg.id); routed.push({ id: c.msg.id, recipients: r.length }); return { linked: true }; },
    }],
  };
  const { s, ctx } = await buildTestServices(t, tdb, {
    features: [...FEATURES, crmFeature],
    overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } },
  });
  // No DNS in tests: SPF/DKIM/DMARC answer temperror/none instead of asking the network.
  s.inboundPipeline.resolver = async () => { throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' }); };
  const committer = createCommitter(ctx.db, ctx.clock);

  async function store(raw: Buffer): Promise<number> {
    const d = await s.directory.classify('support@ours.example');
    if (!d.ok) throw new Error('support@ours.example is not a local mailbox');
    return committer.commit({
      listener: 'mx', mail_from: 'ann@example.org', rcpt_to: ['support@ours.example'], remote_ip: '192.0.2.10', helo: 'mail.example.org', tls: false,
      credential_id: null, size: raw.length, chunks: async function* () { yield raw; },
      recipients: [{ address: d.address, kind: d.kind, mailbox_id: d.mailboxId, target_id: d.targetId }],
    });
  }
  const stepsOf = async (id: number) => (await s.inboundPipeline.repo.steps(id)).map((x) => [x.step, x.status]);

  await t.test('a stored message runs every step and ends processed', async (t) => {
    const raw = mail('Route me', 'svc-1@example.org');
    const id = await store(raw);
    t.match(await s.inboundPipeline.repo.get(id), { state: 'received', listener: 'mx' }, 'waits for the worker');
    t.equal(await s.inboundPipeline.runOnce('w1'), 1, 'one message claimed');
    const m = await s.inboundPipeline.repo.get(id);
    t.match(m, { state: 'processed', kind: 'normal', message_id: 'svc-1@example.org', subject: 'Route me', from_addr: 'ann@example.org' });
    t.same(await stepsOf(id), [['parse', 'ok'], ['authenticate', 'ok'], ['detect', 'ok'], ['bounce', 'skipped'], ['route', 'ok']]);
    const route = (await s.inboundPipeline.repo.steps(id)).find((x) => x.step === 'route');
    t.match(route?.result, { 'crm-link': { linked: true }, inbox: { written: 1 } }, 'each hook\'s result is recorded under its name');
    t.same(routed, [{ id, recipients: 1 }], 'the hook ran once, with the services');
    t.same(await s.inboundView.readRaw(id), raw, 'the raw bytes as received');
    t.match(await s.inboundView.recipients(id), [{ address: 'support@ours.example', kind: 'mailbox' }]);
    t.equal(await s.inboundPipeline.runOnce('w1'), 0, 'nothing left to claim');
  });

  await t.test('the hook stays out of mail it does not ask for', async (t) => {
    routed.length = 0;
    const id = await store(mail('Leave me', 'svc-2@example.org'));
    t.equal(await s.inboundPipeline.runOnce('w2'), 1);
    t.match(await s.inboundPipeline.repo.get(id), { state: 'processed', subject: 'Leave me' });
    const route = (await s.inboundPipeline.repo.steps(id)).find((x) => x.step === 'route');
    t.notOk(route?.result && 'crm-link' in (route.result as object), 'the hook recorded nothing');
    t.same(routed, [], 'no hook ran');
  });

  await t.test('unreadable mail is kept as failed, not lost', async (t) => {
    const id = await store(Buffer.from('\r\n\r\nno headers at all\r\n'));
    t.equal(await s.inboundPipeline.runOnce('w1'), 1);
    const m = await s.inboundPipeline.repo.get(id);
    t.match(m, { state: 'failed', parse_error: /no message headers/ });
    t.same(await stepsOf(id), [], 'no step finished');
  });
});
