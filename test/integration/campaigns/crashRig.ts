/*
 * The campaign crash rig (used by scripts/campaign-crash-test.ts and crash.test.ts): prepares a
 * database with N contacts in a target list, a campaign and a pending mass email whose pacing
 * does not throttle; runs the real `postern serve` (roles worker, scheduler, http) against an
 * upstream in this process that counts what it accepted per recipient; SIGKILLs the server
 * `kills` times while it sends (each kill once the running process has delivered something and
 * the upstream count passed a random mark) and restarts it, until the mass email is complete.
 * Meanwhile it polls the mass email through the API and, whenever it shows `complete`, asks the
 * database whether any of its rows is still held / queued / sending / deferred.
 *
 * One workaround is applied after each kill (and counted as `jobLeasesFreed`): a scheduler job
 * running at the kill keeps its run lease for 10 minutes (RUN_LEASE_MS in
 * server/scheduler/service.ts), so neither the lease sweeper nor "send mass emails" would run
 * again for 10 minutes; the rig frees the leases the killed node held. `freeJobLeases: false`
 * turns that off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../../server/config.js';
import { createApp } from '../../../server/app.js';
import { silentLogger } from '../../../server/log.js';
import { openDb, type Db } from '../../../server/db/connect.js';
import { projectRoot } from '../../../server/paths.js';

export const CRASH_SECRET = 'crash-test-secret-0123456789abcdef';
const OPEN_STATES = ['held', 'queued', 'sending', 'deferred'];
/** IN_FLIGHT_PER_CONNECTION in server/outbound/queue/worker.ts. */
export const LANES_PER_CONNECTION = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const recipientOf = (i: number) => `c${i}@rcpt.example`;

export interface CrashOptions {
  n: number; kills: number;
  /** A SQLite file or a mysql:// URL of an empty schema. */
  dbUrl: string;
  /** Node arguments that run `postern` (before `serve`): ['dist/server/main.js'] or ['--import', 'tsx', 'server/main.ts']. */
  command: string[];
  maxConnections?: number; leaseMs?: number; batchSize?: number; portionSize?: number;
  timeoutMs?: number; freeJobLeases?: boolean; log?: (s: string) => void;
  /** How often the mass email is read through the API (its counts cost the server a scan of the rows). */
  pollMs?: number;
  /**
   * A fault injected while the server is down after the first kill, to show that the checks
   * catch it: 'lose' deletes one open row (a recipient lost), 'resend' puts back sent rows
   * beyond the in-flight bound (re-sent).
   */
  fault?: 'lose' | 'resend';
}

export interface CrashResult {
  recipients: number; deliveredUnique: number; deliveries: number; duplicates: number; missing: number; unexpected: number;
  kills: number; lanes: number; inFlightBound: number; status: string; counts: Record<string, unknown> | null; seconds: number;
  /** Each time the API showed `complete` while the database still had an open row. */
  completeWhileOpen: Array<{ at: number; open: Record<string, number> }>;
  deliveriesAfterComplete: number; jobLeasesFreed: string[]; timedOut: boolean; serverLogs: string;
}

/** An upstream that accepts everything and counts acceptances per recipient (no bodies kept). */
export async function startCountingUpstream() {
  const perRecipient = new Map<string, number>();
  let total = 0;
  const server = new SMTPServer({
    disableReverseLookup: true, logger: false, authOptional: true, allowInsecureAuth: true, hideSTARTTLS: true, size: 0,
    onData(stream, session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        // Counted when the upstream accepts (what the worker cannot take back once the 250 is sent).
        for (const r of session.envelope.rcptTo) { const a = r.address.toLowerCase(); perRecipient.set(a, (perRecipient.get(a) ?? 0) + 1); total++; }
        cb(null, `OK queued as U${total}`);
      });
    },
  });
  server.on('error', () => {}); // connections cut by the kills
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return { port, perRecipient, total: () => total, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export async function prepare(o: CrashOptions, upstreamPort: number, log: (s: string) => void) {
  const config = loadConfig({
    env: {}, persistSecret: false,
    overrides: { roles: ['http'], secret: CRASH_SECRET, adminPassword: 'crash admin password', database: { url: o.dbUrl }, http: { port: 0 }, smtp: { port: 0, submissionPort: 0 }, log: { level: 'silent' } },
  });
  const app = await createApp(config, { log: silentLogger() });
  await app.start();
  try {
    const { key } = await app.services.auth.createApiKey('crash-test', null);
    const base = app.httpAddress()!;
    const ok = async (path: string, method = 'GET', body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const json = res.status === 204 ? null : await res.json();
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
      return json as any;
    };
    await ok('/api/v1/domains', 'POST', { name: 'bounce.crash.example', kind: 'bounce' });
    app.services.directory.invalidate();
    await ok('/api/v1/dkim', 'POST', { domain: 'crash.example' });
    const account = await ok('/api/v1/accounts', 'POST', { name: 'relay', host: '127.0.0.1', port: upstreamPort, security: 'none', maxConnections: o.maxConnections ?? 2 });
    const template = await ok('/api/v1/templates', 'POST', { name: 'Crash', subject: 'Hello {Person.firstName}', html: '<html><body><p>Dear {Person.name},</p><p>news.</p></body></html>' });
    const list = await ok('/api/v1/target-lists', 'POST', { name: 'Everybody' });
    // No throttling: no hourly limit, big portions; the job and the lease sweeper every second.
    await ok('/api/v1/settings/mass-email', 'PATCH', { maxPerHour: 0, portionSize: o.portionSize ?? Math.min(o.n, 10_000) });
    await ok('/api/v1/jobs/send-mass-emails', 'PATCH', { cron: '* * * * * *' });
    await ok('/api/v1/jobs/lease-sweeper', 'PATCH', { cron: '* * * * * *' });

    // N contacts with one address each, members of the list: set-based, 400 rows a statement
    // (knex writes a SQLite multi-row insert as a compound SELECT, limited to 500 terms).
    const t0 = Date.now();
    const k = app.ctx.db.knex;
    const now = Date.now();
    const [{ n: existing }] = (await k('records').count({ n: '*' })) as Array<{ n: number | string }>;
    if (Number(existing)) throw new Error('the database is not empty');
    for (let i = 0; i < o.n; i += 400) {
      const ids = Array.from({ length: Math.min(400, o.n - i) }, (_x, j) => i + j);
      await k.transaction(async (trx) => {
        await trx('records').insert(ids.map((j) => ({ id: j + 1, type: 'contact', external_id: `X${j}`, first_name: `F${j}`, last_name: 'Crash', name: `F${j} Crash`, former_employee: false, created_at: now, updated_at: now })));
        await trx('email_addresses').insert(ids.map((j) => ({ id: j + 1, address: recipientOf(j), domain: 'rcpt.example', opted_out: false, created_at: now, updated_at: now })));
        await trx('record_emails').insert(ids.map((j) => ({ record_id: j + 1, email_id: j + 1, is_primary: true, position: 0 })));
        await trx('target_list_members').insert(ids.map((j) => ({ list_id: list.id, member_type: 'contact', member_id: j + 1, opted_out: false, added_at: now })));
      });
    }
    log(`seeded ${o.n} contacts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const campaign = await ok('/api/v1/campaigns', 'POST', { name: 'Crash', type: 'newsletter', targetListIds: [list.id] });
    const me = await ok('/api/v1/mass-emails', 'POST', {
      campaignId: campaign.id, name: 'Crash wave', templateId: template.id, accountId: account.id, fromAddress: 'news@crash.example', fromName: 'Crash News', status: 'pending',
    });
    return { key, massEmailId: me.id as number };
  } finally {
    await app.stop();
  }
}

export async function runCampaignCrash(o: CrashOptions): Promise<CrashResult> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'postern-campaign-crash-'));
  const leaseMs = o.leaseMs ?? 3000;
  const lanes = (o.maxConnections ?? 2) * LANES_PER_CONNECTION;
  const up = await startCountingUpstream();
  const db: Db = await openDb(o.dbUrl, { poolMax: 2 });
  const srv: { p: ChildProcess | null; node: string; gen: number; exited: Promise<unknown> | null } = { p: null, node: '', gen: 0, exited: null };
  const logs: string[] = [];
  try {
    const { key, massEmailId } = await prepare(o, up.port, log);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      worker: { leaseMs, batchSize: o.batchSize ?? 200, pollMs: 50 }, scheduler: { syncMs: 1000 }, shutdownTimeoutMs: 10_000,
    }));
    const httpPort = 20000 + Math.floor(Math.random() * 20000);
    const base = `http://127.0.0.1:${httpPort}`;

    const start = async () => {
      srv.gen++;
      srv.node = `crash-node-${srv.gen}`;
      const logFile = join(dir, `server-${srv.gen}.log`);
      logs.push(logFile);
      const fd = openSync(logFile, 'w');
      const env = {
        ...process.env, POSTERN_CONFIG: join(dir, 'config.json'), POSTERN_DATABASE_URL: o.dbUrl, POSTERN_HTTP_PORT: String(httpPort), POSTERN_ROLES: 'worker,scheduler,http',
        POSTERN_SECRET: CRASH_SECRET, POSTERN_NODE_ID: srv.node, POSTERN_LOG_LEVEL: 'warn',
        // The delivering process itself is what gets kill -9 (a separate worker child would see its
        // parent die and stop gracefully instead).
        POSTERN_WORKER_PROCESS: 'inline',
      };
      const p = spawn(process.execPath, [...o.command, 'serve'], { cwd: projectRoot, env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      srv.p = p;
      srv.exited = new Promise((r) => p.once('exit', r));
      for (let i = 0; i < 600; i++) {
        if (p.exitCode !== null) throw new Error(`postern exited ${p.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
        if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return;
        await sleep(50);
      }
      throw new Error('postern did not answer /healthz in 30 s');
    };
    const openRows = async () => {
      const rows = (await db.knex('outbound_queue').where('mass_email_id', massEmailId).whereIn('state', OPEN_STATES)
        .select('state').count({ n: '*' }).groupBy('state')) as Array<{ state: string; n: number | string }>;
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) as Record<string, number>;
    };

    const started = Date.now();
    const deadline = started + (o.timeoutMs ?? 30 * 60_000);
    await start();
    log(`postern started (${srv.node})`);

    // The watcher: the mass email as the API shows it, checked against the database when complete.
    const completeWhileOpen: CrashResult['completeWhileOpen'] = [];
    let status = 'pending';
    let counts: Record<string, unknown> | null = null;
    let completeAt = 0;
    let deliveredAtComplete = 0;
    let killsDone = 0;
    let killerDone = false;
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        const me = await fetch(`${base}/api/v1/mass-emails/${massEmailId}`, { headers: { authorization: `Bearer ${key}` } })
          .then((r) => (r.ok ? (r.json() as Promise<any>) : null), () => null);
        if (me) {
          status = me.status;
          counts = me.counts ?? counts;
          if (status === 'complete') {
            const open = await openRows();
            if (Object.keys(open).length) { completeWhileOpen.push({ at: Date.now() - started, open }); log(`COMPLETE WHILE OPEN: ${JSON.stringify(open)}`); }
            else if (!completeAt && killerDone) { completeAt = Date.now(); deliveredAtComplete = up.total(); }
          } else if (status === 'failed' || status === 'paused' || status === 'cancelled') {
            log(`mass email ${status}: ${me.statusReason ?? ''}`);
          }
        }
        await sleep(o.pollMs ?? 500);
      }
    })();

    // The killer: each kill once the running process delivered something and the count passed a random mark.
    const marks = Array.from({ length: o.kills }, () => Math.floor(Math.random() * 0.9 * o.n)).sort((a, b) => a - b);
    const jobLeasesFreed: string[] = [];
    let timedOut = false;
    for (const mark of marks) {
      const atStart = up.total();
      while ((up.total() < mark || up.total() <= atStart) && Date.now() < deadline && status !== 'complete') await sleep(10);
      if (Date.now() >= deadline) { timedOut = true; break; }
      await sleep(Math.random() * 300);
      const before = up.total();
      srv.p!.kill('SIGKILL');
      await srv.exited;
      killsDone++;
      const held = (await db.knex('jobs').where({ running_by: srv.node }).select('name')) as Array<{ name: string }>;
      if (o.freeJobLeases !== false && held.length) {
        await db.knex('jobs').where({ running_by: srv.node }).update({ running_by: null, running_until: null });
        jobLeasesFreed.push(...held.map((h) => h.name));
      }
      if (o.fault && killsDone === 1) await injectFault(db, massEmailId, o.fault, o.kills * lanes + 5, log);
      const sending = (await openRows()).sending ?? 0;
      log(`kill ${killsDone} at ${before} delivered (mark ${mark}); rows left in sending: ${sending}${held.length ? `; job leases held: ${held.map((h) => h.name).join(',')}` : ''}`);
      await start();
    }
    killerDone = true;
    while (!completeAt && !timedOut) {
      if (Date.now() >= deadline) timedOut = true;
      await sleep(100);
    }
    // A little longer: nothing may go out once the mass email is complete.
    await sleep(1000);
    stop = true;
    await watcher;
    const seconds = ((completeAt || Date.now()) - started) / 1000;
    srv.p!.kill('SIGTERM');
    await srv.exited;
    srv.p = null;
    // Between two polls too: no row of the mass email may have been sent after it was marked complete.
    const me = (await db.knex('mass_emails').where('id', massEmailId).first('completed_at')) as { completed_at: number | string | null } | undefined;
    const completedAt = Number(me?.completed_at ?? 0);
    const sentAfter = completedAt
      ? Number(((await db.knex('outbound_queue').where('mass_email_id', massEmailId).where('sent_at', '>', completedAt).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)
      : 0;
    if (sentAfter) completeWhileOpen.push({ at: completedAt - started, open: { sent_after_completed_at: sentAfter } });

    let deliveredUnique = 0, duplicates = 0, missing = 0;
    const expected = new Set<string>();
    for (let i = 0; i < o.n; i++) {
      const a = recipientOf(i);
      expected.add(a);
      const c = up.perRecipient.get(a) ?? 0;
      if (c === 0) missing++; else { deliveredUnique++; duplicates += c - 1; }
    }
    const unexpected = [...up.perRecipient.keys()].filter((a) => !expected.has(a)).length;
    const serverLogs = logs.map((f) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } }).join('\n').slice(-20_000);
    return {
      recipients: o.n, deliveredUnique, deliveries: up.total(), duplicates, missing, unexpected, kills: killsDone, lanes, inFlightBound: killsDone * lanes,
      status, counts, seconds, completeWhileOpen, deliveriesAfterComplete: completeAt ? up.total() - deliveredAtComplete : 0, jobLeasesFreed, timedOut, serverLogs,
    };
  } finally {
    if (srv.p && srv.p.exitCode === null) { srv.p.kill('SIGKILL'); await srv.exited; }
    await up.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function injectFault(db: Db, massEmailId: number, fault: 'lose' | 'resend', resend: number, log: (s: string) => void) {
  const states = fault === 'lose' ? OPEN_STATES : ['sent'];
  const ids = ((await db.knex('outbound_queue').where('mass_email_id', massEmailId).whereIn('state', states).orderBy('id').limit(fault === 'lose' ? 1 : resend)
    .select('id')) as Array<{ id: number }>).map((r) => r.id);
  if (fault === 'lose') await db.knex('outbound_queue').whereIn('id', ids).del();
  else await db.knex('outbound_queue').whereIn('id', ids).update({ state: 'queued', run_at: 0, locked_by: null, locked_until: null });
  log(`FAULT ${fault}: ${ids.length} rows`);
}

/** Whether a run meets the requirement; the reasons when it does not. */
export function verdict(r: CrashResult): string[] {
  const bad: string[] = [];
  if (r.timedOut) bad.push('timed out before the mass email completed');
  if (r.missing) bad.push(`${r.missing} recipients never delivered`);
  if (r.unexpected) bad.push(`${r.unexpected} unexpected recipients`);
  if (r.duplicates > r.inFlightBound) bad.push(`${r.duplicates} duplicates exceed the in-flight bound ${r.inFlightBound}`);
  if (r.status !== 'complete') bad.push(`final status ${r.status}`);
  if (r.completeWhileOpen.length) bad.push(`complete shown while rows were open ${r.completeWhileOpen.length} times: ${JSON.stringify(r.completeWhileOpen.slice(0, 3))}`);
  if (r.deliveriesAfterComplete) bad.push(`${r.deliveriesAfterComplete} deliveries after complete`);
  return bad;
}
