/*
 * Bounce classification speed on one core: classifies every fixture message (bounces and
 * non-bounces) round-robin for about 5 s and prints one line:
 * RESULT postern-bounce-classify msgs_per_s=<n> n=<messages> files=<k>
 * Run pinned for a one-core figure: `taskset -c 0 npx tsx bench/bounces.ts`.
 */
import { classifyMessage } from '../server/bounces/classify.js';
import { fixtureMessages } from '../test/unit/bounces/score.js';

const files = fixtureMessages().map((f) => f.raw);
for (let i = 0; i < 500; i++) classifyMessage(files[i % files.length]!); // warm up the JIT
const seconds = Number(process.env.SECONDS_TO_RUN ?? 5);
let n = 0;
const start = process.hrtime.bigint();
const until = start + BigInt(Math.round(seconds * 1e9));
let next = 1;
while (process.hrtime.bigint() < until) {
  for (const f of files) classifyMessage(f);
  n += files.length;
  const el = Number(process.hrtime.bigint() - start) / 1e9;
  if (el >= next) { process.stderr.write(`${n} messages in ${el.toFixed(1)} s\n`); next++; }
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
process.stderr.write(`classified ${n} messages in ${elapsed.toFixed(2)} s\n`);
console.log(`RESULT postern-bounce-classify msgs_per_s=${Math.round(n / elapsed)} n=${n} files=${files.length}`);
