/*
 * Campaign crash test: a mass email to N recipients (default 100,000) sent by the real
 * `postern serve` (roles worker, scheduler, http; built in dist/) to an upstream in this
 * process that counts acceptances per recipient, while the server is killed with SIGKILL
 * KILLS times (default 5) at random moments of the send and restarted. The mass email must
 * lose no recipient, send again at most what was in flight at each kill (the worker's lanes:
 * maxConnections × 4), and never show `complete` while one of its rows is held, queued,
 * sending or deferred (checked in the database whenever the API shows `complete`). Prints:
 *   RESULT campaign-crash recipients=… delivered_unique=… duplicates=… missing=… kills=… in_flight_bound=… status=… seconds=…
 * and exits 1 when a recipient is missing, duplicates exceed the bound, or the status lied.
 * Database: a SQLite file in a temp dir, or POSTERN_DATABASE_URL=mysql://… (a throwaway schema
 * is created on that server and dropped afterwards). Other knobs: MAX_CONNECTIONS (4),
 * LEASE_MS (3000), BATCH (200), POLL_MS (500), FREE_JOB_LEASES=0 (see test/integration/campaigns/crashRig.ts).
 * Run: npm run build && npx tsx scripts/campaign-crash-test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { isMysqlUrl } from '../server/config.js';
import { runCampaignCrash, verdict } from '../test/integration/campaigns/crashRig.js';

const N = Number(process.env.N ?? 100_000), KILLS = Number(process.env.KILLS ?? 5);
const given = process.env.POSTERN_DATABASE_URL ?? '';
let url: string;
let drop: () => Promise<void>;
if (isMysqlUrl(given)) {
  const u = new URL(given);
  const name = `postern_crash_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  u.pathname = `/${name}`;
  url = u.toString();
  drop = async () => { await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); await admin.destroy(); };
} else {
  const dir = mkdtempSync(join(tmpdir(), 'postern-campaign-crash-db-'));
  url = join(dir, 'postern.sqlite');
  drop = async () => rmSync(dir, { recursive: true, force: true });
}

const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${s}\n`);
let code = 1;
try {
  const r = await runCampaignCrash({
    n: N, kills: KILLS, dbUrl: url, command: ['dist/server/main.js'], log,
    maxConnections: Number(process.env.MAX_CONNECTIONS ?? 4), leaseMs: Number(process.env.LEASE_MS ?? 3000), batchSize: Number(process.env.BATCH ?? 200),
    freeJobLeases: process.env.FREE_JOB_LEASES !== '0', pollMs: Number(process.env.POLL_MS ?? 500), timeoutMs: Number(process.env.TIMEOUT_MS ?? 60 * 60_000),
  });
  const bad = verdict(r);
  log(`deliveries=${r.deliveries} counts=${JSON.stringify(r.counts)} job_leases_freed=${r.jobLeasesFreed.join(',') || 'none'} complete_while_open=${r.completeWhileOpen.length}`);
  for (const b of bad) log(`FAIL: ${b}`);
  if (bad.length) log(`server logs (tail):\n${r.serverLogs.slice(-4000)}`);
  console.log(`RESULT campaign-crash db=${isMysqlUrl(url) ? 'mysql' : 'sqlite'} recipients=${r.recipients} delivered_unique=${r.deliveredUnique} duplicates=${r.duplicates} missing=${r.missing} `
    + `kills=${r.kills} in_flight_bound=${r.inFlightBound} status=${r.status} seconds=${r.seconds.toFixed(1)}`);
  code = bad.length ? 1 : 0;
} catch (e) {
  log(`error: ${String((e as Error).stack ?? e).slice(0, 3000)}`);
} finally {
  await drop();
}
process.exit(code);
