/*
 * Old mail imported in bulk notifies nobody, on both databases: IMAP's first sync stores the
 * folder's existing mail (nothing marks it as such), so mail fetched over IMAP dated more than
 * `notifications.oldMailHours` before its receipt is linked to its records but notifies no
 * follower; a fresh message fetched in the same sync does notify.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from '../imap/rig.js';

t.test('IMAP first sync: old mail is linked, not notified; fresh mail notifies', async (t) => {
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
    const fresh = mail(2);
    await dc.append(user, [{ raw: old.raw }, { raw: fresh.raw }]);
    const acct = await account(s, dc, user, { mailboxAddress: 'team@imap.example' });
    await startSync(t, s);
    await until(t, 'both fetched', async () => (await stored(s, acct.id)).imported === 2);
    for (let i = 0; i < 20; i++) if (!(await s.inboundPipeline.runOnce('w1'))) break;

    const k = s.ctx.db.knex;
    const idOf = async (mid: string) => Number((await k('inbound_messages').where({ message_id: mid }).first('id')).id);
    const [oldId, freshId] = [await idOf(old.messageId), await idOf(fresh.messageId)];
    t.same((await s.links.ofMessage(oldId)).map((l) => [l.recordType, l.recordId, l.role]), [['contact', alice.id, 'from']], 'old mail is linked');
    t.same((await s.links.ofMessage(freshId)).map((l) => [l.recordType, l.recordId]), [['contact', alice.id]]);
    const notes = await k('notifications').where({ user_id: fol.id }).select('inbound_id');
    t.same(notes.map((n: { inbound_id: number }) => Number(n.inbound_id)), [freshId], 'only the fresh message notifies');
    const steps = await s.inboundPipeline.repo.steps(oldId);
    t.match(steps.find((x) => x.step === 'route')?.result, { links: { quiet: 'old-mail' } });
  });
});
