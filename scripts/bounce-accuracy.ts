/*
 * Prints the bounce classifier's accuracy over ../shared/fixtures as markdown tables: every
 * field per group (files 0001-0040, the first development set, and 0041-0187, added later),
 * then recipient / class / reason per format. `npx tsx scripts/bounce-accuracy.ts [--misses]`.
 */
import { score, type Fields } from '../test/unit/bounces/score.js';

const pct = (x?: { ok: number; n: number }) => (x ? `${x.ok}/${x.n} (${((100 * x.ok) / x.n).toFixed(1)}%)` : '–');
const r = score();
const groups = Object.keys(r.groups).sort();
console.log(`| field | ${groups.join(' | ')} | all |\n|---|${groups.map(() => '---|').join('')}---|`);
for (const field of Object.keys(r.fields)) console.log(`| ${field} | ${groups.map((g) => pct(r.groups[g]![field])).join(' | ')} | ${pct(r.fields[field])} |`);

const cols = ['recipient', 'class', 'reason', 'status'];
console.log(`\n| format | rows | ${cols.join(' | ')} |\n|---|---|${cols.map(() => '---|').join('')}`);
const short = (x?: { ok: number; n: number }) => (x ? `${x.ok}/${x.n}` : '–');
for (const [name, f] of Object.entries(r.formats).sort((a, b) => (b[1].recipient?.n ?? 0) - (a[1].recipient?.n ?? 0) || a[0].localeCompare(b[0]))) {
  console.log(`| ${name} | ${(f as Fields).recipient?.n ?? 0} | ${cols.map((c) => short(f[c])).join(' | ')} |`);
}
if (process.argv.includes('--misses')) { console.log(''); for (const m of r.misses) console.log(m); }
