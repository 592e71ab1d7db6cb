/*
 * Two service sets ("nodes") on one database take 100 new cases over SMTP at once: round-robin
 * through the team's pointer (moved under a row lock) assigns them exactly fairly, 34/33/33.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const overrides = (nodeId: string) => ({ nodeId, domains: ['ours.example'], worker: { pollMs: 20, leaseMs: 10000, batchSize: 10 } });
  const a = await startTestApp(t, { tdb, roles: ['http', 'smtp', 'worker'], overrides: overrides('node-a') });
  const s = a.app.services;
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const users = [];
  for (const u of ['ann', 'bob', 'cid']) users.push((await s.auth.createUser({ username: u, role: 'agent', password: 'correct horse battery', teamIds: [team] })).id);
  const mb = await (await a.api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', createCases: true, assignment: 'round-robin', teams: [team] }) })).json() as { id: number };
  t.ok(mb.id);
  // Started after the mailbox exists, so its RCPT snapshot knows it.
  const b = await startTestApp(t, { tdb, roles: ['smtp', 'worker'], overrides: overrides('node-b') });
  const transports = [a, b].map((x) => nodemailer.createTransport({ host: '127.0.0.1', port: x.app.services.smtpPorts!.mx!, secure: false, ignoreTLS: true, pool: true, maxConnections: 4 }));
  t.teardown(() => transports.forEach((x) => x.close()));

  const started = Date.now();
  await Promise.all(Array.from({ length: 100 }, (_, i) => transports[i % 2]!.sendMail({
    envelope: { from: `sender${i}@customer.example`, to: ['support@ours.example'] },
    raw: [`From: sender${i}@customer.example`, 'To: support@ours.example', `Subject: Question ${i}`, `Message-ID: <q${i}@customer.example>`, '', 'Hello', ''].join('\r\n'),
  })));
  const k = tdb.db.knex;
  let n = 0;
  for (let i = 0; i < 600 && n < 100; i++) { n = Number((await k('cases').count({ n: '*' }).first())!.n); if (n < 100) await sleep(50); }
  t.equal(n, 100, 'every message opened its case');
  const rows = await k('cases').select('assigned_user_id').count({ n: '*' }).groupBy('assigned_user_id');
  const counts = users.map((u) => Number((rows as Array<Record<string, unknown>>).find((r) => Number(r.assigned_user_id) === u)?.n ?? 0));
  t.same([...counts].sort((x, y) => y - x), [34, 33, 33], `counts ${counts.join('/')}`);
  console.log(`RESULT cases-round-robin db=${tdb.kind} nodes=2 cases=${n} counts=${counts.join('/')} seconds=${((Date.now() - started) / 1000).toFixed(1)}`);
});
