/*
 * Migration 087 on every database: the campaign log keeps its rows, ids and first-event keys;
 * the (queue_id, action, at) index is gone; new rows and keys are written as before (ids after
 * the last, a repeated key ignored). On SQLite the log's id has no AUTOINCREMENT left and the
 * key table is WITHOUT ROWID. Down brings the index back.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { migrations } from '../../../migrations/index.js';

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex;
  const at = migrations.findIndex((m) => m.name === '087_tracking_log_writes');
  t.ok(at > 0, 'the migration is listed');
  for (const m of migrations.slice(0, at)) await m.up(k);
  const row = (id: number, queueId: number) => ({ id, campaign_id: 1, mass_email_id: 2, queue_id: queueId, action: 'opened', address: `r${queueId}@x.example`, at: 1000 + id });
  await k('campaign_log').insert([row(5, 10), row(9, 11)]);
  await k('campaign_log_once').insert([{ queue_id: 10, k: 'opened::h' }, { queue_id: 11, k: 'opened::h' }]);
  const indexes = async () => (tdb.kind === 'sqlite'
    ? ((await k.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'campaign_log'")) as Array<{ name: string }>).map((r) => r.name)
    : ((await k.raw('SHOW INDEX FROM campaign_log')) as [Array<{ Key_name: string }>])[0].map((r) => r.Key_name));
  t.ok((await indexes()).includes('campaign_log_queue_idx'), 'the index is there before');

  await migrations[at]!.up(k);
  t.notOk((await indexes()).includes('campaign_log_queue_idx'), 'the queue index is dropped');
  t.ok((await indexes()).includes('campaign_log_mass_idx') && (await indexes()).includes('campaign_log_campaign_idx'), 'the list indexes stay');
  t.same((await k('campaign_log').orderBy('id').select('id', 'queue_id', 'address')).map((r: { id: number; queue_id: number; address: string }) => [Number(r.id), Number(r.queue_id), r.address]),
    [[5, 10, 'r10@x.example'], [9, 11, 'r11@x.example']], 'rows and ids kept');
  const [id] = await k('campaign_log').insert({ ...row(0, 12), id: undefined });
  t.equal(Number(id), 10, 'a new row takes the next id');
  const ins = tdb.kind === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  const fresh = (await k.raw(`${ins} INTO campaign_log_once (queue_id, k) VALUES (?, ?), (?, ?) RETURNING queue_id, k`, [10, 'opened::h', 12, 'opened::h'])) as unknown;
  const freshRows = (tdb.kind === 'sqlite' ? fresh : (fresh as [unknown])[0]) as Array<{ queue_id: number; k: string }>;
  t.same(freshRows.map((r) => [Number(r.queue_id), r.k]), [[12, 'opened::h']], 'a key seen before is ignored, a new one returned');
  t.equal((await k('campaign_log_once').count({ n: '*' }))[0]!.n, 3);
  if (tdb.kind === 'sqlite') {
    const sql = async (name: string) => ((await k.raw('SELECT sql FROM sqlite_master WHERE name = ?', [name])) as Array<{ sql: string }>)[0]!.sql;
    t.notMatch(await sql('campaign_log'), /autoincrement/i, 'no AUTOINCREMENT');
    t.match(await sql('campaign_log_once'), /without rowid/i, 'the key table is WITHOUT ROWID');
  }

  await migrations[at]!.down(k);
  t.ok((await indexes()).includes('campaign_log_queue_idx'), 'down brings the index back');
}, { migrate: false });
