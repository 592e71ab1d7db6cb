/*
 * A group IMAP account routes like an SMTP mailbox, on both databases: its mail is stored as
 * mail to its mailbox address, so that mailbox's settings apply. Mail fetched from an account
 * on a create-cases mailbox opens a case on that mailbox; on a mailbox without, it does not.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from './rig.js';

t.test('group account mail follows its mailbox\'s create-cases setting', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const s = await services(t, tdb);
    await s.domains.createDomain({ name: 'ours.example' });
    const support = await s.domains.createMailbox({ address: 'support@ours.example', name: 'Support', createCases: true });
    await s.domains.createMailbox({ address: 'news@ours.example', name: 'News' });
    const [u1, u2] = [freshUser(), freshUser()];
    const m1 = mail(1), m2 = mail(2);
    await dc.append(u1, [{ raw: m1.raw }]);
    await dc.append(u2, [{ raw: m2.raw }]);
    const cased = await account(s, dc, u1, { mailboxAddress: 'Support@ours.example' });
    const plain = await account(s, dc, u2, { mailboxAddress: 'news@ours.example' });
    t.equal(cased.mailbox_address, 'support@ours.example');
    await startSync(t, s);
    await until(t, 'both fetched', async () => (await stored(s, cased.id)).imported === 1 && (await stored(s, plain.id)).imported === 1);
    for (let i = 0; i < 20; i++) if (!(await s.inboundPipeline.runOnce('w1'))) break;

    const inboundOf = async (id: number) => Number((await s.ctx.db.knex('imap_messages').where({ account_id: id, outcome: 'imported' }).first()).inbound_id);
    const [i1, i2] = [await inboundOf(cased.id), await inboundOf(plain.id)];
    t.same((await s.ctx.db.knex('inbound_recipients').where({ message_id: i1 })).map((r: { mailbox_id: number }) => Number(r.mailbox_id)), [support.id], 'stored as mail to the support mailbox');
    const cases = await s.ctx.db.knex('cases').select('id', 'mailbox_id', 'inbound_id', 'subject');
    t.match(cases, [{ mailbox_id: support.id, inbound_id: i1, subject: 'message 1' }], 'one case, on the support mailbox, from the fetched message');
    t.notOk(cases.some((c: { inbound_id: number }) => Number(c.inbound_id) === i2), 'no case from the account on a mailbox without create cases');
  });
});
