/*
 * Mass email expansion over 1,000,000 members: seeds (bench/campaign-seed.ts, set-based SQL)
 * three target lists of mixed types (600k contacts, 250k leads, 150k accounts; some leads
 * share a contact's address) and two excluding lists (20k leads holding target contacts'
 * addresses, 10k target contacts), opted-out, blocked and list-opted-out addresses, former
 * employees and accounts without an address. Then, through the services: campaign, template,
 * DKIM key, bounce domain, account, a pending mass email (its preflight counts the lists),
 * and one run of the "send-mass-emails" job (services.massSender.run(): start, expansion,
 * release of a 1-row portion). Only that run is timed. Prints one line:
 *   RESULT campaign-expand db=sqlite recipients=<queued rows> skipped=<n> seconds=<s> rows_per_s=<r> peak_rss_mb=<m> …
 * seconds: the job run; expand_s: started_at → expanded_at (the expansion alone, from the row);
 * rows_per_s: members handled (queued + skipped) per second of the run; peak_rss_mb: the
 * process's peak resident set (getrusage; includes the seeding); run_rss_mb: sampled during the run.
 * Knobs: MEMBERS (1000000), DB (sqlite | mysql | mysql://…; POSTERN_BENCH_MYSQL_URL), ANALYZE (0:
 * the planner statistics a production database has — none; 1: ANALYZE after seeding), EXPAND_BATCH,
 * SQLITE_CACHE_MB (an experiment: PRAGMA cache_size; unset = the stock 2 MB). TMPDIR=/dev/shm puts SQLite on tmpfs.
 * Run: `npx tsx bench/campaign-expand.ts` or `DB=mysql npx tsx bench/campaign-expand.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
import { createMassSender } from '../server/campaigns/sender.js';
import { preflightChecker } from '../server/campaigns/checks.js';
import { seedAudience } from './campaign-seed.js';

const N = Number(process.env.MEMBERS ?? process.argv[2] ?? 1_000_000);
const DB = process.env.DB ?? 'sqlite';
const log = (m: string) => process.stderr.write(`${m}\n`);
const mb = (b: number) => Math.round(b / 1048576);
const dir = mkdtempSync(join(tmpdir(), 'postern-expand-'));
let dropSchema: (() => Promise<void>) | null = null;

try {
  let url: string;
  if (DB === 'sqlite') url = join(dir, 'postern.sqlite');
  else {
    const base = new URL(DB.startsWith('mysql') && DB.includes('://') ? DB : process.env.POSTERN_BENCH_MYSQL_URL || process.env.POSTERN_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test');
    const name = `postern_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    const admin = knexFactory({ client: 'mysql2', connection: { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    dropSchema = async () => { await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); await admin.destroy(); };
    base.pathname = `/${name}`;
    url = base.toString();
  }
  const config = loadConfig({ env: {}, persistSecret: false, overrides: { roles: ['worker'], secret: 'bench-secret-0123456789', database: { url }, log: { level: 'warn' } } });
  const db = await openDb(url, { log: silentLogger() });
  await migrateLatest(db.knex);
  // An experiment knob, off by default: SQLite's page cache (stock: 2 MB) for the whole run.
  if (db.dialect === 'sqlite' && process.env.SQLITE_CACHE_MB) await db.knex.raw(`PRAGMA cache_size = -${Number(process.env.SQLITE_CACHE_MB) * 1024}`);
  const ctx = { config, db, log: silentLogger(), clock: systemClock, nodeId: config.nodeId };
  const s = buildServices(ctx, serviceDecls(FEATURES));

  const seeded = await seedAudience(db, s.targetLists, N, { mix: true, analyze: process.env.ANALYZE === '1' });

  await s.domains.createDomain({ name: 'bounce.bench.example', kind: 'bounce' });
  s.directory.invalidate();
  await s.dkim.generate('bench.example', 'b1');
  const account = await s.accounts.create({ name: 'sink', host: '127.0.0.1', port: 2529, security: 'none', maxConnections: 20, ratePerSecond: null, ratePerHour: null, ratePerDay: null });
  const template = await s.templates.create({ name: 'Bench', subject: 'Hello {Person.firstName}', html: '<html><body><p>Dear {Person.name} ({Person.tier}) of {Account.name}</p></body></html>' } as never);
  // A release of 1 row: the run is the expansion (plus the start and one tiny portion).
  await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 1 });
  const campaign = await s.campaigns.createCampaign({ name: 'Bench', type: 'newsletter', targetListIds: seeded.targets, excludingTargetListIds: seeded.excluding }, null);
  const tp = performance.now();
  const me = await s.campaigns.createMassEmail({ campaignId: campaign.id, name: 'Wave', templateId: template.id, accountId: account.id, fromAddress: 'news@bench.example', fromName: 'Bench', status: 'pending' }, null);
  const scheduleSecs = (performance.now() - tp) / 1000;
  // services.massSender as built (its expand batch is the product default); EXPAND_BATCH builds one with another batch size.
  const sender = process.env.EXPAND_BATCH
    ? createMassSender({ ctx, campaigns: s.campaigns, targetLists: s.targetLists, templates: s.templates, accounts: s.accounts, suppressions: s.suppressions,
      preflightOf: preflightChecker({ ctx, accounts: s.accounts, dkim: s.dkim, templates: s.templates, targetLists: s.targetLists, directory: s.directory }) },
    { expandBatch: Number(process.env.EXPAND_BATCH) })
    : s.massSender;

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let runPeak = rssBefore;
  const sampler = setInterval(() => { runPeak = Math.max(runPeak, process.memoryUsage().rss); }, 100);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const run = await sender.run();
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  runPeak = Math.max(runPeak, process.memoryUsage().rss);

  const k = db.knex;
  const row = await k('mass_emails').where('id', me.id).first('started_at', 'expanded_at', 'status');
  const count = async (q: ReturnType<typeof k>) => Number(((await q.count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
  const queued = await count(k('outbound_queue').where('mass_email_id', me.id));
  const skipped = await count(k('mass_email_skips').where('mass_email_id', me.id));
  const byReason = await k('mass_email_skips').where('mass_email_id', me.id).groupBy('reason').select('reason').count({ n: '*' }) as Array<{ reason: string; n: number }>;
  const expandSecs = row?.expanded_at ? (Number(row.expanded_at) - Number(row.started_at)) / 1000 : NaN;
  log(`run ${JSON.stringify(run)} status=${row?.status}; schedule (preflight) ${scheduleSecs.toFixed(2)} s; skipped ${byReason.map((r) => `${r.reason}=${r.n}`).join(' ')}`);
  log(`RSS before the run ${mb(rssBefore)} MB, sampled peak during ${mb(runPeak)} MB; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  if (queued + skipped !== seeded.members) log(`NOTE: queued + skipped = ${queued + skipped}, members ${seeded.members}`);
  await db.close();
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`RESULT campaign-expand db=${db.dialect} recipients=${queued} skipped=${skipped} seconds=${secs.toFixed(1)} rows_per_s=${Math.round((queued + skipped) / secs)} `
    + `peak_rss_mb=${mb(peak)} members=${seeded.members} expand_s=${expandSecs.toFixed(1)} schedule_s=${scheduleSecs.toFixed(2)} run_rss_mb=${mb(runPeak)} `
    + `cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(1)} analyze=${process.env.ANALYZE === '1' ? 1 : 0}${process.env.SQLITE_CACHE_MB ? ` sqlite_cache_mb=${process.env.SQLITE_CACHE_MB}` : ''}${process.env.EXPAND_BATCH ? ` batch=${process.env.EXPAND_BATCH}` : ''}`);
} finally {
  if (dropSchema) await dropSchema();
  rmSync(dir, { recursive: true, force: true });
}
