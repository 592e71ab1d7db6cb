/*
 * Records CSV import benchmark: writes a ROWS-row contacts CSV to a temp dir (streamed to
 * disk: externalId, first/last name, email, title, phone, formerEmployee, an account among
 * ACCOUNTS by external id, one custom attribute), then imports it through the same path as
 * `postern import records` (recordsCsv.importFile → bulkUpsert in batches) into a fresh
 * database: SQLite on disk by default, or with DB=mysql (POSTERN_BENCH_MYSQL_URL or
 * POSTERN_TEST_MYSQL_URL, or DB=mysql://…) a throwaway MariaDB schema, dropped after.
 * Peak RSS is the importing process's VmHWM (the file is written by a child process). Prints:
 *   RESULT records-import db=sqlite rows=1000000 rows_per_s=… peak_rss_mb=… secs=… cpu_secs=… rows_per_cpu_s=… base_rss_mb=… …
 * (CPU seconds: steadier than wall time on a shared box; base_rss_mb: before the first row, the loaded app.)
 * Knobs: ROWS (1000000), ACCOUNTS (20000), BATCH (2500), DB (sqlite | mysql | mysql://…), SQLITE_CACHE_MB
 * (an experiment: PRAGMA cache_size for the import; unset = the stock 2 MB).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { loadConfig } from '../server/config.js';
import { openDb } from '../server/db/connect.js';
import { migrateLatest } from '../server/db/migrate.js';
import { buildServices } from '../server/services.js';
import { serviceDecls } from '../server/feature.js';
import { FEATURES } from '../server/app.js';
import { silentLogger } from '../server/log.js';
import { systemClock } from '../server/context.js';
import { importRecordsCsv } from '../server/records/import.js';
import { createReadStream, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 20_000);
const BATCH = Number(process.env.BATCH ?? 2500);
const DB = process.env.DB ?? 'sqlite';
const log = (s: string) => process.stderr.write(`[bench records-import ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const vmHwmMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 1048576);
};

/** Writes the CSV, streamed to disk with back-pressure (run in a child process: its garbage is not the import's RSS). */
async function generate(csvPath: string) {
  const out = createWriteStream(csvPath, { highWaterMark: 1 << 20 });
  const FIRST = ['Ann', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gus', 'Hana', 'Ivo', 'Jo', 'Kai', 'Lea'];
  const LAST = ['Lee', 'Ng', 'Smith', 'Müller', 'García', 'Rossi', 'Dubois', 'Novak', "O'Brien", 'Kim'];
  const TITLES = ['CEO', 'CTO', 'Engineer', 'Sales, EMEA', 'Buyer', ''];
  const IND = ['Retail', 'Energy', 'Health', 'Finance', 'Public'];
  out.write('externalId,first_name,last_name,email,title,phone,former_employee,account_external_id,industry\n');
  for (let i = 0; i < ROWS; i++) {
    const f = FIRST[i % FIRST.length]!, l = LAST[(i >> 3) % LAST.length]!, title = TITLES[i % TITLES.length]!;
    const line = `c${i},${f},${l},${f.toLowerCase()}.${i}@example${i % 97}.com,${title.includes(',') ? `"${title}"` : title},`
      + `+1 555 ${String(i % 10000).padStart(4, '0')},${i % 50 === 0 ? 'yes' : 'no'},a${i % ACCOUNTS},${IND[i % IND.length]}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

if (process.argv[2] === '--generate') {
  await generate(process.argv[3]!);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'postern-records-bench-'));
let dropSchema: (() => Promise<void>) | null = null;
try {
  // 1. The file, by a child process.
  const csvPath = join(dir, 'contacts.csv');
  const g0 = performance.now();
  const gen = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--generate', csvPath], { stdio: 'inherit' });
  const [code] = (await once(gen, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`generating the CSV failed (${code})`);
  const genSecs = (performance.now() - g0) / 1000;
  const size = statSync(csvPath).size;
  log(`generated ${ROWS} rows, ${Math.round(size / 1048576)} MB in ${genSecs.toFixed(1)} s; rss ${vmHwmMb()} MB so far`);

  // 2. A fresh database.
  let url: string, kind: 'sqlite' | 'mysql';
  if (DB === 'sqlite') { url = join(dir, 'postern.sqlite'); kind = 'sqlite'; } else {
    const base = new URL(DB.startsWith('mysql') && DB.includes('://') ? DB : process.env.POSTERN_BENCH_MYSQL_URL || process.env.POSTERN_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test');
    const name = `postern_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    const admin = knexFactory({ client: 'mysql2', connection: { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    dropSchema = async () => { await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); await admin.destroy(); };
    base.pathname = `/${name}`;
    url = base.toString();
    kind = 'mysql';
  }
  const config = loadConfig({ env: {}, persistSecret: false, overrides: { roles: ['worker'], secret: 'bench-secret-0123456789', database: { url }, log: { level: 'warn' } } });
  const db = await openDb(url, { log: silentLogger() });
  await migrateLatest(db.knex);
  // An experiment knob, off by default: SQLite's page cache (stock: 2 MB) for the import.
  if (kind === 'sqlite' && process.env.SQLITE_CACHE_MB) await db.knex.raw(`PRAGMA cache_size = -${Number(process.env.SQLITE_CACHE_MB) * 1024}`);
  const s = buildServices({ config, db, log: silentLogger(), clock: systemClock, nodeId: config.nodeId }, serviceDecls(FEATURES));

  // 3. The import (the CLI's path, with a batch-size knob).
  let lastLog = 0;
  const baseRss = Math.round(process.memoryUsage().rss / 1048576);
  const cpu0 = process.cpuUsage();
  const sum = await importRecordsCsv(createReadStream(csvPath, { highWaterMark: 256 * 1024 }), (t, items, o) => s.records.bulkUpsert(t, items, o), {
    type: 'contact', batchSize: BATCH, totalBytes: size,
    onProgress: (p) => {
      if (p.rows - lastLog >= 100_000) {
        lastLog = p.rows;
        const m = process.memoryUsage(), mb = (n: number) => Math.round(n / 1048576);
        log(`${p.rows} rows, rss ${mb(m.rss)} MB (heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB), peak ${vmHwmMb()} MB`);
      }
    },
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const n = Number((await db.knex('records').where({ type: 'contact' }).count({ n: '*' }))[0]!.n);
  await db.close();
  if (n !== ROWS - sum.failed) log(`WARNING: ${n} contact rows in the database, expected ${ROWS - sum.failed}`);
  if (sum.errors.length) log(`first errors: ${JSON.stringify(sum.errors.slice(0, 3))}`);
  console.log(`RESULT records-import db=${kind} rows=${sum.rows} rows_per_s=${Math.round(sum.rows / sum.secs)} peak_rss_mb=${vmHwmMb()} `
    + `secs=${sum.secs.toFixed(1)} cpu_secs=${cpuSecs.toFixed(1)} rows_per_cpu_s=${Math.round(sum.rows / cpuSecs)} base_rss_mb=${baseRss} `
    + `created=${sum.created} failed=${sum.failed} gen_secs=${genSecs.toFixed(1)} batch=${BATCH}${process.env.SQLITE_CACHE_MB ? ` sqlite_cache_mb=${process.env.SQLITE_CACHE_MB}` : ''}`);
} finally {
  if (dropSchema) await dropSchema();
  rmSync(dir, { recursive: true, force: true });
}
