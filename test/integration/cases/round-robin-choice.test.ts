/*
 * The database picks the round-robin assignee in the statement that moves the team's pointer
 * (repo.open): the same choice as nextRoundRobin over the active members (ids with gaps, a member
 * deactivated and another one added mid-way); with no active member the case is unassigned.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { nextRoundRobin } from '../../../server/routing/cases/assignment.js';

void eachDb(t, async (t, tdb) => {
  const { s } = await buildTestServices(t, tdb);
  const k = tdb.db.knex;
  const repo = s.cases.repo;
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const user = async (name: string, teamIds: number[]) => (await s.auth.createUser({ username: name, role: 'agent', password: 'correct horse battery', teamIds })).id;
  // Someone outside the team between the members: the ids have gaps.
  const ann = await user('ann', [team]);
  await user('out1', []);
  const bob = await user('bob', [team]);
  await user('out2', []);
  const cid = await user('cid', [team]);
  let inbound = 0;
  const open = async () => {
    const id = ++inbound;
    await k('inbound_messages').insert({ id, state: 'processing', listener: 'mx', mail_from: 'x@customer.example', rcpt_to: '[]', remote_ip: '192.0.2.1', tls: false, size: 1, received_at: 1, created_at: 1, updated_at: 1 });
    const r = await repo.open({ subject: `q${id}`, status: 'new', mailbox_id: null, team_id: team, assigned_user_id: null, from_addr: 'x@customer.example', inbound_id: id, parent_case_id: null, follow_up_of: null },
      { inboundId: id, rung: 'new', reopened: false, participants: [], messageId: null, mailboxIds: [] }, Date.now(), { roundRobin: { teamId: team } });
    if ('held' in r) throw new Error('held');
    const row = await k('cases').where({ id: r.id }).first('assigned_user_id', 'status');
    t.equal(row.assigned_user_id === null ? null : Number(row.assigned_user_id), r.assigned_user_id, 'the answer is what was stored');
    t.equal(row.status, r.assigned_user_id === null ? 'new' : 'assigned');
    return r.assigned_user_id;
  };
  let members = [ann, bob, cid];
  let last: number | null = null;
  const turns = async (n: number, why: string) => {
    for (let i = 0; i < n; i++) { last = nextRoundRobin(members, last); t.equal(await open(), last, `${why}: turn ${i + 1}`); }
  };
  await turns(4, 'three members');
  await k('users').where({ id: bob }).update({ active: false });
  members = [ann, cid];
  await turns(3, 'bob deactivated');
  const dan = await user('dan', [team]);
  members = [ann, cid, dan];
  await turns(4, 'dan added');
  await k('users').whereIn('id', members).update({ active: false });
  t.equal(await open(), null, 'no active member: unassigned');
  await k('users').where({ id: cid }).update({ active: true });
  t.equal(await open(), cid, 'the only active member again');
});
