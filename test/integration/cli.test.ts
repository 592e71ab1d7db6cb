/*
 * The `postern` command as a user runs it (`tsx server/main.ts …`): --help everywhere,
 * usage errors exit 2, a bad setting stops `serve` before anything opens, and keys and users
 * made on the command line work against a running app on the same database (every database).
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eachDb } from '../helpers/db.js';
import { runCli } from '../helpers/cli.js';
import { startTestApp } from '../helpers/app.js';
import { UiClient } from '../helpers/session.js';

const run = runCli;

function tempDb(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'postern-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'postern.sqlite');
}

t.test('--help for every command exits 0', async (t) => {
  const env = { POSTERN_DATABASE_URL: tempDb(t) };
  const cmds = [[], ['serve'], ['migrate'], ['user', 'create'], ['user', 'reset-password'], ['apikey', 'create'], ['bounce', 'classify']];
  const results = await Promise.all(cmds.map((c) => run([...c, '--help'], env)));
  for (const [i, r] of results.entries()) {
    const name = cmds[i]!.join(' ') || '(top level)';
    t.equal(r.code, 0, `${name} --help`);
    t.match(r.out, /^Usage: postern/, `${name} prints its usage`);
  }
  t.match(results[0]!.out, /apikey create/, 'the top-level help lists the commands');
  t.match(results[5]!.out, /--name NAME/);
  t.notOk(existsSync(env.POSTERN_DATABASE_URL), '--help touches no database');
});

t.test('usage errors exit 2', async (t) => {
  const env = { POSTERN_DATABASE_URL: tempDb(t) };
  const [unknown, unknownSub, none, noName, noUser] = await Promise.all([
    run(['frobnicate'], env), run(['user', 'delete'], env), run([], env), run(['apikey', 'create'], env), run(['user', 'create'], env),
  ]);
  t.equal(unknown.code, 2);
  t.match(unknown.err, /unknown command 'frobnicate'/);
  t.equal(unknownSub.code, 2);
  t.match(unknownSub.err, /unknown command 'user delete'/);
  t.equal(none.code, 2, 'no command');
  t.match(none.err, /Usage: postern <command>/);
  t.equal(noName.code, 2, 'apikey create without --name');
  t.match(noName.err, /--name NAME/);
  t.equal(noUser.code, 2, 'user create without --username');
});

t.test('serve with a bad setting exits non-zero naming the field, before anything opens', async (t) => {
  const db = tempDb(t);
  const r = await run(['serve'], { POSTERN_DATABASE_URL: db, POSTERN_HTTP_PORT: 'abc', POSTERN_SMTP_PORT: '0', POSTERN_SUBMISSION_PORT: '0' });
  t.not(r.code, 0);
  t.match(r.err, /http\.port/);
  t.match(r.err, /POSTERN_HTTP_PORT/);
  t.notMatch(r.out, /Postern is running/);
  t.notOk(existsSync(db), 'the database was never opened');
});

t.test('migrate', async (t) => {
  const env = { POSTERN_DATABASE_URL: tempDb(t) };
  const first = await run(['migrate'], env);
  t.equal(first.code, 0, first.err);
  t.match(first.out, /^Applied: 001_core/);
  const again = await run(['migrate'], env);
  t.equal(again.code, 0);
  t.match(again.out, /Database is up to date/);
  // A node that died mid-migration left the lock taken: --unlock clears it, then migrates.
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(env.POSTERN_DATABASE_URL);
  raw.prepare('UPDATE knex_migrations_lock SET is_locked = 1').run();
  raw.close();
  const unlocked = await run(['migrate', '--unlock'], env);
  t.equal(unlocked.code, 0, unlocked.err);
  t.match(unlocked.out, /Migration lock cleared\nDatabase is up to date/);
});

void eachDb(t, async (t, tdb) => {
  const env = { POSTERN_DATABASE_URL: tdb.url, POSTERN_SECRET: 'cli-test-secret-0123456789' };
  const { url } = await startTestApp(t, { tdb });

  await t.test('apikey create prints a key that authenticates against the running app', async (t) => {
    const r = await run(['apikey', 'create', '--name', 'x'], env);
    t.equal(r.code, 0, r.err);
    const key = r.out.trim();
    t.match(key, /^pst_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}$/, 'one line: the key');
    const res = await fetch(`${url}/api/v1/apikeys`, { headers: { authorization: `Bearer ${key}` } });
    t.equal(res.status, 200);
    const listed = ((await res.json()) as { items: Array<{ name: string; prefix: string }> }).items;
    t.ok(listed.some((k) => k.name === 'x' && key.startsWith(`pst_${k.prefix}_`)), 'listed under its name');
    t.equal((await tdb.db.knex('api_keys').where({ name: 'x' })).filter((row) => JSON.stringify(row).includes(key.slice('pst_'.length + 13))).length, 0, 'only a hash is stored');
  });

  await t.test('user create / reset-password, then login through the UI', async (t) => {
    const made = await run(['user', 'create', '--username', 'carol', '--password', 'carols long pw', '--role', 'agent', '--name', 'Carol'], env);
    t.equal(made.code, 0, made.err);
    t.match(made.out, /Created agent 'carol'/);
    t.notMatch(made.out, /carols long pw/, 'a given password is not echoed');
    const ui = new UiClient(url);
    t.equal((await ui.login('carol', 'carols long pw')).res.status, 303, 'the new user signs in');
    t.match((await ui.get('/admin')).html, /Carol \(agent\)/);

    const generated = await run(['user', 'create', '--username', 'dave'], env);
    t.equal(generated.code, 0, generated.err);
    const pw = /with password: (\S+)/.exec(generated.out)?.[1];
    t.ok(pw, 'a generated password is printed');
    t.equal((await new UiClient(url).login('dave', pw!)).res.status, 303, 'and works');

    const bad = await run(['user', 'create', '--username', 'x y', '--password', 'short'], env);
    t.equal(bad.code, 1);
    t.match(bad.err, /username: /);
    t.match(bad.err, /password: must be at least 10 characters/);
    const dup = await run(['user', 'create', '--username', 'carol', '--password', 'another long pw'], env);
    t.equal(dup.code, 1);
    t.match(dup.err, /username: is taken/);

    const reset = await run(['user', 'reset-password', '--username', 'carol'], env);
    t.equal(reset.code, 0, reset.err);
    const fresh = /reset: (\S+)/.exec(reset.out)?.[1];
    t.ok(fresh);
    t.equal((await ui.get('/admin')).res.status, 303, 'a reset ends the sessions');
    t.equal((await new UiClient(url).login('carol', 'carols long pw')).res.status, 401, 'the old password no longer works');
    t.equal((await new UiClient(url).login('carol', fresh!)).res.status, 303, 'the new one does');
    const nobody = await run(['user', 'reset-password', '--username', 'nobody'], env);
    t.equal(nobody.code, 1);
    t.match(nobody.err, /no user 'nobody'/);
  });
});
