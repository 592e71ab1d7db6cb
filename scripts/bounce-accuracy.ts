/*
 * Prints per-field accuracy of the bounce classifier over ../shared/fixtures (bounces and
 * non-bounces) as a markdown table: `npx tsx scripts/bounce-accuracy.ts [--misses]`.
 */
import { score } from '../test/unit/bounces/score.js';

const r = score();
console.log('| field | correct | total | accuracy |\n|---|---|---|---|');
for (const [field, { ok, n }] of Object.entries(r.fields)) console.log(`| ${field} | ${ok} | ${n} | ${((100 * ok) / n).toFixed(1)}% |`);
if (process.argv.includes('--misses')) for (const m of r.misses) console.log(m);
