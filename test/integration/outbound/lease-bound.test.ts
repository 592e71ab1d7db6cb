/*
 * A worker never starts a send its lease cannot cover: with a slow upstream and a short
 * lease, the rows it cannot start within half the lease go back to the queue (no attempt
 * used) instead of going out after the sweeper may have handed them to another worker.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { startUpstream } from '../../helpers/upstream.js';

void eachDb(t, async (t, tdb) => {
  const up = await startUpstream({ delayMs: 150 });
  t.teardown(() => up.close());
  const LEASE = 1000;
  const { s } = await buildTestServices(t, tdb, { overrides: { worker: { pollMs: 30, leaseMs: LEASE, batchSize: 60 } } });
  t.teardown(() => s.delivery.close());
  await s.accounts.create({ name: 'slow', host: '127.0.0.1', port: up.port, security: 'none', isDefault: true, allowedFrom: ['ours.example'], maxConnections: 1 });
  const to = Array.from({ length: 60 }, (_, i) => `r${i}@example.org`);
  const r = await s.compose.send({ from: 'news@ours.example', to, subject: 'slow', text: 'x' }, { userId: null });
  t.equal(r.queued, 60);

  const started = Date.now();
  await s.delivery.runOnce();
  const k = tdb.db.knex;
  const rows = await k('outbound_queue').where({ message_id: r.messageId });
  const states = rows.reduce((m: Record<string, number>, x: { state: string }) => ({ ...m, [x.state]: (m[x.state] ?? 0) + 1 }), {});
  t.ok((states.sent ?? 0) > 0, `some rows sent in the pass (${JSON.stringify(states)})`);
  t.ok((states.queued ?? 0) > 0, 'the rest went back to the queue');
  t.equal(states.sending ?? 0, 0, 'none left leased');
  for (const q of rows.filter((x: { state: string }) => x.state === 'queued')) t.equal(Number(q.attempts), 0, 'released rows used no attempt');
  const attempts: Array<{ at: number; duration_ms: number }> = await k('outbound_attempts').select('at', 'duration_ms');
  const lastStart = Math.max(...attempts.map((a) => Number(a.at) - Number(a.duration_ms)));
  t.ok(lastStart - started < LEASE, `no send started after the lease (last start ${lastStart - started} ms after the claim)`);
});
