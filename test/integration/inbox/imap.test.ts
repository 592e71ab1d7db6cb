/*
 * Mail fetched over IMAP lands in an inbox like MX mail, on every database: a group IMAP account
 * whose mailbox address is one of our mailboxes stores its messages with listener `imap` and that
 * mailbox as recipient; routed, each becomes one item in that mailbox's Inbox. An account without
 * a mailbox address fills no inbox (the message stays in the message log).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { buildTestServices } from '../../helpers/services.js';
import { ADMIN, FAST, freshUser, stored, until } from '../imap/rig.js';

void eachDb(t, async (t, tdb) => {
  const dc = await startDovecot(t);
  const { s } = await buildTestServices(t, tdb);
  s.inboundPipeline.resolver = async () => { throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' }); };
  await s.domains.createDomain({ name: 'ours.example' });
  const team = await s.domains.createMailbox({ address: 'team@ours.example', name: 'Team' });
  const mapped = freshUser(), loose = freshUser();
  const one = mail(1), two = mail(2);
  await dc.append(mapped, [{ raw: one.raw }]);
  await dc.append(loose, [{ raw: two.raw }]);
  const base = { kind: 'group', host: '127.0.0.1', port: dc.port, security: 'none', password: 'pass', verifyCert: false };
  const ma = await s.imap.create({ ...base, name: 'mapped', username: mapped, mailboxAddress: 'team@ours.example' }, ADMIN);
  const la = await s.imap.create({ ...base, name: 'loose', username: loose }, ADMIN);
  const sync = await s.imap.start(FAST);
  t.teardown(() => sync.stop());

  const k = s.ctx.db.knex;
  const row = async (mid: string) => k('inbound_messages').whereIn('message_id', [mid, `<${mid}>`]).first();
  // The inbound row has its Message-ID once parsed: wait on the sync's own record.
  await until(t, 'both messages stored', async () => (await stored(s, ma.id)).imported === 1 && (await stored(s, la.id)).imported === 1);
  for (let i = 0; i < 20 && (await s.inboundPipeline.runOnce('w1')) > 0; i++);
  const a = await row(one.messageId), b = await row(two.messageId);
  t.match(a, { listener: 'imap', state: 'processed' });
  t.match(b, { listener: 'imap', state: 'processed' });

  const items = await s.inbox.list(ADMIN, { mailboxId: team.id });
  t.equal(items.total, 1);
  t.match(items.items[0], { inbound_id: Number(a.id), mailbox_id: team.id, folder_id: null, read: false, subject: 'message 1', from_addr: 'alice@remote.example' });
  t.same(await s.inbox.ofInbound(ADMIN, Number(b.id)), [], 'no mailbox address: no inbox item');
  // Routing the IMAP message again writes nothing twice.
  await s.inboundPipeline.repo.reprocess(Number(a.id), Date.now());
  for (let i = 0; i < 20 && (await s.inboundPipeline.runOnce('w1')) > 0; i++);
  t.equal((await s.inbox.ofInbound(ADMIN, Number(a.id))).length, 1);
});
