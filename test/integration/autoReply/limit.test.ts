/*
 * The auto-reply hook through the pipeline's services on every database: a mailbox declared in
 * config (`mailboxes[].autoReply`), the per-sender limit as a setting (here 2 per hour) held by
 * two workers at once and by concurrent claims, what earlier hooks leave in `c.routing` (skip,
 * a follow-up on an existing case, a new case's number in the text).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { FEATURES } from '../../../server/app.js';
import type { Feature } from '../../../server/feature.js';
import { inboundStoreRepo } from '../../../server/db/repos/inbound/store.js';
import { autoReplyFeature } from '../../../server/routing/autoReply/feature.js';

/** Stands in for filters and cases: what they decide is read from the test message's X-Test-Routing header. */
const fakeRouting: Feature = {
  name: 'fake-routing',
  hooks: () => [{
    name: 'fake-routing', when: () => true,
    run: async (c) => {
      const v = /^X-Test-Routing: (.*)$/m.exec(c.raw.toString())?.[1];
      if (v) c.routing = { ...(c.routing ?? {}), ...JSON.parse(v) };
      return undefined;
    },
  }],
};
const features = [...FEATURES.filter((f) => f !== autoReplyFeature), fakeRouting, autoReplyFeature];

void eachDb(t, async (t, tdb) => {
  let now = Date.now();
  const { s } = await buildTestServices(t, tdb, {
    features, clock: { now: () => now },
    overrides: {
      domains: ['ours.example'], worker: { pollMs: 20, leaseMs: 5000, batchSize: 1 },
      mailboxes: [{ address: 'help@ours.example', name: 'Help', autoReply: { subject: '', text: 'Case {Case.number}: {Case.subject}.' } }],
      autoReply: { maxPerSender: 2, periodHours: 1 },
    },
  });
  const k = tdb.db.knex;
  const box = (await s.domains.mailboxes.byAddress('help@ours.example'))!;
  t.match(box, { auto_reply: true, auto_reply_subject: '', auto_reply_body: 'Case {Case.number}: {Case.subject}.' }, 'config as code sets the auto-reply');

  let n = 0;
  const store = async (from: string, extra: string[] = []) => {
    const raw = Buffer.from([`From: ${from}`, 'To: help@ours.example', `Subject: Question ${++n}`, `Message-ID: <q${n}@customer.example>`, ...extra, '', 'Hi', ''].join('\r\n'));
    return (await inboundStoreRepo(tdb.db).insertBatch([{
      listener: 'mx', mail_from: from, rcpt_to: ['help@ours.example'], remote_ip: '127.0.0.1', helo: 'customer', tls: false, credential_id: null, size: raw.length,
      chunks: async function* () { yield raw; }, recipients: [{ address: 'help@ours.example', kind: 'mailbox', mailbox_id: box.id, target_id: null }],
    }], now))[0]!;
  };
  const drain = async () => { while ((await Promise.all([s.inboundPipeline.runOnce('w1'), s.inboundPipeline.runOnce('w2')])).some((x) => x > 0)); };
  const replies = async (to: string) => k('outbound_messages').join('outbound_queue', 'outbound_queue.message_id', 'outbound_messages.id')
    .where({ 'outbound_messages.source': 'auto-reply', 'outbound_queue.recipient': to }).select('outbound_messages.subject', 'outbound_messages.text', 'outbound_messages.headers');

  await t.test('two per sender and period, with two workers taking one message each', async (t) => {
    for (let i = 0; i < 5; i++) await store('ann@customer.example');
    await drain();
    t.equal((await replies('ann@customer.example')).length, 2, 'two of five answered');
    t.equal(Number((await k('auto_replies').where({ sender: 'ann@customer.example' }).count({ n: '*' }))[0].n), 2);
    now += 3_600_000;
    await store('ann@customer.example');
    await drain();
    t.equal((await replies('ann@customer.example')).length, 3, 'answered again in the next period');
  });

  await t.test('concurrent claims for one sender and period: exactly the limit wins', async (t) => {
    const bucket = 424242;
    const got = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      s.autoReply.repo.claim({ mailboxId: box.id, sender: 'race@customer.example', bucket, maxPerPeriod: 2, trigger: `test:${i}`, inboundId: 1000 + i }, now)));
    t.equal(got.filter(Boolean).length, 2);
    t.equal((await s.autoReply.repo.claim({ mailboxId: box.id, sender: 'race@customer.example', bucket, maxPerPeriod: 2, trigger: 'test:0', inboundId: 1000 }, now))?.inbound_id ?? null,
      got[0] ? 1000 : null, 'a trigger that has its reply finds it again');
  });

  await t.test('what earlier hooks decided', async (t) => {
    await store('bo@customer.example', ['X-Test-Routing: {"skip":true}']);
    await store('cy@customer.example', ['X-Test-Routing: {"caseId":99,"caseNumber":7,"caseCreated":false}']);
    await store('di@customer.example', ['X-Test-Routing: {"caseId":100,"caseNumber":8,"caseCreated":true}']);
    await store('di@customer.example', ['X-Test-Routing: {"caseId":100,"caseNumber":8,"caseCreated":true}']);
    await drain();
    t.equal((await replies('bo@customer.example')).length, 0, 'a message a filter skipped is not answered');
    t.equal((await replies('cy@customer.example')).length, 0, 'a follow-up on an existing case is not answered');
    const di = await replies('di@customer.example');
    t.equal(di.length, 1, 'a new case is answered once');
    // Two workers: either of the two messages may be the one answered.
    const q = /^Re: Question (\d+)$/.exec(String(di[0]?.subject))?.[1];
    t.ok(q === String(n - 1) || q === String(n), 'default subject: Re: and the message subject');
    t.equal(di[0]?.text, `Case 8: Question ${q}.`, 'the case number and subject in the text');
    t.match(JSON.parse(di[0].headers), { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'In-Reply-To': `<q${q}@customer.example>` });
  });
});
