/*
 * Scores the classifier against the shared development fixtures (../shared/fixtures from the
 * repo root): per-field accuracy over labelled bounce recipients and non-bounces. Used by
 * fixtures.test.ts, scripts/bounce-accuracy.ts and bench/bounces.ts. A missing folder throws.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../../../server/paths.js';
import { classifyMessage } from '../../../server/bounces/classify.js';

export const FIXTURES = process.env.POSTERN_FIXTURES ?? resolve(projectRoot, '..', 'shared', 'fixtures');

function dir(name: 'bounces' | 'nonbounce'): string {
  const d = join(FIXTURES, name);
  if (!existsSync(join(d, 'expected.jsonl'))) throw new Error(`bounce fixtures missing: ${d}/expected.jsonl (set POSTERN_FIXTURES)`);
  return d;
}
const expected = (d: string) => readFileSync(join(d, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);

/** Every .eml in both folders, as raw bytes (for the bench). */
export function fixtureMessages(): Array<{ file: string; raw: Buffer }> {
  return (['bounces', 'nonbounce'] as const).flatMap((n) => { const d = dir(n); return readdirSync(d).filter((f) => f.endsWith('.eml')).sort().map((f) => ({ file: `${n}/${f}`, raw: readFileSync(join(d, f)) })); });
}

export interface Score { fields: Record<string, { ok: number; n: number }>; misses: string[]; files: number }

export function score(): Score {
  const fields: Score['fields'] = {};
  const misses: string[] = [];
  const add = (f: string, ok: boolean, what: string) => { const x = (fields[f] ??= { ok: 0, n: 0 }); x.n++; if (ok) x.ok++; else misses.push(`${f}: ${what}`); };

  const bd = dir('bounces');
  const bfiles = readdirSync(bd).filter((f) => f.endsWith('.eml'));
  const results = new Map(bfiles.map((f) => [f, classifyMessage(readFileSync(join(bd, f)))]));
  const want = expected(bd);
  for (const e of want) {
    const c = results.get(e.file);
    if (!c) throw new Error(`expected.jsonl names ${e.file}, which is not in ${bd}`);
    add('kind=bounce', c.kind === 'bounce', `${e.file} kind ${c.kind}`);
    const r = c.recipients.find((x) => x.recipient === e.recipient);
    const who = `${e.file} ${e.recipient}`;
    add('recipient', Boolean(r), `${who} not found (got ${c.recipients.map((x) => x.recipient).join(',')})`);
    add('status', e.status_internal ? r?.status?.[0] === e.status[0] : r?.status === e.status, `${who} status ${r?.status} want ${e.status}`);
    add('status first digit', r?.status?.[0] === e.status[0], `${who} status ${r?.status} want ${e.status}`);
    add('action', r?.action === e.action, `${who} action ${r?.action} want ${e.action}`);
    add('class', r?.class === e.class, `${who} class ${r?.class} want ${e.class}`);
    // Precision: of the recipients called hard, how many are hard (a wrong "hard" blocks an address).
    if (r?.class === 'hard') add('hard precision', e.class === 'hard', `${who} called hard, labelled ${e.class}`);
    if (e.class === 'hard') add('hard recall', r?.class === 'hard', `${who} labelled hard, called ${r?.class}`);
    add('reason', r?.reason === e.reason, `${who} reason ${r?.reason} want ${e.reason} [${r?.diagnostic?.slice(0, 120)}]`);
  }
  const extra = [...results].flatMap(([f, c]) => c.recipients.filter((r) => !want.some((e) => e.file === f && e.recipient === r.recipient)).map((r) => `${f} ${r.recipient}`));
  fields['no extra recipients'] = { ok: want.length, n: want.length + extra.length };
  for (const x of extra) misses.push(`extra recipient: ${x}`);

  const nd = dir('nonbounce');
  const nfiles = readdirSync(nd).filter((f) => f.endsWith('.eml'));
  const nres = new Map(nfiles.map((f) => [f, classifyMessage(readFileSync(join(nd, f)))]));
  for (const e of expected(nd)) {
    const c = nres.get(e.file)!;
    const kindWant = e.kind === 'feedback-report' ? 'complaint' : e.kind;
    add('non-bounce kind', c.kind === kindWant, `${e.file} kind ${c.kind} want ${kindWant}`);
    const who = c.kind === 'complaint' ? c.feedback?.recipients ?? [] : [c.about ?? null];
    add('non-bounce recipient', e.recipient === null ? who.length === 0 || who[0] === null : who.includes(e.recipient), `${e.file} recipient ${who} want ${e.recipient}`);
    add('non-bounce effect', (c.feedback?.effect ?? 'ignore') === e.expected_effect, `${e.file} effect ${c.feedback?.effect} want ${e.expected_effect}`);
  }
  return { fields, misses, files: bfiles.length + nfiles.length };
}
