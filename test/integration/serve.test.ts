/*
 * The real command as a user runs it: `postern serve` on a fresh SQLite file prints the
 * admin URL and a first password, serves /healthz and the login page, the printed password
 * signs in, --roles limits what runs, and SIGTERM stops it cleanly with exit code 0.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { UiClient } from '../helpers/session.js';
import { projectRoot } from '../../server/paths.js';

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
