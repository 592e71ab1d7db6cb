/*
 * Scores the classifier against the shared development fixtures (../shared/fixtures from the
 * repo root): per-field accuracy over labelled bounce recipients and non-bounces, overall, per
 * group (files 0001-0040, the first development set; 0041 on, added later) and per format
 * (the `mta` label). Used by fixtures.test.ts, scripts/bounce-accuracy.ts and bench/bounces.ts.
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

export type Fields = Record<string, { ok: number; n: number }>;
export interface Score {
  fields: Fields; misses: string[]; files: number;
  /** The same bounce fields per group: "0001-0040" and "0041-0187". */
  groups: Record<string, Fields>;
  /** The same bounce fields per format (the fixture's `mta` label). */
  formats: Record<string, Fields>;
}

/** The group a fixture file belongs to: the first forty, or those added later. */
export const groupOf = (file: string) => (Number.parseInt(file, 10) <= 40 ? '0001-0040' : '0041-0187');

export function score(): Score {
  const fields: Fields = {};
  const groups: Record<string, Fields> = {};
  const formats: Record<string, Fields> = {};
  const misses: string[] = [];
  const tally = (into: Fields, f: string, ok: boolean) => { const x = (into[f] ??= { ok: 0, n: 0 }); x.n++; if (ok) x.ok++; };
  const add = (f: string, ok: boolean, what: string, e?: Record<string, any>) => {
    tally(fields, f, ok);
    if (e) { tally((groups[groupOf(e.file)] ??= {}), f, ok); tally((formats[e.mta ?? '?'] ??= {}), f, ok); }
    if (!ok) misses.push(`${f}: ${what}`);
  };

  const bd = dir('bounces');
  const bfiles = readdirSync(bd).filter((f) => f.endsWith('.eml'));
  const results = new Map(bfiles.map((f) => [f, classifyMessage(readFileSync(join(bd, f)))]));
  const want = expected(bd);
  for (const e of want) {
    const c = results.get(e.file);
    if (!c) throw new Error(`expected.jsonl names ${e.file}, which is not in ${bd}`);
    add('kind=bounce', c.kind === 'bounce', `${e.file} kind ${c.kind}`, e);
    const r = c.recipients.find((x) => x.recipient === e.recipient);
    const who = `${e.file} [${e.mta}] ${e.recipient}`;
    add('recipient', Boolean(r), `${who} not found (got ${c.recipients.map((x) => x.recipient).join(',')})`, e);
    add('status', e.status_internal ? r?.status?.[0] === e.status[0] : r?.status === e.status, `${who} status ${r?.status} want ${e.status}`, e);
    add('status first digit', r?.status?.[0] === e.status[0], `${who} status ${r?.status} want ${e.status}`, e);
    add('action', r?.action === e.action, `${who} action ${r?.action} want ${e.action}`, e);
    add('class', r?.class === e.class, `${who} class ${r?.class} want ${e.class}`, e);
    // Precision: of the recipients called hard, how many are hard (a wrong "hard" blocks an address).
    if (r?.class === 'hard') add('hard precision', e.class === 'hard', `${who} called hard, labelled ${e.class}`, e);
    if (e.class === 'hard') add('hard recall', r?.class === 'hard', `${who} labelled hard, called ${r?.class}`, e);
    add('reason', r?.reason === e.reason, `${who} reason ${r?.reason} want ${e.reason} [${r?.diagnostic?.slice(0, 120)}]`, e);
  }
  const extra = [...results].flatMap(([f, c]) => c.recipients.filter((r) => !want.some((e) => e.file === f && e.recipient === r.recipient)).map((r) => ({ f, r: r.recipient })));
  fields['no extra recipients'] = { ok: want.length, n: want.length + extra.length };
  for (const g of Object.keys(groups)) {
    const rows = want.filter((e) => groupOf(e.file) === g).length;
    const ex = extra.filter((x) => groupOf(x.f) === g).length;
    groups[g]!['no extra recipients'] = { ok: rows, n: rows + ex };
  }
  for (const x of extra) misses.push(`extra recipient: ${x.f} ${x.r}`);

  const nd = dir('nonbounce');
  const nfiles = readdirSync(nd).filter((f) => f.endsWith('.eml'));
  const nres = new Map(nfiles.map((f) => [f, classifyMessage(readFileSync(join(nd, f)))]));
  for (const e of expected(nd)) {
    const c = nres.get(e.file)!;
    const kindWant = e.kind === 'feedback-report' ? 'complaint' : e.kind;
    add('non-bounce not a bounce', c.kind !== 'bounce', `${e.file} classified as a bounce`);
    add('non-bounce kind', c.kind === kindWant, `${e.file} kind ${c.kind} want ${kindWant}`);
    const who = c.kind === 'complaint' ? c.feedback?.recipients ?? [] : [c.about ?? null];
    add('non-bounce recipient', e.recipient === null ? who.length === 0 || who[0] === null : who.includes(e.recipient), `${e.file} recipient ${who} want ${e.recipient}`);
    add('non-bounce effect', (c.feedback?.effect ?? 'ignore') === e.expected_effect, `${e.file} effect ${c.feedback?.effect} want ${e.expected_effect}`);
  }
  return { fields, misses, files: bfiles.length + nfiles.length, groups, formats };
}
