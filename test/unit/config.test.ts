/*
 * Configuration loading: defaults, the POSTERN_CONFIG file, env variables and overrides in
 * that order; every problem reported at once with its path and env variable; secrets never
 * echoed; a generated secret kept beside an embedded database.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../server/config.js';

const load = (env: Record<string, string>, overrides?: Record<string, unknown>) => loadConfig({ env, overrides, persistSecret: false });
function problemsOf(fn: () => unknown): string[] {
  try { fn(); } catch (e) { if (e instanceof ConfigError) return e.problems; throw e; }
  throw new Error('expected a ConfigError');
}

t.test('defaults', async (t) => {
  const c = load({});
  t.same(c.roles, ['smtp', 'http', 'worker', 'scheduler']);
  t.equal(c.http.port, 8080);
  t.equal(c.auth.loginMaxFailures, 5);
  t.equal(c.auth.loginWindowMinutes, 15);
  t.equal(c.publicUrl, 'http://127.0.0.1:8080', 'derived from host and port');
  t.ok(c.nodeId, 'a node id');
  t.ok(c.secret.length >= 32, 'a generated secret');
});

t.test('the worker process: a child at nice 10 unless told otherwise', async (t) => {
  t.same([load({}).worker.process, load({}).worker.nice], ['separate', 10]);
  t.equal(load({ POSTERN_WORKER_PROCESS: 'inline' }).worker.process, 'inline');
  t.match(problemsOf(() => load({ POSTERN_WORKER_PROCESS: 'fork' }))[0], /^worker\.process \(set by POSTERN_WORKER_PROCESS or the config file\)/);
  t.match(problemsOf(() => load({}, { worker: { nice: 25 } }))[0], /^worker\.nice \(config file\)/);
});

t.test('a bad port names the field and its env variable', async (t) => {
  t.throws(() => load({ POSTERN_HTTP_PORT: 'abc' }), ConfigError);
  try { load({ POSTERN_HTTP_PORT: 'abc' }); } catch (e) {
    t.ok(e instanceof ConfigError);
    t.match((e as Error).message, /http\.port/);
    t.match((e as Error).message, /POSTERN_HTTP_PORT/);
    t.match((e as Error).message, /"abc"/, 'shows what it got');
  }
});

t.test('every problem is listed at once', async (t) => {
  const p = problemsOf(() => load({ POSTERN_HTTP_PORT: 'abc', POSTERN_SMTP_PORT: '70000', POSTERN_LOG_LEVEL: 'loud', POSTERN_ROLES: 'http,cooking' }));
  t.ok(p.length >= 4, p.join('\n'));
  for (const [path, env] of [['http.port', 'POSTERN_HTTP_PORT'], ['smtp.port', 'POSTERN_SMTP_PORT'], ['log.level', 'POSTERN_LOG_LEVEL'], ['roles', 'POSTERN_ROLES']]) {
    t.ok(p.some((x) => x.startsWith(path) && x.includes(env!)), `${path} named with ${env}`);
  }
  const fileOnly = problemsOf(() => load({}, { worker: { leaseMs: 5 } }));
  t.match(fileOnly[0], /^worker\.leaseMs \(config file\)/, 'settings without an env variable point at the file');
});

t.test('secrets are never shown in errors', async (t) => {
  const e = problemsOf(() => load({ POSTERN_SECRET: 'tooshort123', POSTERN_ADMIN_PASSWORD: 'pw1', POSTERN_HTTP_PORT: 'abc' })).join('\n');
  t.match(e, /^secret \(set by POSTERN_SECRET/m);
  t.match(e, /^adminPassword \(set by POSTERN_ADMIN_PASSWORD/m);
  t.notMatch(e, /tooshort123/);
  t.notMatch(e, /pw1/);
  t.match(e, /\[redacted\]/);
});

t.test('a MySQL database needs an explicit shared secret', async (t) => {
  const p = problemsOf(() => load({ POSTERN_DATABASE_URL: 'mysql://u:p@db.example:3306/postern' }));
  t.match(p[0], /^secret \(set by POSTERN_SECRET/);
  t.match(p[0], /MySQL/);
  const ok = load({ POSTERN_DATABASE_URL: 'mysql://u:p@db.example:3306/postern', POSTERN_SECRET: 'a-shared-secret-of-some-length' });
  t.equal(ok.secret, 'a-shared-secret-of-some-length');
});

t.test('env values are converted; file < env < overrides', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'postern.json');
  writeFileSync(file, JSON.stringify({ http: { port: 9001 }, host: '0.0.0.0', domains: ['Example.COM'], auth: { loginMaxFailures: 7 } }));
  const c = load({ POSTERN_CONFIG: file, POSTERN_HTTP_PORT: '9002', POSTERN_ROLES: 'http, smtp', POSTERN_PUBLIC_URL: 'https://mail.example.com' }, { host: '127.0.0.2' });
  t.equal(c.http.port, 9002, 'env beats the file');
  t.equal(c.host, '127.0.0.2', 'overrides beat both');
  t.same(c.roles, ['http', 'smtp']);
  t.equal(c.auth.loginMaxFailures, 7);
  t.equal(c.auth.loginWindowMinutes, 15, 'file values merge into the defaults');
  t.same(c.domains, ['example.com'], 'domains are lower-cased');
  t.equal(c.publicUrl, 'https://mail.example.com');

  writeFileSync(file, '{ not json');
  const p = problemsOf(() => load({ POSTERN_CONFIG: file }));
  t.match(p[0], /^POSTERN_CONFIG \(.*postern\.json\)/);
  t.match(problemsOf(() => load({ POSTERN_CONFIG: join(dir, 'missing.json') }))[0], /missing\.json/);
});

t.test('a generated secret is kept beside the SQLite file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { POSTERN_DATABASE_URL: join(dir, 'data', 'p.sqlite') };
  const a = loadConfig({ env });
  const b = loadConfig({ env });
  t.equal(a.secret, b.secret, 'the same secret on the next start');
  t.equal(readFileSync(join(dir, 'data', 'secret'), 'utf8').trim(), a.secret);
  t.equal(statSync(join(dir, 'data', 'secret')).mode & 0o777, 0o600, 'readable by the owner only');
  t.not(loadConfig({ env, persistSecret: false }).secret, a.secret, 'persistSecret: false never touches the file');
});

t.test('http.trustProxy: false, a hop count or trusted proxy addresses; true means one hop', async (t) => {
  t.equal(load({}).http.trustProxy, false, 'the default: no proxy is trusted');
  t.equal(load({}, { http: { trustProxy: true } }).http.trustProxy, 1, 'true is one hop (the proxy in front)');
  t.equal(load({}, { http: { trustProxy: 2 } }).http.trustProxy, 2);
  t.equal(load({}, { http: { trustProxy: 0 } }).http.trustProxy, false, '0 hops: none');
  t.same(load({}, { http: { trustProxy: ['10.0.0.0/8', '192.168.1.5', 'fd00::/8', 'loopback'] } }).http.trustProxy, ['10.0.0.0/8', '192.168.1.5', 'fd00::/8', 'loopback']);
  t.equal(load({ POSTERN_TRUST_PROXY: '1' }).http.trustProxy, 1, 'from the environment: hops');
  t.same(load({ POSTERN_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, ['10.0.0.0/8', '127.0.0.1'], 'or a comma list');
  t.equal(load({ POSTERN_TRUST_PROXY: 'false' }).http.trustProxy, false);
  for (const bad of [['10.0.0.0/33'], ['example.com'], ['10.0.0.1/8x'], [''], [], -1, 'yes']) {
    const p = problemsOf(() => load({}, { http: { trustProxy: bad } }));
    t.match(p.join('\n'), /^http\.trustProxy/m, `${JSON.stringify(bad)} is refused`);
  }
});

t.test('metrics.token: empty (open) or a long enough secret, never echoed', async (t) => {
  t.equal(load({}).metrics.token, '', 'open by default');
  t.equal(load({ POSTERN_METRICS_TOKEN: 'a-long-metrics-token-123' }).metrics.token, 'a-long-metrics-token-123');
  const p = problemsOf(() => load({ POSTERN_METRICS_TOKEN: 'short' })).join('\n');
  t.match(p, /^metrics\.token \(set by POSTERN_METRICS_TOKEN/m);
  t.notMatch(p, /short"/);
  t.match(p, /\[redacted\]/);
});
