/*
 * Migration 012 on every database: step results kept in inbound_steps rows before it are on
 * their message's `steps` column after it, in step order, and the old table is gone.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { migrations } from '../../../migrations/index.js';

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex;
  const at = migrations.findIndex((m) => m.name === '012_inbound_steps_json');
  t.ok(at > 0, 'the migration is listed');
  for (const m of migrations.slice(0, at)) await m.up(k);
  const now = Date.now();
  const msg = (n: number) => ({ state: 'processed', listener: 'mx', mail_from: '', rcpt_to: '[]', received_at: now + n, created_at: now, updated_at: now });
  const [a] = await k('inbound_messages').insert(msg(1));
  const [b] = await k('inbound_messages').insert(msg(2));
  const [c] = await k('inbound_messages').insert(msg(3));
  await k('inbound_steps').insert([
    { message_id: a, step: 'parse', status: 'ok', result: JSON.stringify({ subject: 'x' }), at: 10 },
    { message_id: b, step: 'parse', status: 'ok', result: null, at: 20 },
    { message_id: a, step: 'route', status: 'skipped', result: JSON.stringify({ reason: 'none' }), at: 11 },
  ]);
  await migrations[at]!.up(k);
  const steps = async (id: unknown) => JSON.parse((await k('inbound_messages').where({ id }).first()).steps ?? 'null');
  t.same(await steps(a), [{ step: 'parse', status: 'ok', result: { subject: 'x' }, at: 10 }, { step: 'route', status: 'skipped', result: { reason: 'none' }, at: 11 }]);
  t.same(await steps(b), [{ step: 'parse', status: 'ok', result: null, at: 20 }]);
  t.equal(await steps(c), null, 'a message without steps keeps none');
  t.notOk(await k.schema.hasTable('inbound_steps'), 'the old table is dropped');
  await migrations[at]!.down(k);
  t.ok(await k.schema.hasTable('inbound_steps'), 'down brings the table back');
  t.notOk(await k.schema.hasColumn('inbound_messages', 'steps'), 'and removes the column');
}, { migrate: false });
