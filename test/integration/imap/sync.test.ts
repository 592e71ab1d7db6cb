/*
 * IMAP sync against a real Dovecot on both databases: new mail over IDLE within 2 s, a restart
 * resumes without duplicates, a UIDVALIDITY change resyncs without duplicates, mail read
 * elsewhere is still fetched and stays unread, disabling an account stops its sync.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { ADMIN, account, freshUser, services, startSync, stored, until } from './rig.js';

t.test('IMAP sync', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const s = await services(t, tdb);

    await t.test('first sync, then new mail over IDLE within 2 s', async (t) => {
      const user = freshUser();
      const seen = mail(1);
      await dc.append(user, [{ raw: mail(0).raw }, { raw: seen.raw, flags: ['\\Seen'] }, { raw: mail(2).raw }]);
      const a = await account(s, dc, user);
      await startSync(t, s);
      await until(t, 'first sync', async () => (await stored(s, a.id)).imported === 3);
      await until(t, 'idle', async () => (await s.imap.repo.get(a.id))!.state === 'idle');
      const fresh = mail(3);
      const t0 = Date.now();
      await dc.deliver(user, fresh.raw);
      await until(t, 'IDLE delivery', async () => (await stored(s, a.id)).ids.has(fresh.messageId), 5000);
      const took = Date.now() - t0;
      t.ok(took < 2000, `new mail stored ${took} ms after delivery`);
      const flags = await dc.doveadm('fetch', '-u', user, 'flags', 'mailbox', 'INBOX');
      t.equal((flags.match(/\\Seen/g) ?? []).length, 1, 'only the message read elsewhere is \\Seen: fetching set no flag');
      const st = await stored(s, a.id);
      t.equal(st.imported, 4);
      t.equal(st.distinct, 4);
    });

    await t.test('a restart resumes where it stopped, without duplicates', async (t) => {
      const user = freshUser();
      await dc.append(user, Array.from({ length: 20 }, (_, i) => ({ raw: mail(i).raw })));
      const a = await account(s, dc, user);
      const run1 = await startSync(t, s);
      await until(t, 'first run', async () => (await stored(s, a.id)).imported === 20);
      await run1.stop();
      t.equal((await s.imap.repo.get(a.id))!.locked_by, null, 'a clean stop releases the lease');
      await dc.append(user, Array.from({ length: 5 }, (_, i) => ({ raw: mail(100 + i).raw })));
      await startSync(t, s);
      await until(t, 'second run', async () => (await stored(s, a.id)).imported === 25);
      await new Promise((r) => setTimeout(r, 300));
      const st = await stored(s, a.id);
      t.equal(st.imported, 25);
      t.equal(st.distinct, 25, 'no message twice');
      const [f] = await s.imap.sync.folders(a.id);
      t.match(f, { name: 'INBOX', fetched: 25, duplicates: 0, failed: 0 }, 'the second run fetched only the 5 new UIDs');
    });

    await t.test('a UIDVALIDITY change resyncs without importing anything twice', async (t) => {
      const user = freshUser();
      await dc.append(user, Array.from({ length: 10 }, (_, i) => ({ raw: mail(i).raw })));
      const a = await account(s, dc, user);
      const run1 = await startSync(t, s);
      await until(t, 'first run', async () => (await stored(s, a.id)).imported === 10);
      await run1.stop();
      const before = (await s.imap.sync.folders(a.id))[0]!.uidvalidity;
      await dc.doveadm('mailbox', 'update', '-u', user, '--uid-validity', '12345', 'INBOX');
      await dc.append(user, [{ raw: mail(50).raw }, { raw: mail(51).raw }]);
      await startSync(t, s);
      await until(t, 'resync', async () => (await s.imap.sync.folders(a.id))[0]!.uidvalidity === '12345' && (await stored(s, a.id)).imported === 12);
      await until(t, 'resync done', async () => (await s.imap.sync.outcomes(a.id)).duplicate === 10);
      t.not(before, '12345');
      const st = await stored(s, a.id);
      t.equal(st.imported, 12, 'the two new messages only');
      t.equal(st.distinct, 12);
      t.same(await s.imap.sync.outcomes(a.id), { imported: 12, duplicate: 10 }, 'the 10 old ones were recognised by Message-ID and content');
    });

    await t.test('the first sync goes newest first, in pages, up to the age limit', async (t) => {
      const user = freshUser();
      const old = new Date(Date.now() - 400 * 86_400_000);
      const aged = Array.from({ length: 3 }, (_, i) => ({ raw: mail(i, { date: old }).raw, date: old }));
      await dc.append(user, [...aged, ...Array.from({ length: 7 }, (_, i) => ({ raw: mail(10 + i).raw }))]);
      const a = await account(s, dc, user, { maxAgeDays: 30 });
      await startSync(t, s, { pageSize: 3, batchSize: 2 });
      await until(t, 'young mail in', async () => (await stored(s, a.id)).imported === 7);
      await until(t, 'backfill done', async () => Boolean((await s.imap.sync.folder(a.id, 'INBOX'))?.backfill_done));
      const order = (await s.ctx.db.knex('imap_messages').where({ account_id: a.id }).orderBy('id')).map((r: { uid: number | string }) => Number(r.uid));
      t.same(order, [8, 9, 10, 5, 6, 7, 4], 'pages of 3, newest page first (a page comes in UID order); the three older than 30 days stay on the server');
      const later = mail(99);
      await dc.deliver(user, later.raw);
      await until(t, 'new mail after the first sync', async () => (await stored(s, a.id)).ids.has(later.messageId));
    });

    await t.test('disabling an account stops its sync; enabling resumes it', async (t) => {
      const user = freshUser();
      await dc.append(user, [{ raw: mail(1).raw }]);
      const a = await account(s, dc, user);
      await startSync(t, s);
      await until(t, 'synced', async () => (await stored(s, a.id)).imported === 1);
      await s.imap.setSync(a.id, false, ADMIN);
      await until(t, 'stopped', async () => !s.imap.supervisor!.held().includes(a.id) && (await s.imap.repo.get(a.id))!.state === 'disabled');
      const m = mail(2);
      await dc.deliver(user, m.raw);
      await new Promise((r) => setTimeout(r, 1500));
      t.equal((await stored(s, a.id)).imported, 1, 'nothing fetched while disabled');
      t.equal((await s.imap.repo.get(a.id))!.locked_by, null, 'no node holds it');
      await s.imap.setSync(a.id, true, ADMIN);
      await until(t, 'resumed', async () => (await stored(s, a.id)).ids.has(m.messageId));
      t.equal((await stored(s, a.id)).imported, 2);
    });
  });
});
