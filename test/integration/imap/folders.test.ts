/*
 * An account monitoring two folders, on both databases: mail delivered to INBOX and to another
 * folder is fetched from both, each folder with its own UIDVALIDITY and UID cursor; new mail in
 * either (the second found by the periodic check: IDLE watches the first folder) and a restart
 * bring no duplicates.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from './rig.js';

t.test('two folders, two cursors', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const s = await services(t, tdb);
    const user = freshUser();
    await dc.append(user, Array.from({ length: 3 }, (_, i) => ({ raw: mail(i).raw })));
    await dc.doveadm('mailbox', 'create', '-u', user, 'Support');
    await dc.append(user, Array.from({ length: 2 }, (_, i) => ({ raw: mail(10 + i).raw })), 'Support');
    const a = await account(s, dc, user, { folders: ['INBOX', 'Support'] });
    const run1 = await startSync(t, s, { pollMs: 300 });
    await until(t, 'both folders', async () => (await stored(s, a.id)).imported === 5);
    const cursors = async () => Object.fromEntries((await s.imap.sync.folders(a.id)).map((f) => [f.name, { high: f.high_uid, fetched: f.fetched, uidvalidity: f.uidvalidity }]));
    const first = await cursors();
    t.match(first, { INBOX: { high: 3, fetched: 3 }, Support: { high: 2, fetched: 2 } }, 'a cursor per folder');
    t.equal(first.INBOX!.uidvalidity, (await dc.status(user, 'INBOX')).uidvalidity);
    t.equal(first.Support!.uidvalidity, (await dc.status(user, 'Support')).uidvalidity, 'each folder keeps its own UIDVALIDITY');

    const [n1, n2] = [mail(20), mail(21)];
    await dc.deliver(user, n1.raw);
    await dc.deliver(user, n2.raw, 'Support');
    await until(t, 'new mail in both', async () => { const st = await stored(s, a.id); return st.ids.has(n1.messageId) && st.ids.has(n2.messageId); });
    await run1.stop();
    const n3 = mail(22);
    await dc.deliver(user, n3.raw, 'Support');
    await startSync(t, s, { pollMs: 300 });
    await until(t, 'after a restart', async () => (await stored(s, a.id)).ids.has(n3.messageId));
    await new Promise((r) => setTimeout(r, 400));
    const st = await stored(s, a.id);
    t.equal(st.imported, 8);
    t.equal(st.distinct, 8, 'no duplicate');
    t.match(await cursors(), { INBOX: { high: 4, fetched: 4 }, Support: { high: 4, fetched: 4 } }, 'each cursor moved on its own');
  });
});
