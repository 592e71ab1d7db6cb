/*
 * Scores the classifier against the shared fixtures (../shared/fixtures): per-field
 * accuracy over labelled recipients and non-bounces. Used by the fixture test and by
 * scripts/bounce-accuracy.ts. Missing fixtures are an error, never a skip.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../../server/paths.js';
import { classifyMessage } from '../../server/bounces/classify.js';

export const FIXTURES = process.env.POSTERN_FIXTURES ?? resolve(projectRoot, '..', 'shared', 'fixtures');

const load = (dir: string) => readFileSync(join(FIXTURES, dir, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);

export async function accuracy() {
  const fields: Record<string, { ok: number; n: number }> = {};
  const misses: string[] = [];
  const score = (f: string, ok: boolean, what: string) => { fields[f] ??= { ok: 0, n: 0 }; fields[f]!.n++; if (ok) fields[f]!.ok++; else misses.push(`${f}: ${what}`); };

  const bounces = load('bounces');
  const files = readdirSync(join(FIXTURES, 'bounces')).filter((f) => f.endsWith('.eml'));
  const results = new Map(files.map((f) => [f, classifyMessage(readFileSync(join(FIXTURES, 'bounces', f)))]));
  for (const e of bounces) {
    const c = results.get(e.file)!;
    score('kind=bounce', c.kind === 'bounce', `${e.file} kind ${c.kind}`);
    const r = c.recipients.find((x) => x.recipient === e.recipient);
    score('recipient', Boolean(r), `${e.file} ${e.recipient} not found (got ${c.recipients.map((x) => x.recipient).join(',')})`);
    score('class', r?.class === e.class, `${e.file} ${e.recipient} class ${r?.class} want ${e.class}`);
    score('reason', r?.reason === e.reason, `${e.file} ${e.recipient} reason ${r?.reason} want ${e.reason} [${r?.diagnostic?.slice(0, 100)}]`);
    const statusOk = e.status_internal ? r?.status?.[0] === e.status[0] : r?.status === e.status;
    score('status', statusOk, `${e.file} ${e.recipient} status ${r?.status} want ${e.status}`);
    score('status first digit', r?.status?.[0] === e.status[0], `${e.file} ${e.recipient} status ${r?.status} want ${e.status}`);
    score('action', r?.action === e.action, `${e.file} ${e.recipient} action ${r?.action} want ${e.action}`);
  }
  const extra = [...results].flatMap(([f, c]) => c.recipients.filter((r) => !bounces.some((e) => e.file === f && e.recipient === r.recipient)).map((r) => `${f} ${r.recipient}`));
  fields['no extra recipients'] = { ok: bounces.length, n: bounces.length + extra.length };
  for (const x of extra) misses.push(`extra recipient: ${x}`);

  for (const e of load('nonbounce')) {
    const c = classifyMessage(readFileSync(join(FIXTURES, 'nonbounce', e.file)));
    score('non-bounce is not a bounce', c.kind !== 'bounce', `${e.file} classified as bounce`);
    const kindWant = e.kind === 'feedback-report' ? 'complaint' : e.kind;
    score('non-bounce kind', c.kind === kindWant, `${e.file} kind ${c.kind} want ${kindWant}`);
    if (e.expected_effect === 'suppress-recipient' || e.kind === 'feedback-report') {
      const effect = c.feedback?.effect ?? 'ignore';
      score('complaint effect', effect === e.expected_effect, `${e.file} effect ${effect} want ${e.expected_effect}`);
      if (e.recipient && e.expected_effect === 'suppress-recipient') score('complainer', Boolean(c.feedback?.recipients.includes(e.recipient)), `${e.file} complainer ${e.recipient} not in ${c.feedback?.recipients}`);
    }
  }
  return { fields, misses };
}
