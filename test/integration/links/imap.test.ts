/*
 * Old mail imported in bulk notifies nobody, on both databases: what a folder holds when an IMAP
 * account's first sync begins is stored with `bulk` set (migration 090), linked to its records and
 * notifying no follower whatever its date; mail that arrives after that notifies, unless it is
 * dated more than `notifications.oldMailHours` before its receipt (moved in from elsewhere).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from '../imap/rig.js';

t.test('IMAP first sync: what was there is linked, not notified; mail after it notifies', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const s = await services(t, tdb);
    await s.domains.createDomain({ name: 'imap.example' });
    await s.domains.createMailbox({ address: 'team@imap.example', name: 'Team' });
    await s.records.bulkUpsert('contact', [{ externalId: 'c-alice', firstName: 'Alice', email: 'alice@remote.example' }]);
    const alice = (await s.records.list('contact', { filter: { email: 'alice@remote.example' } })).items[0]!;
    const fol = await s.auth.createUser({ username: 'fol', role: 'agent', password: 'correct horse battery' });
    await s.follows.follow(fol.id, 'contact', alice.id);

    const user = freshUser();
    const old = mail(1, { date: new Date(Date.now() - 3 * 86_400_000) });
    const recent = mail(2);
    await dc.append(user, [{ raw: old.raw }, { raw: recent.raw }]);
    const acct = await account(s, dc, user, { mailboxAddress: 'team@imap.example' });
    await startSync(t, s);
    await until(t, 'both fetched', async () => (await stored(s, acct.id)).imported === 2);
    const drain = async () => { for (let i = 0; i < 20; i++) if (!(await s.inboundPipeline.runOnce('w1'))) break; };
    await drain();

    const k = s.ctx.db.knex;
    const rowOf = async (mid: string) => (await k('inbound_messages').where({ message_id: mid }).first('id', 'bulk')) as { id: number; bulk: unknown };
    const notified = async () => (await k('notifications').where({ user_id: fol.id }).orderBy('id').select('inbound_id')).map((n: { inbound_id: number }) => Number(n.inbound_id));
    const quiet = async (id: number) => (await s.inboundPipeline.repo.steps(id)).find((x) => x.step === 'route')?.result;
    const [oldRow, recentRow] = [await rowOf(old.messageId), await rowOf(recent.messageId)];
    t.same([Boolean(oldRow.bulk), Boolean(recentRow.bulk)], [true, true], 'the first sync imports in bulk');
    t.same((await s.links.ofMessage(Number(oldRow.id))).map((l) => [l.recordType, l.recordId, l.role]), [['contact', alice.id, 'from']], 'old mail is linked');
    t.same((await s.links.ofMessage(Number(recentRow.id))).map((l) => [l.recordType, l.recordId]), [['contact', alice.id]], 'so is the recent one');
    t.same(await notified(), [], 'neither notifies, whatever its date');
    t.match(await quiet(Number(recentRow.id)), { links: { quiet: 'old-mail' } });

    // After the first sync: new mail notifies; mail dated days ago (moved in) still does not.
    const later = mail(3);
    const moved = mail(4, { date: new Date(Date.now() - 3 * 86_400_000) });
    await dc.append(user, [{ raw: later.raw }, { raw: moved.raw }]);
    await until(t, 'the new mail fetched', async () => (await stored(s, acct.id)).imported === 4);
    await drain();
    const [laterRow, movedRow] = [await rowOf(later.messageId), await rowOf(moved.messageId)];
    t.same([Boolean(laterRow.bulk), Boolean(movedRow.bulk)], [false, false], 'mail after the first sync is not bulk');
    t.same(await notified(), [Number(laterRow.id)], 'only the new message notifies');
    t.match(await quiet(Number(movedRow.id)), { links: { quiet: 'old-mail' } }, 'the one dated days ago is old mail by its date');
  });
});
