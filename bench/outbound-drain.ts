/*
 * The Postern side of bench/outbound.sh: fills the queue with N campaign-style messages
 * (~5 KB HTML + text, unique recipient each) for an upstream account at 127.0.0.1:PORT with
 * a DKIM key for the From domain, then runs the delivery worker in this process until
 * every row is sent. Prints `DRAINED n=… secs=… msgs_per_s=… peak_rss_mb=… rss_mb_by_quarter=a/b/c/d` to stdout
 * (the peak RSS within each quarter of the drain: flat when memory stays bounded), and on MySQL
 * the server's counters per message over the drain (db_*_per_msg, SHOW GLOBAL STATUS).
 * POSTERN_BENCH_DB_URL: the database (default a SQLite file in a temp dir).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../server/config.js';
import { createApp } from '../server/app.js';
import { silentLogger } from '../server/log.js';
import { uniqueKey } from '../server/db/repos/outbound/queue.js';

const N = Number(process.env.N ?? 20000), PORT = Number(process.env.SINK_PORT ?? 2529);
const dir = mkdtempSync(join(tmpdir(), 'postern-outbench-'));
const config = loadConfig({ env: {}, persistSecret: false, overrides: { roles: ['worker'], secret: 'bench-secret-0123456789', database: { url: process.env.POSTERN_BENCH_DB_URL || join(dir, 'p.sqlite') }, worker: { batchSize: 200, pollMs: 20, leaseMs: 60_000 }, log: { level: 'warn' } } });
const app = await createApp(config, { log: silentLogger() });
const s = app.services;
await s.accounts.bootstrap();
const acct = await s.accounts.create({ name: 'sink', host: '127.0.0.1', port: PORT, security: 'none', maxConnections: 20, isDefault: true });
await s.dkim.generate('bench.example', 'b1');
await s.domains.createDomain({ name: 'bounce.bench.example', kind: 'bounce' });
const links = Array.from({ length: 5 }, (_, i) => `<p><a href="https://shop.example/item/${i}?utm=news">Item ${i}</a> ${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(10)}</p>`).join('\n');
const html = `<html><body><h1>November news</h1>${links}<img src="https://shop.example/p.gif" alt=""></body></html>`;
const k = s.ctx.db.knex;
const now = Date.now();
for (let i = 0; i < N; i += 500) {
  await k.transaction(async (trx) => {
    for (let j = i; j < Math.min(N, i + 500); j++) {
      const [mid] = await trx('outbound_messages').insert({ source: 'test', account_id: acct.id, from_addr: 'news@bench.example', from_name: 'Bench', subject: `News ${j}`, html, text: 'November news', bulk: true, created_at: now, updated_at: now });
      await trx('outbound_queue').insert({ message_id: mid, account_id: acct.id, source: 'test', recipient: `r${j}@sink.example`, unique_key: uniqueKey(`bench:${j}`, `r${j}@sink.example`), state: 'queued', run_at: 0, created_at: now, updated_at: now });
    }
  });
}
process.stderr.write(`queued ${N}; draining\n`);
let peak = 0;
let sent = 0;
const quarters = [0, 0, 0, 0];
const rss = setInterval(() => {
  const now = process.memoryUsage().rss;
  peak = Math.max(peak, now);
  const q = Math.min(3, Math.floor((4 * sent) / N));
  quarters[q] = Math.max(quarters[q]!, now);
}, 200);
const STATUS = { questions: 'Questions', inserts: 'Com_insert', updates: 'Com_update', selects: 'Com_select', commits: 'Com_commit', prepares: 'Com_stmt_prepare', data_fsyncs: 'Innodb_data_fsyncs' };
async function status(): Promise<Record<string, number>> {
  if (s.ctx.db.dialect !== 'mysql') return {};
  const [rows] = (await k.raw(`SHOW GLOBAL STATUS WHERE Variable_name IN (${Object.values(STATUS).map((v) => `'${v}'`).join(', ')})`)) as [Array<{ Variable_name: string; Value: string }>];
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}
const before = await status();
const start = Date.now();
const worker = s.delivery.start();
for (;;) {
  const [{ n }] = (await k('outbound_queue').where({ state: 'sent' }).count({ n: '*' })) as Array<{ n: number }>;
  sent = Number(n);
  if (sent >= N) break;
  await new Promise((r) => setTimeout(r, 250));
}
const secs = (Date.now() - start) / 1000;
const after = await status();
const dbCost = s.ctx.db.dialect === 'mysql' ? ` ${Object.entries(STATUS).map(([name, v]) => `db_${name}_per_msg=${((after[v]! - before[v]!) / N).toFixed(3)}`).join(' ')}` : '';
clearInterval(rss);
await worker.stop();
await app.stop();
const mb = (b: number) => Math.round(b / 1048576);
console.log(`DRAINED n=${N} secs=${secs.toFixed(1)} msgs_per_s=${Math.round(N / secs)} peak_rss_mb=${mb(peak)} rss_mb_by_quarter=${quarters.map(mb).join('/')}${dbCost}`);
