/*
 * The real command as a user runs it: `postern serve` on a fresh SQLite file prints the
 * admin URL and a first password, serves /healthz and the login page, the printed password
 * signs in, --roles limits what runs, and SIGTERM stops it cleanly with exit code 0. With a
 * listener role the worker runs in a child process at nice 10 that is restarted when it dies,
 * stops with the parent and by itself when the parent is killed.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { UiClient } from '../helpers/session.js';
import { projectRoot } from '../../server/paths.js';
import { openDb } from '../../server/db/connect.js';
import { RawSmtp } from '../helpers/smtp-client.js';

const port = () => 20000 + Math.floor(Math.random() * 20000);

function startServe(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', 'serve', ...args], {
    cwd: projectRoot, env: { ...process.env, POSTERN_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${out}`)), 30_000);
    child.stdout.on('data', () => { if (/Postern is running/.test(out) && /password|account/.test(out)) { clearTimeout(timer); resolve(out); } });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${out}`)); });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

const portOpen = (p: number) => new Promise<boolean>((resolve) => {
  const s = createConnection({ host: '127.0.0.1', port: p });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

t.test('serve prints the admin login, serves health and login, stops on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const http = port();
  const smtp = port();
  const env = { POSTERN_DATABASE_URL: join(dir, 'p.sqlite'), POSTERN_HTTP_PORT: String(http), POSTERN_SMTP_PORT: String(smtp), POSTERN_SUBMISSION_PORT: String(smtp + 1) };
  const srv = startServe(env, ['--roles', 'http,scheduler']);
  t.teardown(() => { srv.child.kill('SIGKILL'); });
  const out = await srv.ready;
  t.match(out, `Admin UI: http://127.0.0.1:${http}/admin`);
  const pw = /password: (\S+)/.exec(out)?.[1];
  t.ok(pw, 'a first admin password is printed');

  const base = `http://127.0.0.1:${http}`;
  const health = await fetch(`${base}/healthz`);
  t.equal(health.status, 200);
  t.equal(((await health.json()) as { status: string }).status, 'ok');
  const ui = new UiClient(base);
  const login = await ui.get('/admin/login');
  t.equal(login.res.status, 200);
  t.match(login.html, /<form[^>]+action="\/admin\/login"/);
  const res = await ui.login('admin', pw!);
  t.equal(res.res.status, 303, 'the printed password signs in');
  const dash = await ui.get('/admin');
  t.equal(dash.res.status, 200);
  t.match(dash.html, /Dashboard/);
  t.notOk(await portOpen(smtp), '--roles http,scheduler opens no SMTP port');

  srv.child.kill('SIGTERM');
  t.equal(await srv.exited, 0, 'SIGTERM stops it with exit code 0');

  // A second start on the same database prints no new password.
  const again = startServe(env, ['--roles', 'http']);
  t.teardown(() => { again.child.kill('SIGKILL'); });
  const out2 = await again.ready;
  t.notMatch(out2, /password: /, 'the password is shown only on the first start');
  const ui2 = new UiClient(base);
  t.equal((await ui2.login('admin', pw!)).res.status, 303, 'and it still works');
  again.child.kill('SIGINT');
  t.equal(await again.exited, 0, 'SIGINT stops it too');
});

t.test('a bad setting exits non-zero naming the field, before any port opens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const srv = startServe({ POSTERN_DATABASE_URL: join(dir, 'p.sqlite'), POSTERN_HTTP_PORT: 'abc' });
  await t.rejects(srv.ready);
  t.not(await srv.exited, 0);
  t.match(srv.output(), /http\.port/);
  t.match(srv.output(), /POSTERN_HTTP_PORT/);
});

const children = (pid: number) => {
  try { return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number); } catch { return []; }
};
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
async function until<T>(what: string, f: () => T | Promise<T>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('every role: worker and scheduler run in a child process at nice 10, is restarted if it dies and stops with the parent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const http = port();
  const smtp = port();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ domains: ['split.test'], mailboxes: [{ address: 'desk@split.test', name: 'Desk' }] }));
  const dbFile = join(dir, 'p.sqlite');
  const env = { POSTERN_CONFIG: join(dir, 'config.json'), POSTERN_DATABASE_URL: dbFile, POSTERN_HTTP_PORT: String(http), POSTERN_SMTP_PORT: String(smtp), POSTERN_SUBMISSION_PORT: String(smtp + 1) };
  const srv = startServe(env);
  let pids: number[] = [];
  t.teardown(() => { srv.child.kill('SIGKILL'); for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL'); });
  const out = await srv.ready;
  const shown = /roles: smtp, http; worker, scheduler in process (\d+) at nice 10\)/.exec(out);
  t.ok(shown, `the banner names the worker process: ${out.split('\n')[0]}`);
  const first = Number(shown?.[1]);
  t.same(children(srv.child.pid!), [first], 'it is this process\'s child');
  pids = [first];
  const niced = Math.min(19, getPriority(srv.child.pid!) + 10);
  t.equal(getPriority(first), niced, 'at nice 10 below the listener');
  t.equal((out.match(/Postern is running/g) ?? []).length, 1, 'one banner: the child prints none');

  const db = await openDb(dbFile);
  t.teardown(() => db.close());
  const send = async (subject: string) => {
    const { c } = await RawSmtp.open(smtp);
    await c.cmd('EHLO client.test');
    t.equal((await c.cmd('MAIL FROM:<ann@customer.test>')).code, 250);
    t.equal((await c.cmd('RCPT TO:<desk@split.test>')).code, 250);
    t.equal((await c.cmd('DATA')).code, 354);
    const r = await c.cmd(`From: ann@customer.test\r\nTo: desk@split.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@customer.test>\r\n\r\nHello.\r\n.`);
    t.equal(r.code, 250, `${subject} accepted`);
    c.close();
  };
  const processed = (subject: string) => until(`${subject} processed`, async () => {
    const row = await db.knex('inbound_messages').where({ subject }).first('state');
    return row?.state === 'processed' ? row : null;
  });
  await send('split-one');
  await processed('split-one');
  t.pass('the child process parsed the message the parent accepted');

  process.kill(first, 'SIGKILL');
  const second = await until('a new worker process', () => children(srv.child.pid!).find((p) => p !== first) ?? 0);
  pids.push(second);
  t.equal(getPriority(second), niced, 'the restarted worker is at nice 10 too');
  await send('split-two');
  await processed('split-two');
  t.pass('the restarted worker parses the next message');

  srv.child.kill('SIGTERM');
  t.equal(await srv.exited, 0, 'SIGTERM stops the parent with exit code 0');
  t.notOk(alive(second), 'and its worker process with it');
});

t.test('the worker process stops by itself when its parent is killed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const http = port();
  const smtp = port();
  const srv = startServe({ POSTERN_DATABASE_URL: join(dir, 'p.sqlite'), POSTERN_HTTP_PORT: String(http), POSTERN_SMTP_PORT: String(smtp), POSTERN_SUBMISSION_PORT: String(smtp + 1) }, ['--roles', 'http,worker']);
  const out = await srv.ready;
  const pid = Number(/; worker in process (\d+)/.exec(out)?.[1]);
  t.ok(pid > 0 && alive(pid), 'a worker process runs');
  t.teardown(() => { if (alive(pid)) process.kill(pid, 'SIGKILL'); });
  srv.child.kill('SIGKILL');
  await srv.exited;
  await until('the orphaned worker to stop', () => !alive(pid));
  t.pass('it stopped');
});

t.test('worker.process=inline keeps every role in one process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const http = port();
  const smtp = port();
  const srv = startServe({ POSTERN_DATABASE_URL: join(dir, 'p.sqlite'), POSTERN_HTTP_PORT: String(http), POSTERN_SMTP_PORT: String(smtp), POSTERN_SUBMISSION_PORT: String(smtp + 1), POSTERN_WORKER_PROCESS: 'inline' });
  t.teardown(() => { srv.child.kill('SIGKILL'); });
  const out = await srv.ready;
  t.match(out, 'Postern is running (roles: smtp, http, worker, scheduler).');
  t.same(children(srv.child.pid!), [], 'no child process');
  srv.child.kill('SIGTERM');
  t.equal(await srv.exited, 0);
});
