/*
 * Joining a message to a case (repo.attach), on every database: the message's rows are written
 * once, and the case's status and time change only when its row is new; attaching the same
 * message again (a re-run that raced the check before it) leaves a case closed since closed.
 * Opening a case with no threading read before it (repo.open `direct`) finds the case the message
 * joined on an earlier run, and takes the new case's records from the holders it read.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';

void eachDb(t, async (t, tdb) => {
  const { s } = await buildTestServices(t, tdb);
  const k = tdb.db.knex;
  const repo = s.cases.repo;
  let inbound = 0;
  const message = async () => {
    const id = ++inbound;
    await k('inbound_messages').insert({ id, state: 'processing', listener: 'mx', mail_from: 'x@customer.example', rcpt_to: '[]', remote_ip: '192.0.2.1', tls: false, size: 1, received_at: 1, created_at: 1, updated_at: 1 });
    return id;
  };
  const newCase = (id: number) => ({ subject: `q${id}`, status: 'new' as const, mailbox_id: null, team_id: null, assigned_user_id: null, from_addr: 'x@customer.example', inbound_id: id, parent_case_id: null, follow_up_of: null });
  const joined = (id: number, rung = 'new') => ({ inboundId: id, rung, reopened: false, participants: ['x@customer.example'], messageId: `m${id}@customer.example`, mailboxIds: [] });
  const caseRow = async (id: number) => k('cases').where({ id }).first('status', 'closed_at', 'updated_at');

  const m1 = await message();
  const opened = await repo.open(newCase(m1), joined(m1), 1000);
  if (!('id' in opened)) throw new Error('not opened');
  await k('cases').where({ id: opened.id }).update({ status: 'closed', closed_at: 1500 });

  await t.test('a new message reopens the closed case, once', async (t) => {
    const m2 = await message();
    await repo.attach(opened.id, { ...joined(m2, 'references'), reopened: true }, { reopen: true, wake: true }, 2000);
    t.match(await caseRow(opened.id), { status: 'new', closed_at: null });
    t.equal(Number((await caseRow(opened.id)).updated_at), 2000);
    t.same((await k('case_messages').where({ inbound_id: m2 }).select('case_id', 'rung')).map((r) => [Number(r.case_id), r.rung]), [[opened.id, 'references']]);
    await k('cases').where({ id: opened.id }).update({ status: 'closed', closed_at: 2500 });
    await repo.attach(opened.id, { ...joined(m2, 'references'), reopened: true }, { reopen: true, wake: true }, 3000);
    t.match(await caseRow(opened.id), { status: 'closed' }, 'the same message again: the case stays closed');
    t.equal(Number((await caseRow(opened.id)).closed_at), 2500);
    t.equal(Number((await caseRow(opened.id)).updated_at), 2000, 'nor is its time changed');
    t.equal((await k('case_messages').where({ inbound_id: m2 })).length, 1);
  });

  await t.test('a message that only joins touches the time, once', async (t) => {
    await k('cases').where({ id: opened.id }).update({ status: 'assigned', closed_at: null });
    const m3 = await message();
    await repo.attach(opened.id, joined(m3, 'references'), { reopen: false, wake: false }, 4000);
    t.equal(Number((await caseRow(opened.id)).updated_at), 4000);
    await repo.attach(opened.id, joined(m3, 'references'), { reopen: false, wake: false }, 5000);
    t.equal(Number((await caseRow(opened.id)).updated_at), 4000, 'again: unchanged');
  });

  await t.test('direct: the case joined before is found; the records come from the holders read', async (t) => {
    const m3 = inbound; // joined the case above, by reference
    const records = (hs: unknown[]) => { seen.push(hs.length); return { contact_id: null }; };
    const seen: number[] = [];
    const again = await repo.open(newCase(m3), joined(m3), 6000, { direct: { holdersOf: ['x@customer.example'], records } });
    t.same(again, { joined: { case_id: opened.id, rung: 'references' }, holders: [] });
    t.same(seen, [], 'nothing opened: no records asked for');
    const agent = await s.auth.createUser({ username: 'ann', email: 'Ann@Ours.example', role: 'agent', password: 'correct horse battery' });
    const m4 = await message();
    const fresh = await repo.open(newCase(m4), joined(m4), 7000, { direct: { holdersOf: ['ann@ours.example', 'x@customer.example'], records } });
    t.match(fresh, { created: true, holders: [{ type: 'user', id: agent.id, address: 'ann@ours.example' }] });
    t.same(seen, [1]);
  });
});
