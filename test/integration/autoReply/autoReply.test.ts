/*
 * Auto-reply end to end over real sockets on every database: mail into the MX, the pipeline's
 * route hook, the outbound queue, a loopback upstream. One reply per message even to two of our
 * mailboxes or as two deliveries, with RFC 3834 headers and threading, from the mailbox over the
 * VERP return path; none to auto-repliers, lists, bulk mail, the null sender or MAILER-DAEMON;
 * one per sender and period; the mailbox API's `autoReply` field.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { autoReplyRig, sleep } from './rig.js';
import { stepsOf } from '../../../server/db/repos/inbound/pipeline.js';

const AR = { subject: 'We got it: {Message.subject}', text: 'Hello {Person.name} <{Person.email}>,\nthe {Mailbox.name} team will answer soon. {Case.number}' };

void eachDb(t, async (t, tdb) => {
  const r = await autoReplyRig(t, tdb);
  const { api, json, inject, settle, outcome, up } = r;

  // The mailbox API field: {subject, text} or null; a reply without a text is refused.
  const support = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', autoReply: AR }) }));
  t.same(support.autoReply, AR, 'created with an auto-reply');
  t.notOk('autoReplySubject' in support, 'one field, not three');
  const sales = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'sales@ours.example', name: 'Sales', autoReply: { subject: 'Sales got it', text: 'Thanks' } }) }));
  const quiet = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'quiet@ours.example', name: 'Quiet' }) }));
  t.equal(quiet.autoReply, null);
  t.equal((await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'x@ours.example', autoReply: { subject: 'S', text: '' } }) })).status, 400);
  const off = await json(api(`/api/v1/mailboxes/${sales.id}`, { method: 'PATCH', body: JSON.stringify({ autoReply: null }) }));
  t.equal(off.autoReply, null, 'turned off');
  const on = await json(api(`/api/v1/mailboxes/${sales.id}`, { method: 'PATCH', body: JSON.stringify({ autoReply: { subject: 'Sales got it', text: 'Thanks' } }) }));
  t.same(on.autoReply, { subject: 'Sales got it', text: 'Thanks' }, 'and on again');
  t.same((await json(api(`/api/v1/mailboxes?q=support`))).items[0].autoReply, AR, 'the list shows it too');
  r.app.services.directory.invalidate();

  const msg = (from: string, to: string, mid: string, extra: string[] = [], subject = 'Order 7 is late') =>
    [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: <${mid}>`, 'Date: Sat, 05 Dec 2026 10:00:00 +0000', ...extra];

  // One SMTP transaction to two of our mailboxes, then the same message delivered again to one of them.
  await inject({ from: 'ann@customer.example', to: ['support@ours.example', 'sales@ours.example'] },
    msg('"Ann Lee" <ann@customer.example>', 'support@ours.example, sales@ours.example', 'm1@customer.example', ['References: <m0@customer.example>']));
  t.ok(await settle(), 'settled');
  await inject({ from: 'ann@customer.example', to: ['sales@ours.example'] }, msg('"Ann Lee" <ann@customer.example>', 'sales@ours.example', 'm1@customer.example'));
  // A second message from Ann within the period; the mailbox without an auto-reply.
  await inject({ from: 'ann@customer.example', to: ['support@ours.example'] }, msg('ann@customer.example', 'support@ours.example', 'm2@customer.example'));
  await inject({ from: 'zed@customer.example', to: ['quiet@ours.example'] }, msg('zed@customer.example', 'quiet@ours.example', 'q1@customer.example'));
  // The guards.
  await inject({ from: 'bob@customer.example', to: ['support@ours.example'] }, msg('bob@customer.example', 'support@ours.example', 'g1@customer.example', ['Auto-Submitted: auto-replied'], 'Out: Order 7'));
  await inject({ from: 'carol@customer.example', to: ['support@ours.example'] }, msg('carol@customer.example', 'support@ours.example', 'g2@customer.example', ['List-Id: <users.lists.example>']));
  await inject({ from: 'dave@customer.example', to: ['support@ours.example'] }, msg('dave@customer.example', 'support@ours.example', 'g3@customer.example', ['Precedence: bulk']));
  await inject({ from: '', to: ['support@ours.example'] }, msg('eve@customer.example', 'support@ours.example', 'g4@customer.example'));
  await inject({ from: 'MAILER-DAEMON@mx.customer.example', to: ['support@ours.example'] }, msg('Mail System <MAILER-DAEMON@mx.customer.example>', 'support@ours.example', 'g5@customer.example'));
  await inject({ from: 'frank@customer.example', to: ['support@ours.example'] }, msg('frank@customer.example', 'support@ours.example', 'g6@customer.example', ['X-Auto-Response-Suppress: All']));
  await inject({ from: 'gina@ours.example', to: ['support@ours.example'] }, msg('gina@ours.example', 'support@ours.example', 'g7@customer.example'));
  // A positive control after the guarded ones.
  await inject({ from: 'hal@customer.example', to: ['support@ours.example'] }, msg('Hal <hal@customer.example>', 'support@ours.example', 'p1@customer.example'));
  t.ok(await settle(), 'settled');
  await sleep(200);

  const to = up.received.map((m) => m.to.join(','));
  t.same(to.sort(), ['ann@customer.example', 'hal@customer.example'], 'exactly two replies: Ann once, Hal once');
  const ann = up.received.find((m) => m.to[0] === 'ann@customer.example')!;
  const raw = ann.raw.toString();
  t.match(raw, /^Auto-Submitted: auto-replied\r?$/m, 'Auto-Submitted: auto-replied');
  t.match(raw, /^X-Auto-Response-Suppress: All\r?$/m, 'X-Auto-Response-Suppress: All');
  t.match(raw, /^In-Reply-To: <m1@customer\.example>\r?$/m, 'In-Reply-To the message');
  t.match(raw, /^References: <m0@customer\.example> <m1@customer\.example>\r?$/m, 'References: the thread and the message');
  t.match(raw, /^From: Support <support@ours\.example>\r?$/m, 'from the first recipient mailbox');
  t.match(raw, /^Subject: We got it: Order 7 is late\r?$/m, 'subject rendered');
  t.match(raw, /Hello Ann Lee <ann@customer\.example>,\r?\nthe Support team will answer soon\. \r?\n/, 'text rendered, no case: empty');
  t.match(ann.from, /^b-[a-z2-7]+@bounce\.ours\.example$/, 'the envelope sender is our VERP return path (bounces of replies are processed)');

  t.match(await outcome('m1@customer.example'), [{ sent: true, mailboxId: support.id }, { sent: false, reason: 'duplicate' }], 'the second delivery of m1 is a duplicate');
  t.match(await outcome('m2@customer.example'), [{ sent: false, reason: 'limit' }], 'one per sender and period');
  t.same(await outcome('q1@customer.example'), [undefined], 'a mailbox without an auto-reply: the hook records nothing');
  for (const [mid, reason] of [['g1', 'auto-submitted'], ['g2', 'list'], ['g3', 'bulk'], ['g4', 'null-sender'], ['g5', 'daemon'], ['g6', 'suppress-header'], ['g7', 'own-address']]) {
    t.match(await outcome(`${mid}@customer.example`), [{ sent: false, reason }], `not sent: ${reason}`);
  }

  // A re-run of the route step (crash before its result was written) queues nothing twice.
  const [row] = await tdb.db.knex('inbound_messages').where({ message_id: 'p1@customer.example' }).select('id');
  const steps = stepsOf((await tdb.db.knex('inbound_messages').where({ id: row.id }).first('steps')).steps).filter((x) => x.step !== 'route');
  await tdb.db.knex('inbound_messages').where({ id: row.id }).update({ steps: JSON.stringify(steps), state: 'received', run_at: 0 });
  t.ok(await settle(), 'settled');
  await sleep(200);
  t.equal(up.received.length, 2, 'still two replies after the re-run');
  t.match(await outcome('p1@customer.example'), [{ sent: true, duplicate: true }]);
});
