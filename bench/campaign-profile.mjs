// Summarises a V8 .cpuprofile (bench/campaign-send.sh PROFILE=dir): top self-time functions with
// their share, and self time grouped by package / area. Usage: node bench/campaign-profile.mjs FILE [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
const self = new Map(); // node id → µs
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const short = (url) => url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'nm:').replace(/.*\/dist\//, 'dist/');
const area = (cf) => {
  const u = cf.url;
  if (!u) return cf.functionName === '(garbage collector)' ? '(gc)' : cf.functionName.startsWith('(') ? cf.functionName : '(native/builtin)';
  if (u.startsWith('node:')) return u.split('/').slice(0, 2).join('/');
  const m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)(\/lib\/[^/]+)?/);
  if (m) return m[1] === 'nodemailer' ? `nodemailer${m[2] ?? ''}` : m[1];
  const d = u.match(/dist\/(server\/[^/]+(?:\/[^/]+)?)/);
  return d ? d[1].replace(/\.js$/, '') : short(u);
};
const fn = new Map(), areas = new Map();
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  // A native function (no url) is named with its JS caller, e.g. crypto's job `run` under `sign`.
  let via = '';
  if (!cf.url && !cf.functionName.startsWith('(')) {
    const c = parent.get(id)?.callFrame;
    if (c) via = `← ${c.functionName || '(anonymous)'} ${c.url ? `${short(c.url)}:${c.lineNumber + 1}` : ''}`;
  }
  const key = `${cf.functionName || '(anonymous)'}  ${cf.url ? `${short(cf.url)}:${cf.lineNumber + 1}` : via}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const pc = !cf.url && !cf.functionName.startsWith('(') ? parent.get(id)?.callFrame : undefined;
  const a = pc?.url ? `${area(pc)} (native)` : area(cf);
  areas.set(a, (areas.get(a) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
const ms = (us) => `${Math.round(us / 1000)} ms`.padStart(9);
console.log(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\nTop self time (function  file:line):');
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
console.log('\nSelf time by area:');
for (const [k, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
