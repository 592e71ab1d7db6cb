/*
 * The inbound group commit on a real database: a burst of concurrent commits goes in batches
 * (on MySQL as multi-row INSERTs), and every message comes back with its own id, its raw bytes
 * exact (binary, CRLF, a >1 MiB message in two chunks) and its own recipients; a batch with a
 * bad message still stores its neighbours. Plus the statement grouping it relies on.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { eachDb } from '../../helpers/db.js';
import { createCommitter } from '../../../server/inbound/committer.js';
import { inboundStoreRepo, type NewInbound } from '../../../server/db/repos/inbound/store.js';
import { powerOfTwoGroups } from '../../../server/db/exec.js';

const clock = { now: () => Date.now() };
const msg = (raw: Buffer, i: number, over: Partial<NewInbound> = {}): NewInbound => ({
  listener: 'mx', mail_from: `s${i}@ex.test`, rcpt_to: [`r${i}@in.test`], remote_ip: '127.0.0.1', helo: 'h', tls: false, credential_id: null,
  size: raw.length, chunks: async function* () { for (let o = 0; o < raw.length; o += 1024 * 1024) yield raw.subarray(o, o + 1024 * 1024); },
  recipients: Array.from({ length: 1 + (i % 3) }, (_, k) => ({ address: `r${i}-${k}@in.test`, kind: 'mailbox', mailbox_id: null, target_id: k === 0 ? null : i })),
  ...over,
});

t.test('power-of-two groups cover every row in order, within the row and byte limits', async (t) => {
  for (const n of [0, 1, 2, 3, 13, 64, 65, 200]) {
    const rows = Array.from({ length: n }, (_, i) => i);
    const groups = powerOfTwoGroups(rows);
    t.same(groups.flat(), rows, `n=${n}: all rows, in order`);
    t.ok(groups.every((g) => g.length <= 64 && (g.length & (g.length - 1)) === 0), `n=${n}: each group a power of two ≤ 64`);
  }
  const big = powerOfTwoGroups([3, 3, 3], () => 3 * 1024 * 1024);
  t.same(big, [[3], [3], [3]], 'a group stays within 4 MiB (a lone bigger row goes alone)');
});

t.test('a burst of concurrent commits stores every message exactly, with its own recipients', async (t) => {
  await eachDb(t, async (t, { db }) => {
    const committer = createCommitter(db, clock);
    const repo = inboundStoreRepo(db);
    const raws = Array.from({ length: 150 }, (_, i) => Buffer.concat([Buffer.from(`Subject: m${i}\r\n\r\n`), randomBytes(200 + i * 37), Buffer.from('\r\n.\r\n\0\r')]));
    raws[7] = randomBytes(1024 * 1024 + 5000); // two chunks: stored alone, in the same transaction
    const ids = await Promise.all(raws.map((raw, i) => committer.commit(msg(raw, i))));
    t.equal(new Set(ids).size, raws.length, 'one id each');
    for (const [i, id] of ids.entries()) {
      t.ok((await repo.readRaw(id)).equals(raws[i]!), `message ${i}: raw bytes exact`);
      const row = await repo.get(id);
      t.equal(row.mail_from, `s${i}@ex.test`, `message ${i}: its envelope`);
      t.same((await repo.recipients(id)).map((r) => [r.address, r.target_id]),
        Array.from({ length: 1 + (i % 3) }, (_, k) => [`r${i}-${k}@in.test`, k === 0 ? null : i]), `message ${i}: its recipients`);
    }
    const [{ n }] = await db.knex('inbound_messages').count({ n: '*' }) as Array<{ n: number }>;
    t.equal(Number(n), raws.length, 'nothing else stored');
  });
});

t.test('one bad message fails alone; its batch neighbours are stored', async (t) => {
  await eachDb(t, async (t, { db }) => {
    const committer = createCommitter(db, clock);
    const good = Array.from({ length: 20 }, (_, i) => committer.commit(msg(Buffer.from(`ok ${i}`), i)));
    // A NULL raw chunk breaks inbound_raw's NOT NULL on both databases: its batch fails, then each message is tried alone.
    const bad = committer.commit(msg(Buffer.from('bad'), 99, { chunks: async function* () { yield null as unknown as Buffer; } }));
    const refused = t.rejects(bad, 'the bad message is refused');
    const ids = await Promise.all(good);
    await refused;
    t.equal(new Set(ids).size, 20, 'the others are stored');
    for (const [i, id] of ids.entries()) t.equal((await inboundStoreRepo(db).readRaw(id)).toString(), `ok ${i}`);
  });
});
