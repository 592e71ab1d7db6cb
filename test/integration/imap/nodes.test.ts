/*
 * Two nodes (two service sets on one database, MariaDB included) never sync one account at
 * once: each account's lease is held by one node, the other takes over when it stops or when
 * a killed node's lease expires, and mail delivered around the takeover is stored once.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from './rig.js';

t.test('two nodes, one connection per account', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const na = await services(t, tdb, 'node-a');
    const nb = await services(t, tdb, 'node-b');
    const users = [freshUser(), freshUser(), freshUser()];
    const accts: Array<{ id: number }> = [];
    for (const u of users) { await dc.append(u, [{ raw: mail(1).raw }]); accts.push(await account(na, dc, u)); }
    const opts = { leaseMs: 1200, tickMs: 100 };
    const runA = await startSync(t, na, opts);
    await startSync(t, nb, opts);
    let overlaps = 0;
    let samples = 0;
    const sample = () => {
      const a = new Set(na.imap.supervisor?.held() ?? []);
      for (const id of nb.imap.supervisor?.held() ?? []) if (a.has(id)) overlaps++;
      samples++;
    };
    const timer = setInterval(sample, 10);
    try {
      await until(t, 'every account synced', async () => (await Promise.all(accts.map((x) => stored(na, x.id)))).every((st) => st.imported === 1));
      const held = () => (na.imap.supervisor?.held().length ?? 0) + (nb.imap.supervisor?.held().length ?? 0);
      t.equal(held(), 3, 'each account held by exactly one node');
      await new Promise((r) => setTimeout(r, 1500));
      // node A crashes: its accounts go to node B once A's leases expire; mail delivered meanwhile comes in once.
      const fromA = na.imap.supervisor!.held();
      await na.imap.supervisor!.kill();
      const late = users.map((u, i) => mail(10 + i));
      await Promise.all(users.map((u, i) => dc.deliver(u, late[i]!.raw)));
      await until(t, 'node B took every account', async () => nb.imap.supervisor!.held().length === 3);
      await until(t, 'late mail in', async () => (await Promise.all(accts.map((x, i) => stored(nb, x.id).then((st) => st.ids.has(late[i]!.messageId))))).every(Boolean));
      t.comment(`node A held ${fromA.length} before it was killed`);
      await runA.stop();
    } finally { clearInterval(timer); }
    t.ok(samples > 100, `${samples} samples`);
    t.equal(overlaps, 0, 'never one account on both nodes');
    for (const x of accts) {
      const st = await stored(nb, x.id);
      t.equal(st.imported, 2);
      t.equal(st.distinct, 2, 'no duplicate');
      t.equal((await nb.imap.repo.get(x.id))!.locked_by, 'node-b');
    }
  });
});
