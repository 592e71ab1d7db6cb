/*
 * Campaign log reads at scale: a fresh MariaDB database (POSTERN_BENCH_MYSQL_URL, default
 * mysql://root@127.0.0.1:3306/; DB=sqlite for a temp SQLite file) gets ROWS campaign_log rows
 * (default 10,000,000) for one campaign with 10 mass emails, seeded with set-based
 * INSERT … SELECT over a numbers table in chunks of CHUNK rows, plus the campaign_stats counters
 * of those rows (one GROUP BY over the first events). Action mix per 100 log rows: 57 sent,
 * 30 opened (80 % people), 9 clicked (90 % people; links u1, a0, a1), 2 bounced (half hard),
 * 1 opted out / complained (9:1); about half the opens and a third of the clicks are a row's
 * first. Then, through the running app (createApp, HTTP role, in process), the median of RUNS
 * timed requests (after one warm-up) of:
 *   stats_ms          GET /api/v1/campaigns/{id}/stats  (and /mass-emails/{id}/stats: mass_stats_ms)
 *   log_page_ms       GET /api/v1/campaign-log?campaignId=…&action=opened&perPage=50
 *   campaign_page_ms  GET /admin/campaigns/{id}, logged in through the real login form
 * The SENDS = 57 % of ROWS sent rows also get their outbound_queue rows (QUEUE=0 skips them:
 * the campaign page counts them). For the log page and the campaign page, the SQL of one request
 * is printed on stderr with its time, and the EXPLAIN of every SELECT over 20 ms. One line on stdout:
 *   RESULT tracking-log db=mysql rows=10000000 stats_ms=… mass_stats_ms=… log_page_ms=… campaign_page_ms=… seed_s=… queue_rows=…
 * Run: npm run build && node dist/bench/tracking-log.js
 * Knobs: ROWS, CHUNK (1,000,000), RUNS (7), DB=sqlite, QUEUE=0, KEEP_DB=1 (keep the MariaDB database), QUIET=1 (no app error log).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { loadConfig } from '../server/config.js';
import { createApp } from '../server/app.js';
import { silentLogger, createLogger } from '../server/log.js';

const ROWS = Number(process.env.ROWS ?? 10_000_000);
const CHUNK = Math.min(Number(process.env.CHUNK ?? 1_000_000), ROWS);
const RUNS = Number(process.env.RUNS ?? 7);
const sqliteMode = process.env.DB === 'sqlite';
const log = (m: string) => process.stderr.write(`[tracking-log ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const PASSWORD = 'bench-admin-password-123';

let dbUrl: string;
let drop: () => Promise<void>;
if (!sqliteMode) {
  const base = new URL(process.env.POSTERN_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/');
  const name = `postern_bench_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  base.pathname = `/${name}`;
  dbUrl = base.toString();
  drop = async () => { if (process.env.KEEP_DB !== '1') await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); else log(`kept database ${name}`); await admin.destroy(); };
  log(`database ${name}`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'postern-logbench-'));
  dbUrl = join(dir, 'bench.sqlite');
  drop = async () => rmSync(dir, { recursive: true, force: true });
}

const config = loadConfig({ env: {}, persistSecret: false, overrides: {
  roles: ['http'], secret: 'bench-secret-0123456789abcdef', adminPassword: PASSWORD, host: '127.0.0.1',
  database: { url: dbUrl }, http: { port: 0 }, log: { level: 'silent' },
} });
// Errors of the app go to stderr (a 500 of the measured pages shows its cause).
const app = await createApp(config, { log: process.env.QUIET === '1' ? silentLogger() : createLogger('error', { destination: process.stderr }) });
const s = app.services;
const db = s.ctx.db;
const k = db.knex;
const sqlite = db.dialect === 'sqlite';
const cat = (...p: string[]) => (sqlite ? p.join(' || ') : `CONCAT(${p.join(', ')})`);

// ---- seed
const now = Date.now();
const t0 = performance.now();
const [campaignId] = await k('campaigns').insert({ name: 'Bench campaign', type: 'newsletter', status: 'active', created_at: now, updated_at: now });
const cid = Number(campaignId);
const url = await s.tracking.createUrl(cid, { name: 'Pricing', url: 'https://shop.example/pricing' });
const me: number[] = [];
for (let i = 0; i < 10; i++) {
  const [id] = await k('mass_emails').insert({ campaign_id: cid, name: `Wave ${i + 1}`, status: 'complete', from_addr: 'news@bench.example', tracking: true, track_links: true, created_at: now, updated_at: now });
  me.push(Number(id));
}
await k.raw('DROP TABLE IF EXISTS bench_k');
await k.raw('DROP TABLE IF EXISTS bench_seq');
await k.raw('CREATE TABLE bench_k (n INTEGER NOT NULL PRIMARY KEY)');
await k.raw('CREATE TABLE bench_seq (n INTEGER NOT NULL PRIMARY KEY)');
await k.raw(`INSERT INTO bench_k (n) VALUES ${Array.from({ length: 1000 }, (_, j) => `(${j})`).join(',')}`);
await k.raw(`INSERT INTO bench_seq (n) SELECT a.n + b.n * 1000 FROM bench_k a CROSS JOIN bench_k b WHERE b.n < ${Math.ceil(CHUNK / 1000)} AND a.n + b.n * 1000 < ${CHUNK}`);
// Row m (0-based, global): p = m % 100 picks the action; q = the queue row (about 57 log rows per
// 100 are sends, so a row's later events point back at an earlier send); the mass email is q % 10.
const UA = "'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15'";
const seedChunk = async (off: number) => {
  const m = `(n + ${off})`, p = `(${m} % 100)`;
  const q = `(FLOOR(${m} * 57 / 100) + 1)`;
  const action = `CASE WHEN ${p} < 57 THEN 'sent' WHEN ${p} < 87 THEN 'opened' WHEN ${p} < 96 THEN 'clicked' WHEN ${p} < 98 THEN 'bounced' WHEN ${m} % 1000 = 999 THEN 'complained' ELSE 'opted_out' END`;
  const hum = `CASE WHEN ${p} >= 57 AND ${p} < 87 AND ${m} % 5 = 0 THEN 0 WHEN ${p} >= 87 AND ${p} < 96 AND ${m} % 10 = 0 THEN 0 ELSE 1 END`;
  const meCase = `CASE ${q} % 10 ${me.map((id, i) => `WHEN ${i} THEN ${id}`).join(' ')} END`;
  await k.raw(`INSERT INTO campaign_log (campaign_id, mass_email_id, queue_id, action, address, record_type, record_id, link, tracking_url_id, class, rule, human, ip, user_agent, bounce_class, reason, first, at)
    SELECT ${cid}, ${meCase}, ${q}, ${action}, ${cat("'r'", q, "'@d'", `(${q} % 50)`, "'.example'")}, 'contact', ${q},
      CASE WHEN ${p} >= 87 AND ${p} < 96 THEN (CASE ${m} % 3 WHEN 0 THEN 'u${url.id}' WHEN 1 THEN 'a0' ELSE 'a1' END) ELSE '' END,
      CASE WHEN ${p} >= 87 AND ${p} < 96 AND ${m} % 3 = 0 THEN ${url.id} ELSE NULL END,
      CASE WHEN ${p} >= 57 AND ${p} < 96 THEN (CASE WHEN (${hum}) = 1 THEN 'human' ELSE 'apple-proxy' END) ELSE NULL END,
      CASE WHEN ${p} >= 57 AND ${p} < 96 AND (${hum}) = 0 THEN 'apple-ip' ELSE NULL END,
      ${hum},
      CASE WHEN ${p} >= 57 AND ${p} < 96 THEN ${cat("'10.'", `(${m} % 250)`, "'.'", `(${m} % 199)`, "'.7'")} ELSE NULL END,
      CASE WHEN ${p} >= 57 AND ${p} < 96 THEN ${UA} ELSE NULL END,
      CASE WHEN ${p} >= 96 AND ${p} < 98 THEN (CASE WHEN ${m} % 2 = 0 THEN 'hard' ELSE 'soft' END) ELSE NULL END,
      CASE WHEN ${p} >= 96 AND ${p} < 98 THEN 'userunknown' ELSE NULL END,
      CASE WHEN ${p} < 57 OR ${p} >= 96 THEN 1 WHEN ${p} < 87 THEN (CASE WHEN ${m} % 2 = 0 THEN 1 ELSE 0 END) ELSE (CASE WHEN ${m} % 3 = 1 THEN 1 ELSE 0 END) END,
      ${now - ROWS * 10} + ${m} * 10
    FROM bench_seq WHERE n + ${off} < ${ROWS}`);
};
for (let off = 0; off < ROWS; off += CHUNK) {
  const c0 = performance.now();
  await seedChunk(off);
  log(`campaign_log ${Math.min(ROWS, off + CHUNK)}/${ROWS} (${((performance.now() - c0) / 1000).toFixed(1)} s for this chunk)`);
}
// The sent rows themselves (QUEUE=0 skips): one outbound_queue row per send, as the campaign
// page's per-mass-email state counts read them.
const SENDS = Math.floor(ROWS * 57 / 100);
if (process.env.QUEUE !== '0') {
  const [msgId] = await k('outbound_messages').insert({ source: 'campaign', source_id: me[0], from_addr: 'news@bench.example', subject: 'News', html: '<p>News</p>', text: 'News', bulk: true, created_at: now, updated_at: now });
  for (let off = 0; off < SENDS; off += CHUNK) {
    const c0 = performance.now();
    const q = `(n + ${off} + 1)`;
    await k.raw(`INSERT INTO outbound_queue (id, state, run_at, attempts, message_id, source, recipient, unique_key, sent_at, mass_email_id, record_type, record_id, created_at, updated_at)
      SELECT ${q}, CASE WHEN ${q} % 50 = 7 THEN 'failed' WHEN ${q} % 100 = 3 THEN 'suppressed' ELSE 'sent' END, 0, 1, ${msgId}, 'campaign',
        ${cat("'r'", q, "'@d'", `(${q} % 50)`, "'.example'")}, ${cat("'bench:'", q)}, ${now}, CASE ${q} % 10 ${me.map((id, i) => `WHEN ${i} THEN ${id}`).join(' ')} END, 'contact', ${q}, ${now}, ${now}
      FROM bench_seq WHERE n + ${off} < ${SENDS}`);
    log(`outbound_queue ${Math.min(SENDS, off + CHUNK)}/${SENDS} (${((performance.now() - c0) / 1000).toFixed(1)} s for this chunk)`);
  }
}
await k.raw('DROP TABLE bench_seq');
await k.raw('DROP TABLE bench_k');
// The counters the writer would have kept: first events, per mass email and per campaign.
const groups = await k('campaign_log').where({ first: true }).groupBy('mass_email_id', 'action', 'human', 'link', 'bounce_class')
  .select('mass_email_id', 'action', 'human', 'link', 'bounce_class').count({ n: '*' }) as Array<Record<string, unknown>>;
const counts = new Map<string, number>();
for (const g of groups) {
  const human = Boolean(Number(g.human)), a = String(g.action), link = String(g.link ?? '');
  const metrics = a === 'opened' ? [human ? 'opened' : 'opened_machine'] : a === 'clicked' ? (human ? ['clicked', `click:${link}`] : ['clicked_machine', `click_machine:${link}`])
    : a === 'bounced' ? [g.bounce_class === 'hard' ? 'bounced_hard' : 'bounced_soft'] : [a];
  for (const metric of metrics) for (const key of [`m\t${g.mass_email_id}\t${metric}`, `c\t${cid}\t${metric}`]) counts.set(key, (counts.get(key) ?? 0) + Number(g.n));
}
await k('campaign_stats').insert([...counts].map(([key, value]) => { const [scope, id, metric] = key.split('\t'); return { scope, scope_id: Number(id), metric, value }; }));
if (!sqlite) await k.raw('ANALYZE TABLE campaign_log, campaign_stats, outbound_queue');
else await k.raw('ANALYZE');
const seedS = (performance.now() - t0) / 1000;
log(`seeded ${ROWS} log rows + ${counts.size} counters in ${seedS.toFixed(1)} s`);

// ---- measure through the running app
await app.start();
const base = app.httpAddress()!;
const { key } = await s.auth.createApiKey('bench', null);
const cookies = new Map<string, string>();
const keep = (res: Response) => { for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const i = pair!.indexOf('='); cookies.set(pair!.slice(0, i), pair!.slice(i + 1)); } };
const cookie = () => [...cookies].map(([a, b]) => `${a}=${b}`).join('; ');
const loginPage = await fetch(`${base}/admin/login`, { redirect: 'manual' });
keep(loginPage);
const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())?.[1] ?? '';
const login = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'admin', password: PASSWORD, next: '/admin', _csrf: csrf }) });
keep(login);
log(`login: ${login.status} → ${login.headers.get('location')}`);

// Every SQL statement with its time, to show where a slow request spends it.
const started = new Map<string, { sql: string; bindings: unknown[]; t: number }>();
let trace: Array<{ sql: string; bindings: unknown[]; ms: number }> | null = null;
k.on('query', (q: { __knexQueryUid: string; sql: string; bindings: unknown[] }) => { if (trace) started.set(q.__knexQueryUid, { sql: q.sql, bindings: q.bindings ?? [], t: performance.now() }); });
k.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => { const st = started.get(q.__knexQueryUid); if (st && trace) trace.push({ sql: st.sql, bindings: st.bindings, ms: performance.now() - st.t }); started.delete(q.__knexQueryUid); });

async function time(name: string, path: string, headers: Record<string, string>): Promise<number> {
  const once = async () => {
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { redirect: 'manual', headers });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path} → ${res.status} ${body.slice(0, 300)}`);
    return performance.now() - t;
  };
  await once();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  runs.sort((a, b) => a - b);
  const med = runs[Math.floor(runs.length / 2)]!;
  log(`${name}: median ${med.toFixed(1)} ms over ${RUNS} (${runs.map((r) => r.toFixed(0)).join(', ')})`);
  return med;
}
async function explainOf(name: string, path: string, headers: Record<string, string>) {
  trace = [];
  await fetch(`${base}${path}`, { redirect: 'manual', headers }).then((r) => r.text());
  const got = trace;
  trace = null;
  log(`${name}: SQL of one request`);
  for (const q of got) {
    process.stderr.write(`  ${q.ms.toFixed(1).padStart(8)} ms  ${q.sql}  ${JSON.stringify(q.bindings)}\n`);
    if (q.ms > 20 && /^\s*select/i.test(q.sql)) {
      const ex = await k.raw(`EXPLAIN ${q.sql}`, q.bindings as never) as unknown;
      const rows = sqlite ? ex : (ex as unknown[])[0];
      for (const r of rows as Array<Record<string, unknown>>) process.stderr.write(`             EXPLAIN ${JSON.stringify(r)}\n`);
    }
  }
}
const api = { authorization: `Bearer ${key}` };
const ui = { cookie: cookie() };
const statsMs = await time('campaign stats', `/api/v1/campaigns/${cid}/stats`, api);
const massMs = await time('mass email stats', `/api/v1/mass-emails/${me[0]}/stats`, api);
const logPath = `/api/v1/campaign-log?campaignId=${cid}&action=opened&perPage=50`;
const logMs = await time('log page', logPath, api);
await explainOf('log page', logPath, api);
let pageMs: number | string = 'n/a';
if (login.status === 303 || login.status === 302) {
  try {
    pageMs = await time('campaign page', `/admin/campaigns/${cid}`, ui);
    await explainOf('campaign page', `/admin/campaigns/${cid}`, ui);
  } catch (e) { pageMs = 'error'; log(`campaign page failed: ${(e as Error).message.slice(0, 200)}`); }
} else log('login failed: campaign page skipped');
const f = (v: number | string) => (typeof v === 'number' ? v.toFixed(1) : v);
await app.stop();
await drop();
console.log(`RESULT tracking-log db=${sqlite ? 'sqlite' : 'mysql'} rows=${ROWS} stats_ms=${f(statsMs)} mass_stats_ms=${f(massMs)} log_page_ms=${f(logMs)} campaign_page_ms=${f(pageMs)} seed_s=${seedS.toFixed(0)} queue_rows=${process.env.QUEUE === '0' ? 0 : SENDS} runs=${RUNS}`);
