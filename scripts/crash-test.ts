/*
 * Crash test: sends N messages (default 3,000) to a real Postern while killing it with
 * SIGKILL K times (default 5) at random moments and restarting it. Every message that got a
 * 250 must be stored exactly once. Prints one line:
 *   RESULT postern-crash messages=… attempts=… acked=… acked_stored_once=… acked_missing=… acked_duplicated=… unacked_stored=… kills=…
 * and exits 1 if any acknowledged message is missing or duplicated.
 * Run: npm run build && npx tsx scripts/crash-test.ts
 * On MariaDB/MySQL: DB=mysql (POSTERN_BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306) runs it
 * against a throwaway schema it creates and drops (the line then says db=mysql). POSTERN_BENCH_DIST:
 * the compiled tree to run (default dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import nodemailer from 'nodemailer';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { projectRoot } from '../server/paths.js';

const N = Number(process.env.N ?? 3000), KILLS = Number(process.env.KILLS ?? 5), CONC = Number(process.env.CONC ?? 16);
const PORT = Number(process.env.POSTERN_CRASH_PORT ?? 2545);
const dir = mkdtempSync(join(tmpdir(), 'postern-crash-'));
const dbFile = join(dir, 'postern.sqlite');
const onMysql = process.env.DB === 'mysql' || Boolean(process.env.POSTERN_BENCH_MYSQL_URL);
const mysqlBase = new URL(process.env.POSTERN_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
const schema = `postern_crash_${process.pid}_${Date.now() % 100000}`;
const mysqlUrl = new URL(mysqlBase.href); mysqlUrl.pathname = `/${schema}`;
const admin = onMysql ? await mysql.createConnection({ host: mysqlBase.hostname, port: Number(mysqlBase.port || 3306), user: decodeURIComponent(mysqlBase.username) || 'root', password: decodeURIComponent(mysqlBase.password) }) : null;
if (admin) await admin.query(`CREATE DATABASE \`${schema}\` CHARACTER SET utf8mb4`);
writeFileSync(join(dir, 'config.json'), JSON.stringify({ domains: ['crash.test'], mailboxes: [{ address: 'inbox@crash.test', name: 'Crash', catchAll: true }], smtp: { maxConnectionsPerIpPerMinute: 1_000_000 }, log: { level: 'warn' } }));
const env = { ...process.env, POSTERN_CONFIG: join(dir, 'config.json'), POSTERN_DATABASE_URL: onMysql ? mysqlUrl.href : dbFile, POSTERN_SECRET: 'crash-test-secret-0123456789abcdef', POSTERN_SMTP_PORT: String(PORT), POSTERN_SUBMISSION_PORT: String(PORT + 1), POSTERN_ROLES: 'smtp', POSTERN_ADMIN_PASSWORD: 'crash-test-pw' };

const srv: { p: ChildProcess | null } = { p: null };
const up = () => new Promise<boolean>((r) => { const s = connect(PORT, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
async function start() {
  srv.p = spawn(process.execPath, [join(process.env.POSTERN_BENCH_DIST ?? join(projectRoot, 'dist'), 'server/main.js'), 'serve'], { env, stdio: 'ignore' });
  // MySQL: the first start runs the migrations over the network (~7 s here).
  for (let i = 0; i < 1200 && !(await up()); i++) await new Promise((r) => setTimeout(r, 50));
}

// Each attempt carries its own id: an attempt that got a 250 must be stored exactly once.
// Like a real client, a message without a 250 is tried again (a new attempt) until one is acked.
const acked = new Map<string, number>();
let sent = 0, attempts = 0;
async function client(first: number, step: number) {
  for (let i = first; i < N; i += step) {
    sent++;
    for (let a = 0; a < 50; a++) {
      const attempt = `crash-${i}-${a}-${process.pid}@client.test`;
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: PORT, secure: false, ignoreTLS: true, connectionTimeout: 2000, socketTimeout: 5000 });
      attempts++;
      try {
        const info = await t.sendMail({ from: 'load@client.test', to: `r${i}@crash.test`, subject: `m${i}`, text: `${'x'.repeat(5000)}\n`, messageId: `<${attempt}>` });
        const id = Number(/queued as (\d+)/.exec(info.response)?.[1]);
        if (id) { acked.set(attempt, id); t.close(); break; }
      } catch { await new Promise((r) => setTimeout(r, 100)); }
      t.close();
    }
  }
}

await start();
const killer = (async () => {
  for (let k = 0; k < KILLS; k++) {
    await new Promise((r) => setTimeout(r, 500 + Math.random() * 2500));
    srv.p?.kill('SIGKILL');
    await new Promise((r) => srv.p?.once('exit', r));
    await start();
  }
})();
await Promise.all([...Array.from({ length: CONC }, (_, c) => client(c, CONC)), killer]);
srv.p?.kill('SIGTERM');
await new Promise((r) => srv.p?.once('exit', r));

const firstChunks = async (): Promise<Array<{ message_id: number; chunk: Buffer }>> => {
  if (!admin) return new Database(dbFile, { readonly: true }).prepare('SELECT message_id, chunk FROM inbound_raw WHERE seq = 0').all() as Array<{ message_id: number; chunk: Buffer }>;
  const [rows] = await admin.query(`SELECT message_id, SUBSTRING(chunk, 1, 4096) AS chunk FROM \`${schema}\`.inbound_raw WHERE seq = 0`);
  return rows as Array<{ message_id: number; chunk: Buffer }>;
};
const stored = new Map<string, number>();
for (const row of await firstChunks()) {
  const m = /Message-ID: <([^>]+)>/i.exec(row.chunk.subarray(0, 4096).toString());
  if (m) stored.set(m[1]!, (stored.get(m[1]!) ?? 0) + 1);
}
let once = 0, missing = 0, dup = 0;
for (const mid of acked.keys()) { const n = stored.get(mid) ?? 0; if (n === 1) once++; else if (n === 0) missing++; else dup++; }
const unackedStored = [...stored.keys()].filter((m) => !acked.has(m)).length;
if (admin) { await admin.query(`DROP DATABASE \`${schema}\``); await admin.end(); }
console.log(`RESULT postern-crash db=${onMysql ? 'mysql' : 'sqlite'} messages=${sent} attempts=${attempts} acked=${acked.size} acked_stored_once=${once} acked_missing=${missing} acked_duplicated=${dup} unacked_stored=${unackedStored} kills=${KILLS}`);
rmSync(dir, { recursive: true, force: true });
process.exit(missing || dup ? 1 : 0);
