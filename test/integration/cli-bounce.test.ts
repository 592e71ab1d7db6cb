/* `postern bounce classify FILE…` as a user runs it: one JSON line per bounced recipient, in the DESIGN.md shape. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';
import { FIXTURES } from '../helpers/bounce-fixtures.js';

const run = (...files: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', 'bounce', 'classify', ...files], { cwd: projectRoot, encoding: 'utf8' });

t.test('prints one line per recipient with the stable fields', async (t) => {
  const r = run(join(FIXTURES, 'bounces', '0001.eml'), join(FIXTURES, 'bounces', '0005.eml'), join(FIXTURES, 'nonbounce', '0003.eml'));
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 4 + 2 + 1);
  for (const l of lines) for (const k of ['file', 'recipient', 'status', 'action', 'class', 'reason']) t.ok(k in l, `${k} present`);
  t.match(lines.find((l) => l.recipient === 'mikeneko@example.co.jp'), { class: 'hard', reason: 'userunknown', action: 'failed' });
  t.match(lines.find((l) => l.recipient === 'sabineko@example.jp'), { status: '5.2.2', class: 'soft', reason: 'mailboxfull' });
  t.match(lines.at(-1), { class: 'none', status: null, reason: 'vacation' });
});

t.test('an unreadable file is reported and makes the exit code 1', async (t) => {
  const r = run(join(FIXTURES, 'bounces', '0001.eml'), '/no/such/file.eml');
  t.equal(r.status, 1);
  t.match(r.stdout, /"error"/);
  t.match(r.stdout, /kijitora@example.edu/, 'the readable file is still classified');
});

t.test('usage errors exit 2', async (t) => {
  t.equal(run().status, 2);
});
