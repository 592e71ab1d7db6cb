/*
 * Submission relay source on every database: a stored submission (as the SMTP listener
 * stores it: inbound_messages listener=submission, inbound_raw, relay recipients) becomes
 * one outbound message with inbound_id and one queue row per envelope recipient; running
 * the step again queues nothing twice; MX mail is never relayed.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { inboundStoreRepo } from '../../../server/db/repos/inbound/store.js';

void eachDb(t, async (t, tdb) => {
  const { app } = await startTestApp(t, { tdb });
  const k = tdb.db.knex;
  const now = Date.now();
  const [typeId] = await k('message_types').insert({ name: 'app-mail', description: '', created_at: now, updated_at: now });
  // The built-in sandbox (default, allows any sender) steps aside: this test is about choosing among its own accounts.
  await k('upstream_accounts').update({ is_default: false, active: false });
  const other = Number((await k('upstream_accounts').insert({ name: 'a-other', kind: 'sandbox', allowed_from: JSON.stringify(['elsewhere.example']), active: true, is_default: true, created_at: now, updated_at: now }))[0]);
  const appAcct = Number((await k('upstream_accounts').insert({ name: 'b-app', kind: 'sandbox', allowed_from: JSON.stringify(['app.example']), message_type_id: typeId, active: true, created_at: now, updated_at: now }))[0]);
  const raw = Buffer.from('From: "Billing" <billing@app.example>\r\nTo: cust@example.com\r\nSubject: =?UTF-8?B?SW52b2ljZSDinJM=?=\r\nX-App: 42\r\nMessage-ID: <m1@app.example>\r\n\r\nYour invoice.\r\n');
  // Stored the way the SMTP listener stores it.
  const store = async (listener: 'mx' | 'submission', rcpts: Array<[string, string]>) => (await inboundStoreRepo(tdb.db).insertBatch([{
    listener, mail_from: 'bounce@app.example', rcpt_to: rcpts.map((r) => r[0]), remote_ip: '127.0.0.1', helo: 'app', tls: false,
    credential_id: listener === 'submission' ? 1 : null, size: raw.length, chunks: async function* () { yield raw.subarray(0, 20); yield raw.subarray(20); },
    recipients: rcpts.map(([address, kind]) => ({ address, kind, mailbox_id: null, target_id: null })),
  }], now))[0]!;
  const relay = app.services.submissionRelay;

  await t.test('a submission becomes one message + a queue row per envelope recipient', async (t) => {
    const id = await store('submission', [['cust@example.com', 'relay'], ['hidden-bcc@example.org', 'relay']]);
    const r = await relay.relay(id);
    t.match(r, { relayed: true, queued: 2, duplicates: 0 });
    if (!r.relayed) return;
    const m = await k('outbound_messages').where({ id: r.messageId }).first();
    t.match(m, { source: 'submission', from_addr: 'billing@app.example', subject: 'Invoice ✓', html: null, text: null });
    t.equal(Number(m.inbound_id), id, 'the delivery core relays the stored raw');
    t.equal(Number(m.account_id), appAcct, 'the account allowed to send as the From domain');
    t.equal(Number(m.message_type_id), Number(typeId), "the account's default message type");
    const rows = await k('outbound_queue').where({ message_id: r.messageId }).orderBy('id');
    t.same(rows.map((x: { recipient: string; source: string; unique_key: string }) => [x.recipient, x.source, x.unique_key]), [
      ['cust@example.com', 'submission', `submission:${id}:cust@example.com`],
      ['hidden-bcc@example.org', 'submission', `submission:${id}:hidden-bcc@example.org`]]);
    const again = await relay.relay(id);
    t.match(again, { relayed: true, queued: 0, duplicates: 2 }, 'a re-run queues nothing twice');
    t.equal(Number((await k('outbound_queue').where('unique_key', 'like', `submission:${id}:%`).count({ n: '*' }))[0]!.n), 2);
  });

  await t.test('parsed fields from the pipeline win; unknown sender domain uses the default account', async (t) => {
    const id = await store('submission', [['x@example.com', 'relay']]);
    await k('inbound_messages').where({ id }).update({ from_addr: 'robot@unknown.example', subject: 'Parsed subject' });
    const r = await relay.relay(id);
    if (!r.relayed) return t.fail('not relayed');
    t.match(await k('outbound_messages').where({ id: r.messageId }).first(), { from_addr: 'robot@unknown.example', subject: 'Parsed subject' });
    t.equal(Number((await k('outbound_messages').where({ id: r.messageId }).first()).account_id), other);
  });

  await t.test('the inbound pipeline hook queues a stored submission once, even when the step runs again', async (t) => {
    app.services.inboundPipeline.resolver = async () => { throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' }); };
    const id = await store('submission', [['piped@example.com', 'relay']]);
    while (await app.services.inboundPipeline.runOnce('test-worker')) { /* drain */ }
    t.equal((await k('inbound_messages').where({ id }).first()).state, 'processed');
    const step = (await app.services.inboundPipeline.repo.steps(id)).find((x) => x.step === 'route');
    t.match(step?.result, { 'submission-relay': { relayed: true, queued: 1 } });
    const rows = await k('outbound_queue').where({ unique_key: `submission:${id}:piped@example.com` });
    t.equal(rows.length, 1);
    t.match(await k('outbound_messages').where({ id: rows[0].message_id }).first(), { source: 'submission', subject: 'Invoice ✓', from_addr: 'billing@app.example' });
    // A crash before the step was recorded runs it again: nothing new is queued.
    t.match(await relay.relay(id), { relayed: true, queued: 0, duplicates: 1 });
  });

  await t.test('MX mail and submissions without relay recipients are not relayed', async (t) => {
    t.match(await relay.relay(await store('mx', [['support@ours.example', 'mailbox']])), { relayed: false, reason: 'not a submission' });
    t.match(await relay.relay(await store('submission', [])), { relayed: false, reason: 'no relay recipients' });
    t.match(await relay.relay(999_999), { relayed: false });
  });
});
