/*
 * The scheduler on every database: two app instances sharing one database run an
 * every-second job exactly once per tick; edits made through one instance reach the other;
 * inactive jobs do not run; failures are recorded; run-now never overlaps; bad cron → 400.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';
import type { Feature } from '../../../server/feature.js';
import { schedulerFeature } from '../../../server/scheduler/feature.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const runs: Array<{ tick: number; node: string }> = [];
  let failNext = false;
  let slowRelease: (() => void) | null = null;
  const testJobs: Feature = {
    name: 'test-jobs',
    jobs: [
      { name: 'every-second', description: 'records its runs', cron: '* * * * * *', async run(s) { runs.push({ tick: Math.floor(Date.now() / 1000), node: s.ctx.nodeId }); } },
      { name: 'flaky', description: 'fails when told', cron: '0 0 1 1 *', async run() { if (failNext) { failNext = false; throw new Error('upstream said no'); } } },
      { name: 'slow', description: 'blocks until released', cron: '0 0 1 1 *', run: () => new Promise<void>((r) => { slowRelease = r; }) },
    ],
  };
  const common = { tdb, roles: ['http' as const, 'scheduler' as const], features: [schedulerFeature, testJobs], overrides: { scheduler: { syncMs: 300 } } };
  const a = await startTestApp(t, { ...common, overrides: { ...common.overrides, nodeId: 'node-a' } });
  const b = await startTestApp(t, { ...common, overrides: { ...common.overrides, nodeId: 'node-b' } });

  await t.test('an every-second job runs exactly once per tick across two nodes', async (t) => {
    await sleep(11_500);
    const byTick = new Map<number, string[]>();
    for (const r of runs) byTick.set(r.tick, [...(byTick.get(r.tick) ?? []), r.node]);
    const twice = [...byTick].filter(([, nodes]) => nodes.length > 1);
    t.same(twice, [], 'no tick ran twice');
    const ticks = [...byTick.keys()].sort((x, y) => x - y);
    let best = 1, cur = 1;
    for (let i = 1; i < ticks.length; i++) { cur = ticks[i] === ticks[i - 1]! + 1 ? cur + 1 : 1; best = Math.max(best, cur); }
    t.ok(best >= 10, `at least 10 consecutive ticks ran (longest run ${best}, ${ticks.length} ticks in all)`);
    t.ok(new Set(runs.map((r) => r.node)).size >= 1);
    // A run of the current second may have started (pushed to `runs`) and not yet recorded its
    // finish: compare once no run is in between (it takes milliseconds; a new one comes each second).
    let job: any;
    let seen = -1;
    for (let i = 0; i < 40; i++) {
      const before = runs.length;
      job = await (await a.api('/api/v1/jobs/every-second')).json();
      seen = before;
      if (job.runCount === before && runs.length === before) break;
      await sleep(25);
    }
    t.equal(job.runCount, seen, 'runCount counts each run once');
    t.equal(job.lastStatus, 'ok');
  });

  await t.test('deactivating through node A stops the job on both nodes', async (t) => {
    const res = await a.api('/api/v1/jobs/every-second', { method: 'PATCH', body: JSON.stringify({ active: false }) });
    t.equal(res.status, 200);
    await sleep(800); // B's sync (300 ms) picks it up
    const before = runs.length;
    await sleep(2_500);
    t.equal(runs.length, before, 'no run after deactivation');
    const list = await (await b.api('/api/v1/jobs')).json() as any;
    t.equal(list.items.find((j: any) => j.name === 'every-second').active, false);
  });

  await t.test('a schedule edited on A is used by B', async (t) => {
    await a.api('/api/v1/jobs/every-second', { method: 'PATCH', body: JSON.stringify({ active: true, cron: '*/2 * * * * *' }) });
    await sleep(700);
    const from = runs.length;
    await sleep(4_200);
    const got = runs.slice(from);
    t.ok(got.length >= 1 && got.length <= 3, `every 2 s: ${got.length} runs in 4.2 s`);
    t.ok(got.every((r) => r.tick % 2 === 0), 'only even seconds');
    await a.api('/api/v1/jobs/every-second', { method: 'PATCH', body: JSON.stringify({ active: false }) });
  });

  await t.test('a failing job records its error; run now reports it', async (t) => {
    failNext = true;
    const r = await (await b.api('/api/v1/jobs/flaky/run', { method: 'POST' })).json() as any;
    t.same(r, { ok: false, error: 'upstream said no' });
    const job = await (await a.api('/api/v1/jobs/flaky')).json() as any;
    t.equal(job.lastStatus, 'failed');
    t.equal(job.lastError, 'upstream said no');
    t.ok(job.lastErrorAt > 0);
    const ok = await (await b.api('/api/v1/jobs/flaky/run', { method: 'POST' })).json() as any;
    t.same(ok, { ok: true });
    const after = await (await a.api('/api/v1/jobs/flaky')).json() as any;
    t.equal(after.lastStatus, 'ok');
    t.equal(after.lastError, 'upstream said no', 'the last error stays visible');
  });

  await t.test('run now never overlaps a running job, on any node', async (t) => {
    const first = a.api('/api/v1/jobs/slow/run', { method: 'POST' });
    for (let i = 0; i < 50 && !slowRelease; i++) await sleep(20);
    t.ok(slowRelease, 'the first run started');
    const second = await b.api('/api/v1/jobs/slow/run', { method: 'POST' });
    t.equal(second.status, 409);
    t.equal(((await second.json()) as any).error.code, 'conflict');
    slowRelease!();
    t.equal((await first).status, 200);
  });

  await t.test('an invalid schedule is refused with the field', async (t) => {
    for (const cron of ['every minute', '* * *', '61 * * * *', '']) {
      const res = await a.api('/api/v1/jobs/flaky', { method: 'PATCH', body: JSON.stringify({ cron }) });
      t.equal(res.status, 400, cron);
      t.equal(((await res.json()) as any).error.fields[0].field, 'cron');
    }
    t.equal((await a.api('/api/v1/jobs/nope')).status, 404);
  });

  await t.test('admin pages: list, edit form re-shown with the error, run now', async (t) => {
    const ui = new UiClient(a.url);
    await ui.login('admin', ADMIN_PASSWORD);
    const list = await ui.get('/admin/jobs');
    t.equal(list.res.status, 200);
    t.match(list.html, /lease-sweeper/);
    t.match(list.html, /Last error: upstream said no/);
    const bad = await ui.submit('/admin/jobs/flaky', '/admin/jobs/flaky', { cron: '99 * * * *', active: 'on' });
    t.equal(bad.res.status, 400);
    t.match(bad.html, /not a valid cron expression/);
    t.match(bad.html, /value="99 \* \* \* \*"/, 'keeps what was typed');
    const good = await ui.submit('/admin/jobs/flaky', '/admin/jobs/flaky', { cron: '0 4 * * *' });
    t.equal(good.res.status, 303);
    const job = await (await a.api('/api/v1/jobs/flaky')).json() as any;
    t.same([job.cron, job.active], ['0 4 * * *', false], 'saved, unchecked box = inactive');
    const run = await ui.submit('/admin/jobs', '/admin/jobs/sessions-purge/run', {});
    t.equal(run.res.status, 303);
    t.match((await ui.get('/admin/jobs')).html, /Job sessions-purge ran/);
  });
});
