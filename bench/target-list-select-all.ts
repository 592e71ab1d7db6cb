/*
 * "Filter then select all" over 1,000,000 records: a fresh SQLite database (or MariaDB with
 * POSTERN_BENCH_MYSQL_URL) gets N contacts, each with one address, half of them at
 * match.example, inserted with set-based SQL; then targetLists.addByFilter adds every contact
 * at match.example with INSERT … SELECT in id-range batches. Prints one line:
 * RESULT target-list-select-all db=sqlite records=1000000 added=500000 secs=<s> peak_rss_mb=<MB> …
 * `peak_rss_mb` is the process's peak resident set (getrusage), `rss_growth_mb` what the fill
 * added over the RSS before it. Run: `npx tsx bench/target-list-select-all.ts [N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { openDb, type Db } from '../server/db/connect.js';
import { migrateLatest } from '../server/db/migrate.js';
import { silentLogger } from '../server/log.js';
import { loadConfig } from '../server/config.js';
import { systemClock, type Ctx } from '../server/context.js';
import { targetListsService } from '../server/targetLists/service.js';

const N = Number(process.argv[2] ?? process.env.RECORDS ?? 1_000_000);
const mysqlUrl = process.env.POSTERN_BENCH_MYSQL_URL ?? '';
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const log = (m: string) => process.stderr.write(`${m}\n`);

let db: Db;
let drop: () => Promise<void>;
if (mysqlUrl) {
  const base = new URL(mysqlUrl);
  const name = `postern_bench_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  base.pathname = `/${name}`;
  db = await openDb(base.toString());
  drop = async () => { await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); await admin.destroy(); };
} else {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-'));
  db = await openDb(join(dir, 'bench.sqlite'));
  drop = async () => rmSync(dir, { recursive: true, force: true });
}
const k = db.knex;
await migrateLatest(k);

// Seed with set-based SQL: a number sequence, then one INSERT … SELECT per table.
const t0 = performance.now();
const now = Date.now();
if (db.dialect === 'sqlite') {
  const seq = `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${N})`;
  await k.raw(`${seq} INSERT INTO records (id, type, external_id, first_name, last_name, name, former_employee, attributes, created_at, updated_at)
    SELECT n, 'contact', 'c' || n, 'First' || n, 'Last' || n, '', 0, '{"tier":"' || CASE n % 2 WHEN 1 THEN 'gold' ELSE 'silver' END || '"}', ${now}, ${now} FROM seq`);
  await k.raw(`${seq} INSERT INTO email_addresses (id, address, domain, opted_out, created_at, updated_at)
    SELECT n, 'c' || n || '@' || CASE n % 2 WHEN 1 THEN 'match' ELSE 'other' END || '.example', CASE n % 2 WHEN 1 THEN 'match.example' ELSE 'other.example' END, 0, ${now}, ${now} FROM seq`);
  await k.raw(`${seq} INSERT INTO record_emails (record_id, email_id, is_primary, position) SELECT n, n, 1, 0 FROM seq`);
} else {
  await k.raw('CREATE TEMPORARY TABLE seq (n INT UNSIGNED PRIMARY KEY)');
  await k.raw('INSERT INTO seq (n) SELECT a.n + b.n * 1000 + 1 FROM (SELECT 0 n' + Array.from({ length: 999 }, (_, i) => ` UNION ALL SELECT ${i + 1}`).join('') + ') a CROSS JOIN (SELECT 0 n' +
    Array.from({ length: Math.ceil(N / 1000) - 1 }, (_, i) => ` UNION ALL SELECT ${i + 1}`).join('') + ') b');
  await k.raw(`DELETE FROM seq WHERE n > ${N}`);
  await k.raw(`INSERT INTO records (id, type, external_id, first_name, last_name, name, former_employee, attributes, created_at, updated_at)
    SELECT n, 'contact', CONCAT('c', n), CONCAT('First', n), CONCAT('Last', n), '', 0, CONCAT('{"tier":"', IF(n % 2 = 1, 'gold', 'silver'), '"}'), ${now}, ${now} FROM seq`);
  await k.raw(`INSERT INTO email_addresses (id, address, domain, opted_out, created_at, updated_at)
    SELECT n, CONCAT('c', n, '@', IF(n % 2 = 1, 'match', 'other'), '.example'), IF(n % 2 = 1, 'match.example', 'other.example'), 0, ${now}, ${now} FROM seq`);
  await k.raw('INSERT INTO record_emails (record_id, email_id, is_primary, position) SELECT n, n, 1, 0 FROM seq');
}
if (db.dialect === 'sqlite') await k.raw('ANALYZE');
log(`seeded ${N} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const config = loadConfig({ env: {}, persistSecret: false, overrides: { secret: 'bench-secret-0123456789abcdef', database: { url: ':memory:' }, log: { level: 'silent' } } });
const ctx: Ctx = { config, db, log: silentLogger(), clock: systemClock, nodeId: 'bench' };
const tl = targetListsService({ ctx });
const list = await tl.create({ name: 'Half' });
const filter = { type: 'contact' as const, emailDomain: 'match.example' };

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let peakSampled = rssBefore;
const t1 = performance.now();
const r = await tl.addByFilter(list.id, filter, {
  onProgress: (p) => {
    peakSampled = Math.max(peakSampled, process.memoryUsage().rss);
    if (p.batches % 5 === 0) log(`checkpoint ${p.checkpoint}/${p.hi}: ${p.added} added`);
  },
});
const secs = (performance.now() - t1) / 1000;
const members = (await tl.counts(list.id)).total;
if (members !== r.added) throw new Error(`members ${members} != added ${r.added}`);
const peak = process.resourceUsage().maxRSS * 1024;
log(`added ${r.added} in ${r.batches} batches, ${secs.toFixed(2)} s; RSS before ${mb(rssBefore)} MB, sampled peak during ${mb(peakSampled)} MB`);
await db.close();
await drop();
console.log(`RESULT target-list-select-all db=${db.dialect} records=${N} added=${r.added} secs=${secs.toFixed(2)} batches=${r.batches} peak_rss_mb=${mb(peak)} rss_growth_mb=${mb(Math.max(0, peakSampled - rssBefore))} rows_per_s=${Math.round(r.added / secs)}`);
