/*
 * The records write path: bulkUpsert of contacts (name, title, address, account by externalId,
 * attributes) in batches, first as inserts, then the same rows again as updates with changes.
 * `npx tsx bench/records-upsert.ts [sqlite|mysql] [rows] [batch]`; target ≥ 20,000 rows/s on SQLite.
 */
import { createTestDb } from '../test/helpers/db.js';
import { recordsService } from '../server/records/service.js';
import { silentLogger } from '../server/log.js';
import type { Ctx } from '../server/context.js';

const kind = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'mysql';
const N = Number(process.argv[3] ?? 50_000), B = Number(process.argv[4] ?? 5000);
const tdb = await createTestDb(kind);
const svc = recordsService({ ctx: { db: tdb.db, clock: { now: () => Date.now() }, log: silentLogger() } as unknown as Ctx });
const row = (i: number, pass: number) => ({
  externalId: `e${i}`, firstName: `First${i}`, lastName: `Last${i}`, email: `user${i}@d${i % 500}.example.com`, title: pass ? 'Lead engineer' : 'Engineer',
  attributes: { tier: i % 3 ? 'a' : 'b', n: i }, accountExternalId: `acc${i % 1000}`,
});
const out: Record<string, number> = {};
for (const [pass, name] of [[0, 'insert'], [1, 'update']] as const) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i += B) {
    const r = await svc.bulkUpsert('contact', Array.from({ length: Math.min(B, N - i) }, (_, j) => row(i + j, pass)));
    if (r.errors.length) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
  }
  out[name] = Math.round(N / ((performance.now() - t0) / 1000));
  const c = process.cpuUsage(c0);
  // Rows per second of this process's CPU time: the figure a shared, loaded host does not distort.
  out[`${name}_cpu`] = Math.round(N / ((c.user + c.system) / 1e6));
  console.log(`${kind} ${name}: ${N} rows in batches of ${B}: ${out[name]} rows/s wall, ${out[`${name}_cpu`]} rows per CPU-second`);
}
await tdb.cleanup();
console.log(`RESULT records-upsert db=${kind} rows=${N} batch=${B} insert_rows_per_s=${out.insert} update_rows_per_s=${out.update} insert_rows_per_cpu_s=${out.insert_cpu} update_rows_per_cpu_s=${out.update_cpu}`);
