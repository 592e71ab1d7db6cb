/*
 * The lossless sync under every fault at once, on both databases: 500 messages of which 50
 * were read elsewhere, a gap in the UIDs, one poison message, a node killed mid-batch and a
 * UIDVALIDITY change while the next node syncs end as exactly 500 stored, none twice, and
 * the 50 stay the only ones \Seen. The pipeline then processes every one (the poison kept).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startDovecot, mail } from '../../helpers/dovecot.js';
import { account, freshUser, services, startSync, stored, until } from './rig.js';

const POISON = 'this is no mail message \u00ff\u00fe at all, without headers or Message-ID ))) \r\n';

t.test('500 messages through every fault, exactly once', async (t) => {
  const dc = await startDovecot(t);
  await eachDb(t, async (t, tdb) => {
    const t0 = Date.now();
    const lap = (what: string) => t.comment(`${what}: ${Date.now() - t0} ms`);
    const user = freshUser();
    const ids = new Set<string>();
    const batch = (from: number, n: number, seen = 0) => Array.from({ length: n }, (_, i) => {
      const m = mail(from + i, { tag: 'big' });
      ids.add(m.messageId);
      return { raw: m.raw, flags: i < seen ? ['\\Seen'] : [] };
    });
    await dc.fill(user, batch(0, 200, 50));
    await dc.doveadm('mailbox', 'update', '-u', user, '--min-next-uid', '1000', 'INBOX');
    await dc.fill(user, [...batch(200, 150), { raw: POISON }]);
    lap('appended');
    const a1 = await services(t, tdb, 'node-1');
    const acct = await account(a1, dc, user);
    const opts = { leaseMs: 1500, batchSize: 20, pageSize: 60 };
    await startSync(t, a1, opts);
    await until(t, 'a first part', async () => (await stored(a1, acct.id)).imported >= 100);
    await a1.imap.supervisor!.kill();
    const afterKill = (await stored(a1, acct.id)).imported;
    t.ok(afterKill < 351, `killed mid-run with ${afterKill} stored`);

    lap('killed');
    const b = await services(t, tdb, 'node-2');
    await startSync(t, b, opts);
    await until(t, 'node 2 takes over after the lease expires', async () => (await stored(b, acct.id)).imported > afterKill + 20);
    lap('taken over');
    await dc.doveadm('mailbox', 'update', '-u', user, '--uid-validity', '777', 'INBOX');
    await dc.fill(user, batch(400, 149));
    await until(t, 'all 500', async () => (await stored(b, acct.id)).imported >= 500, 30_000);
    await until(t, 'resynced', async () => (await b.imap.sync.folders(acct.id))[0]!.uidvalidity === '777' && (await b.imap.repo.get(acct.id))!.state === 'idle');
    lap('all synced');
    await new Promise((r) => setTimeout(r, 500));
    const st = await stored(b, acct.id);
    t.equal(st.inbound, 500, 'exactly 500 in the inbound store');
    t.equal(st.imported, 500);
    t.equal(st.distinct, 500, 'no message twice (499 Message-IDs and the poison)');
    t.ok([...ids].every((id) => st.ids.has(id)), 'every message is there');
    const flags = await dc.doveadm('fetch', '-u', user, 'flags', 'mailbox', 'INBOX');
    t.equal((flags.match(/\\Seen/g) ?? []).length, 50, 'the 50 read elsewhere, and no other, are \\Seen');
    t.equal((await b.imap.repo.get(acct.id))!.locked_by, 'node-2');

    // The pipeline takes them all, the poison included, and loses none.
    for (let i = 0; i < 200; i++) if (!(await b.inboundPipeline.runOnce('w1'))) break;
    lap('processed');
    const k = b.ctx.db.knex;
    const states = (await k('inbound_messages').groupBy('state').select('state').count({ n: '*' })) as Array<{ state: string; n: number | string }>;
    t.equal(states.reduce((n, r) => n + Number(r.n), 0), 500, 'still 500 after processing');
    t.notOk(states.some((r) => r.state === 'received'), `all processed: ${JSON.stringify(states)}`);
    // The poison is the one the pipeline could not process: kept (failed) and in the mailer log once.
    const failed = await k('inbound_messages').where({ state: 'failed' }).select('id');
    t.equal(failed.length, 1, 'one unprocessable message, kept');
    await b.mailerLog.flush();
    const logged = (await b.mailerLog.list({ source: 'inbound' }, { page: 1, perPage: 50 })).items.filter((e) => e.event === 'inbound.failed');
    t.match(logged, [{ level: 'error', inbound_id: Number(failed[0].id) }], 'reported in the mailer log once');
  });
});
