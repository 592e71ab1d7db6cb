/*
 * `postern import records` as a user runs it: --help and usage errors (exit 2), a dry run that
 * writes nothing and names the bad lines, an import (created, then updated, by externalId and by
 * address) with one summary line on stdout, on every database.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eachDb } from '../../helpers/db.js';
import { runCli } from '../../helpers/cli.js';

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), 'postern-import-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

const contacts = file('contacts.csv', [
  'External_ID,First Name,last_name,E-mail,emails,Title,former_employee,Industry',
  'c1,Ann,Lee,ann@example.com,,CEO,no,Retail',
  'c2,Bo,"Multi',
  'Line",bo@example.com,bo2@example.com;bo3@example.com,,yes,',
  'c3,Cy,Dee,not-an-address,,,,',
  'c4,Di,,di@example.com,,,maybe,',
  ',Ed,,ed@example.com,,,,',
  'c6,Flo,,flo@example.com,,,,Energy',
].join('\r\n') + '\r\n');

t.test('--help and usage errors', async (t) => {
  const env = { POSTERN_DATABASE_URL: join(dir, 'usage.sqlite') };
  const [help, noType, badType, noFile, badMatch, twoFiles] = await Promise.all([
    run(['import', 'records', '--help'], env), run(['import', 'records', contacts], env), run(['import', 'records', '--type', 'people', contacts], env),
    run(['import', 'records', '--type', 'contacts'], env), run(['import', 'records', '--type', 'contacts', '--match', 'name', contacts], env),
    run(['import', 'records', '--type', 'contacts', contacts, contacts], env),
  ]);
  t.equal(help.code, 0);
  t.match(help.out, /^Usage: postern import records --type accounts\|contacts\|leads FILE\.csv/);
  for (const r of [noType, badType, noFile, badMatch, twoFiles]) { t.equal(r.code, 2, 'exit 2'); t.ok(r.err.startsWith('Usage: postern import records'), 'prints the usage'); }
  const missing = await run(['import', 'records', '--type', 'contacts', join(dir, 'nope.csv')], env);
  t.equal(missing.code, 1);
  t.match(missing.err, /cannot read/);
  const top = await run(['--help'], env);
  t.match(top.out, /import records/);
});

void eachDb(t, async (t, tdb) => {
  const env = { POSTERN_DATABASE_URL: tdb.url, POSTERN_SECRET: 'cli-test-secret-0123456789' };
  const k = tdb.db.knex;
  const count = async () => Number((await k('records').where({ type: 'contact' }).count({ n: '*' }))[0]!.n);

  await t.test('a dry run writes nothing and names the bad lines', async (t) => {
    const r = await run(['import', 'records', '--type', 'contacts', contacts, '--dry-run'], env);
    t.equal(r.code, 1, 'bad rows: exit 1');
    const lines = r.out.trim().split('\n');
    t.equal(lines.length, 1, 'one line on stdout');
    t.match(lines[0], /^imported contacts: rows=6 created=3 updated=0 failed=3 secs=[\d.]+ rows_per_s=\d+ dry_run=true$/);
    t.match(r.err, /line 5: "not-an-address" is not an email address/);
    t.match(r.err, /line 6: formerEmployee must be yes or no/);
    t.match(r.err, /line 7: externalId is empty/);
    t.equal(await count(), 0, 'nothing written');
  });

  await t.test('import creates, a second import updates', async (t) => {
    const r = await run(['import', 'records', '--type', 'contacts', contacts], env);
    t.equal(r.code, 1);
    t.match(r.out, /^imported contacts: rows=6 created=3 updated=0 failed=3 /);
    t.equal(await count(), 3);
    const bo = await k('records').where({ type: 'contact', external_id: 'c2' }).first();
    t.match(bo, { first_name: 'Bo', last_name: 'Multi\r\nLine' });
    t.ok(Number(bo.former_employee), 'former employee');
    const addrs = await k('record_emails as re').join('email_addresses as e', 'e.id', 're.email_id').where('re.record_id', bo.id).orderBy('re.position').select('e.address', 're.is_primary');
    t.same(addrs.map((a) => a.address), ['bo@example.com', 'bo2@example.com', 'bo3@example.com']);
    const ann = await k('records').where({ type: 'contact', external_id: 'c1' }).first();
    t.same(JSON.parse(ann.attributes), { Industry: 'Retail' });

    const fixed = file(`fixed-${tdb.kind}.csv`, 'externalId,title\nc1,Chair\nc6,Engineer\n');
    const again = await run(['import', 'records', '--type', 'contacts', fixed], env);
    t.equal(again.code, 0, again.err);
    t.match(again.out, /^imported contacts: rows=2 created=0 updated=2 failed=0 /);
    t.match(await k('records').where({ type: 'contact', external_id: 'c1' }).first(), { title: 'Chair', first_name: 'Ann' }, 'other fields kept');
  });

  await t.test('--match email updates the record with that address', async (t) => {
    const byMail = file(`bymail-${tdb.kind}.csv`, 'email,phone\nANN@example.com,+1 555 0100\n');
    const r = await run(['import', 'records', '--type', 'contacts', '--match', 'email', byMail], env);
    t.equal(r.code, 0, r.err);
    t.match(r.out, /^imported contacts: rows=1 created=0 updated=1 failed=0 /);
    t.equal((await k('records').where({ type: 'contact', external_id: 'c1' }).first()).phone, '+1 555 0100');
    t.equal(await count(), 3);
  });
});
