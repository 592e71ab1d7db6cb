/*
 * The Postern side of bench/campaign-send.sh: a fresh SQLite database with N contacts (each
 * with an account and a custom attribute; bench/campaign-seed.ts, set-based), one target list,
 * a DKIM key for the From domain, an aligned bounce domain, an upstream account at
 * 127.0.0.1:SINK_PORT (20 connections, no rate limits), a ~4.5 KB HTML template with
 * placeholders, 5 links and a pixel; a mass email expanded and released in full by one run of
 * the send-mass-emails job (pacing: maxPerHour 0, portionSize 100,000). Then the delivery
 * worker runs in this process until every row is sent: personalised (placeholders from the
 * records), opt-out link + List-Unsubscribe (one-click), List-Id, Feedback-ID, VERP return
 * path, DKIM-signed. (Open/click tracking is not implemented yet: links go out as written.)
 * Prints to stdout:
 *   SENT n=… secs=… msgs_per_s=… peak_rss_mb=… rss_mb_by_quarter=a/b/c/d expand_s=… cpu_ms_per_msg=…
 * PROFILE=<file.cpuprofile> records a V8 CPU profile of the drain only (node:inspector).
 * Built by bench/campaign-send.sh into dist/bench/ (esbuild, no TypeScript loader in the measured process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileIfAsked } from './profile.js';
import { loadConfig } from '../server/config.js';
import { createApp } from '../server/app.js';
import { silentLogger } from '../server/log.js';
import { seedAudience } from './campaign-seed.js';

const N = Number(process.env.N ?? 20000), PORT = Number(process.env.SINK_PORT ?? 2529);
const log = (m: string) => process.stderr.write(`${m}\n`);
const dir = mkdtempSync(join(tmpdir(), 'postern-campaign-send-'));
const config = loadConfig({ env: {}, persistSecret: false, overrides: {
  roles: ['worker'], secret: 'bench-secret-0123456789', database: { url: join(dir, 'p.sqlite') }, publicUrl: 'https://postern.bench.example',
  worker: { batchSize: Number(process.env.WORKER_BATCH ?? 200), pollMs: 20, leaseMs: 60_000 }, log: { level: 'warn' },
} });
const app = await createApp(config, { log: silentLogger() });
const s = app.services;
const k = s.ctx.db.knex;
await s.accounts.bootstrap();
const acct = await s.accounts.create({ name: 'sink', host: '127.0.0.1', port: PORT, security: 'none', maxConnections: 20, isDefault: true, ratePerSecond: null, ratePerHour: null, ratePerDay: null });
await s.dkim.generate('bench.example', 'b1');
await s.domains.createDomain({ name: 'bounce.bench.example', kind: 'bounce' });
s.directory.invalidate();
const seeded = await seedAudience(s.ctx.db, s.targetLists, N, { mix: false, clean: true });

const links = Array.from({ length: 5 }, (_, i) => `<p><a href="https://shop.example/item/${i}?utm=news">Item ${i}</a> ${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(10)}</p>`).join('\n');
const html = `<html><body><h1>November news</h1><p>Dear {Person.firstName} {Person.lastName},</p><p>as a {Person.tier} customer of {Account.name} you get early access.</p>\n${links}<img src="https://shop.example/p.gif" alt=""></body></html>`;
const template = await s.templates.create({ name: 'Bench news', subject: '{Person.firstName}, your November news', html } as never);
await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 100_000 });
const campaign = await s.campaigns.createCampaign({ name: 'Bench', type: 'newsletter', targetListIds: seeded.targets }, null);
const me = await s.campaigns.createMassEmail({ campaignId: campaign.id, name: 'Wave', templateId: template.id, accountId: acct.id, fromAddress: 'news@bench.example', fromName: 'Bench News', status: 'pending' }, null);
const t0 = performance.now();
const run = await s.massSender.run();
const expandSecs = (performance.now() - t0) / 1000;
const count = async (state?: string) => Number(((await k('outbound_queue').where({ mass_email_id: me.id, ...(state ? { state } : {}) }).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
const queued = await count('queued');
log(`job run ${JSON.stringify(run)} in ${expandSecs.toFixed(1)} s: ${queued} queued of ${await count()} rows; draining`);
if (queued !== N) log(`WARNING: ${queued} rows queued, expected ${N}`);

let peak = 0, sent = 0;
const quarters = [0, 0, 0, 0];
const rss = setInterval(() => {
  const now = process.memoryUsage().rss;
  peak = Math.max(peak, now);
  const q = Math.min(3, Math.floor((4 * sent) / N));
  quarters[q] = Math.max(quarters[q]!, now);
}, 200);
const stopProfile = await profileIfAsked(500);
// SQLSTATS=1: time every statement of the drain (knex query → query-response; better-sqlite3 is synchronous), by its text.
const sqlStats = new Map<string, { n: number; ms: number }>();
if (process.env.SQLSTATS) {
  const began = new Map<string, number>();
  k.on('query', (q: { __knexQueryUid: string }) => began.set(q.__knexQueryUid, performance.now()));
  k.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
    const t = began.get(q.__knexQueryUid); began.delete(q.__knexQueryUid);
    const key = q.sql.replace(/\(\?(, \?)*\)/g, '(…)').slice(0, 110);
    const e = sqlStats.get(key) ?? sqlStats.set(key, { n: 0, ms: 0 }).get(key)!;
    e.n++; if (t !== undefined) e.ms += performance.now() - t;
  });
}
const cpu0 = process.cpuUsage();
const start = Date.now();
const worker = s.delivery.start();
for (let last = -1, stuck = 0; ;) {
  sent = await count('sent');
  if (sent >= queued) break;
  stuck = sent === last ? stuck + 1 : 0;
  last = sent;
  if (stuck > 120) { log(`stuck at ${sent} sent; states ${JSON.stringify(await k('outbound_queue').where('mass_email_id', me.id).groupBy('state').select('state').count({ n: '*' }))}`); break; }
  await new Promise((r) => setTimeout(r, 250));
}
const secs = (Date.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
await stopProfile();
if (process.env.PROFILE) log(`profile written to ${process.env.PROFILE}`);
clearInterval(rss);
for (const [q, e] of [...sqlStats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) log(`sql ${e.ms.toFixed(0).padStart(6)} ms ${String(e.n).padStart(6)}× ${q}`);
await worker.stop();
await app.stop();
rmSync(dir, { recursive: true, force: true });
const mb = (b: number) => Math.round(b / 1048576);
console.log(`SENT n=${sent} secs=${secs.toFixed(1)} msgs_per_s=${Math.round(sent / secs)} peak_rss_mb=${mb(Math.max(peak, process.resourceUsage().maxRSS * 1024))} `
  + `rss_mb_by_quarter=${quarters.map(mb).join('/')} expand_s=${expandSecs.toFixed(1)} cpu_ms_per_msg=${((cpu.user + cpu.system) / 1000 / Math.max(1, sent)).toFixed(2)}`);
