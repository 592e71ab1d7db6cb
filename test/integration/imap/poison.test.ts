/*
 * A message that cannot be stored, on both databases: the database refuses it (a test trigger
 * on the inbound store), so its batch is retried message by message; it is logged as failed
 * under its UID (kept on the server), reported in the mailer log once, and the account goes
 * on: the rest of its batch, later mail and a restart are unaffected and nothing is stored twice.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from './rig.js';

const REFUSED = 'poison@bad.example';

t.test('a message the store refuses is logged once and skipped', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const s = await services(t, tdb);
    const k = s.ctx.db.knex;
    await k.raw(tdb.kind === 'mysql'
      ? `CREATE TRIGGER imap_test_poison BEFORE INSERT ON inbound_messages FOR EACH ROW BEGIN
           IF NEW.mail_from = '${REFUSED}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test trigger'; END IF; END`
      : `CREATE TRIGGER imap_test_poison BEFORE INSERT ON inbound_messages WHEN NEW.mail_from = '${REFUSED}'
           BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`);
    const user = freshUser();
    const good = Array.from({ length: 12 }, (_, i) => mail(i));
    const poison = `Return-Path: <${REFUSED}>\r\n${mail(99).raw}`;
    await dc.append(user, [...good.slice(0, 6).map((m) => ({ raw: m.raw })), { raw: poison }, ...good.slice(6).map((m) => ({ raw: m.raw }))]);
    const a = await account(s, dc, user);
    const run1 = await startSync(t, s, { batchSize: 5 });
    await until(t, 'synced', async () => (await stored(s, a.id)).imported === 12 && (await s.imap.repo.get(a.id))!.state === 'idle');
    t.same(await s.imap.sync.outcomes(a.id), { imported: 12, failed: 1 }, 'the rest of its batch and the others stored; the poison logged as failed');
    const row = await k('imap_messages').where({ account_id: a.id, outcome: 'failed' }).first();
    t.equal(Number(row.uid), 7, 'under its UID');
    t.match(row.error, /refused by the test trigger/);

    const later = mail(50);
    await dc.deliver(user, later.raw);
    await until(t, 'the account goes on', async () => (await stored(s, a.id)).ids.has(later.messageId));
    await run1.stop();
    await startSync(t, s, { batchSize: 5 });
    await until(t, 'idle after a restart', async () => (await s.imap.repo.get(a.id))!.state === 'idle');
    await s.mailerLog.flush();
    const entries = (await s.mailerLog.list({ source: 'imap' }, { page: 1, perPage: 50 })).items.filter((e) => e.event === 'imap.message_failed');
    t.equal(entries.length, 1, 'reported once');
    t.match(entries[0], { level: 'error', message: /UID 7 could not be stored/, reply: /refused by the test trigger/ });
    const st = await stored(s, a.id);
    t.equal(st.imported, 13);
    t.equal(st.distinct, 13, 'nothing twice');
    t.equal((await s.imap.sync.folders(a.id))[0]!.failed, 1);
  });
});
