/*
 * The first sync's two ways of paging, on both databases: a dense folder pages by UID ranges
 * (no SEARCH; a gap only shortens its page), a sparse one by the UIDs a SEARCH found; either
 * way every message comes in exactly once, also when a node is killed mid-backfill. A restart
 * with nothing new still records the check.
 */
import t, { type Test } from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from './rig.js';

t.test('first-sync paging', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const s = await services(t, tdb);
    const order = async (accountId: number) =>
      (await s.ctx.db.knex('imap_messages').where({ account_id: accountId }).orderBy('id')).map((r: { uid: number | string }) => Number(r.uid));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    /** 30 messages with the UIDs `expunged` removed, synced by a new account until its backfill is done. */
    const backfilled = async (t: Test, expunged: string, opts: { pageSize: number; batchSize: number }) => {
      const user = freshUser();
      await dc.append(user, Array.from({ length: 30 }, (_, i) => ({ raw: mail(i).raw })));
      await dc.doveadm('expunge', '-u', user, 'mailbox', 'INBOX', 'uid', expunged);
      const a = await account(s, dc, user);
      await startSync(t, s, opts);
      await until(t, 'backfill done', async () => Boolean((await s.imap.sync.folder(a.id, 'INBOX'))?.backfill_done));
      return { user, a };
    };

    await t.test('a dense folder with a UID gap pages by UID range, each message once', async (t) => {
      const { user, a } = await backfilled(t, '13:16', { pageSize: 10, batchSize: 4 });
      // 26 of 30 UIDs left: ranges 21:30, 11:20 (the gap leaves 6) and 1:10. A SEARCH's pages of
      // ten UIDs would have been 21–30, then 7–12 with 17–20, then 1–6.
      t.same(await order(a.id), [...range(21, 30), 11, 12, ...range(17, 20), ...range(1, 10)], 'newest range first, the gap skipped, nothing else');
      const st = await stored(s, a.id);
      t.equal(st.imported, 26);
      t.equal(st.distinct, 26, 'none twice');
      t.match(await s.imap.sync.folder(a.id, 'INBOX'), { low_uid: 1, high_uid: 30, fetched: 26, duplicates: 0, failed: 0 });
      const later = mail(99);
      await dc.deliver(user, later.raw);
      await until(t, 'new mail after the first sync', async () => (await stored(s, a.id)).ids.has(later.messageId));
      t.equal((await stored(s, a.id)).imported, 27);
    });

    await t.test('a sparse folder pages by what a SEARCH found', async (t) => {
      const { a } = await backfilled(t, '3:24', { pageSize: 3, batchSize: 2 });
      // 8 of 30 UIDs left (1, 2, 25–30): pages of three found UIDs, newest first. UID ranges of
      // three would have taken ten pages, eight of them empty.
      t.same(await order(a.id), [28, 29, 30, 25, 26, 27, 1, 2]);
      t.equal((await stored(s, a.id)).distinct, 8);
    });

    await t.test('a restart with nothing new fetches nothing and still records the check', async (t) => {
      const user = freshUser();
      await dc.append(user, Array.from({ length: 5 }, (_, i) => ({ raw: mail(i).raw })));
      const a = await account(s, dc, user);
      const run1 = await startSync(t, s);
      await until(t, 'synced', async () => (await s.imap.repo.get(a.id))!.state === 'idle' && (await stored(s, a.id)).imported === 5);
      await run1.stop();
      const before = (await s.imap.sync.folder(a.id, 'INBOX'))!;
      await new Promise((r) => setTimeout(r, 20));
      await startSync(t, s);
      await until(t, 'checked again', async () => ((await s.imap.sync.folder(a.id, 'INBOX'))!.last_sync_at ?? 0) > (before.last_sync_at ?? 0));
      t.match(await s.imap.sync.folder(a.id, 'INBOX'), { fetched: 5, high_uid: 5, backfill_done: true });
      t.equal((await stored(s, a.id)).imported, 5);
    });
    await t.test('a node killed mid-backfill of a dense folder: the next one loses and repeats nothing', async (t) => {
      const user = freshUser();
      await dc.fill(user, Array.from({ length: 400 }, (_, i) => ({ raw: mail(i).raw })));
      const a = await account(s, dc, user);
      const inboundBefore = (await stored(s, a.id)).inbound;
      const opts = { leaseMs: 1500, pageSize: 60, batchSize: 20 };
      await startSync(t, s, opts);
      await until(t, 'a first part', async () => (await stored(s, a.id)).imported >= 100);
      await s.imap.supervisor!.kill();
      const afterKill = await s.imap.sync.folder(a.id, 'INBOX');
      t.ok(!afterKill!.backfill_done, `killed mid-backfill, cursor at ${afterKill!.low_uid}`);
      const b = await services(t, tdb, 'node-b');
      await startSync(t, b, opts);
      await until(t, 'node b finishes', async () => Boolean((await b.imap.sync.folder(a.id, 'INBOX'))?.backfill_done), 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const st = await stored(b, a.id);
      t.equal(st.inbound - inboundBefore, 400, 'one inbound row per message');
      t.equal(st.imported, 400, 'all 400');
      t.equal(st.distinct, 400, 'none twice');
      t.same(await b.imap.sync.outcomes(a.id), { imported: 400 }, 'no duplicate or failed UID either');
      t.same((await order(a.id)).slice().sort((x, y) => x - y), range(1, 400), 'every UID logged once');
    });

  });
});
