/*
 * Poison isolation on every database: a route hook that hangs on one message (a test feature's
 * hook) makes that message unprocessable within the step budget while the 20 others of its batch
 * are processed; a hook that throws retries with backoff and ends unprocessable after its
 * attempts without holding up later mail; a step (authenticate, via DNS) that hangs is cut too;
 * Retry (API and page) resumes at the first step without a result; the raw download is the mail.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';
import { FEATURES } from '../../../server/app.js';
import type { Feature } from '../../../server/feature.js';
import { createCommitter } from '../../../server/inbound/committer.js';

// Wall-clock, and every message of a group shares the box: small, but far above a normal step
// even on a loaded machine (300 ms cut healthy route hooks on MariaDB under load).
const BUDGET = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mail = (subject: string, id: string, from = 'ann@example.org') => Buffer.from([
  `From: Ann Example <${from}>`, 'To: support@ours.example', `Subject: ${subject}`, `Message-ID: <${id}>`,
  'Date: Tue, 02 Jan 2024 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `Hello, ${subject}.`, '',
].join('\r\n'));

void eachDb(t, async (t, tdb) => {
  // What the test hook does per subject; tests flip these to "fix" the hook.
  const mode = { hang: true, boom: true };
  const seen: string[] = [];
  const late: string[] = [];
  const poisonFeature: Feature = {
    name: 'test-poison',
    hooks: () => [{
      name: 'poison-test',
      when: (c) => c.kind === 'normal',
      async run(c) {
        // A resumed run skips parse: the subject is then on the stored row.
        const subject = c.fields.subject ?? c.msg.subject ?? '';
        if (subject === 'Hang' && mode.hang) return new Promise(() => undefined);
        if (subject === 'Boom' && mode.boom) throw new Error('the test hook broke');
        if (subject === 'Slow' && mode.hang) {
          // Outlives the budget and scribbles on the abandoned context: at once when its signal
          // aborts (before the worker has written the group), then again when it resolves.
          const signal = c.signal;
          signal?.addEventListener('abort', () => { c.fields.subject = 'overwritten on abort'; late.push('aborted'); });
          await sleep(BUDGET * 1.5);
          c.fields.subject = 'overwritten by an abandoned hook';
          late.push(subject);
          return { late: true };
        }
        seen.push(subject);
        return { seen: true };
      },
    }],
  };
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http'], clock, features: [...FEATURES, poisonFeature],
    overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], worker: { pollMs: 50, leaseMs: 30_000, batchSize: 50 }, pipeline: { stepBudgetMs: BUDGET } },
  });
  const s = app.services;
  const pipeline = s.inboundPipeline;
  // No network in tests; mail from hang.example makes the DNS of `authenticate` never answer.
  pipeline.resolver = async (name) => {
    if (/hang\.example\.?$/i.test(name)) return new Promise(() => undefined);
    throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' });
  };
  const committer = createCommitter(s.ctx.db, clock);
  async function store(raw: Buffer, from = 'ann@example.org'): Promise<number> {
    const d = await s.directory.classify('support@ours.example');
    if (!d.ok) throw new Error('support@ours.example is not a local mailbox');
    return committer.commit({
      listener: 'mx', mail_from: from, rcpt_to: ['support@ours.example'], remote_ip: '192.0.2.10', helo: 'mail.example.org', tls: false,
      credential_id: null, size: raw.length, chunks: async function* () { yield raw; },
      recipients: [{ address: d.address, kind: d.kind, mailbox_id: d.mailboxId, target_id: d.targetId }],
    });
  }
  const get = async (id: number) => (await pipeline.repo.get(id))!;
  const stepNames = async (id: number) => (await pipeline.repo.steps(id)).map((x) => `${x.step}:${x.status}`);
  const FIRST_FOUR = ['parse:ok', 'authenticate:ok', 'detect:ok', 'bounce:skipped'];

  await t.test('a hook that hangs on one message: unprocessable within the budget, the 20 others of its batch processed', async (t) => {
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push(await store(mail(`Before ${i}`, `before-${i}@example.org`)));
    const hang = await store(mail('Hang', 'hang-1@example.org'));
    for (let i = 0; i < 10; i++) ids.push(await store(mail(`After ${i}`, `after-${i}@example.org`)));
    const t0 = Date.now();
    t.equal(await pipeline.runOnce('w1'), 21, 'one batch of 21');
    const took = Date.now() - t0;
    t.ok(took >= BUDGET, `the batch waited for the budget (${took} ms)`);
    t.ok(took < BUDGET + 5000, `…and no longer than the budget plus the work (${took} ms)`);
    for (const id of ids) t.equal((await get(id)).state, 'processed', `message ${id} processed`);
    t.equal(seen.filter((x) => /^(Before|After) /.test(x)).length, 20, 'the hook ran for the 20 others');
    const m = await get(hang);
    t.match(m, { state: 'failed', attempts: 1, subject: 'Hang', parse_error: new RegExp(`route hook "poison-test" exceeded its time budget of ${BUDGET} ms`) }, 'unprocessable at once, not retried');
    t.same(await stepNames(hang), FIRST_FOUR, 'the finished steps are kept; route has no result');
    offset += 3_600_000;
    t.equal(await pipeline.runOnce('w1'), 0, 'nothing is retried automatically');
    offset -= 3_600_000;
  });

  await t.test('a step that hangs (DNS in authenticate) is cut the same way', async (t) => {
    const id = await store(mail('Slow DNS', 'dns-1@hang.example', 'bob@hang.example'), 'bob@hang.example');
    const ok = await store(mail('Fine', 'fine-1@example.org'));
    t.equal(await pipeline.runOnce('w1'), 2);
    t.match(await get(id), { state: 'failed', attempts: 1, parse_error: /step "authenticate" exceeded its time budget/ });
    t.same(await stepNames(id), ['parse:ok'], 'parse kept');
    t.equal((await get(ok)).state, 'processed');
  });

  await t.test('an abandoned hook that resolves later writes nothing', async (t) => {
    const id = await store(mail('Slow', 'slow-1@example.org'));
    t.equal(await pipeline.runOnce('w1'), 1);
    t.match(await get(id), { state: 'failed', subject: 'Slow' });
    for (let i = 0; i < 100 && !late.includes('Slow'); i++) await sleep(100);
    t.same(late, ['aborted', 'Slow'], 'the abandoned hook saw its signal abort, and did finish');
    const m = await get(id);
    t.match(m, { state: 'failed', subject: 'Slow', parse_error: /exceeded its time budget/ }, 'its late result and fields are dropped');
    t.same(await stepNames(id), FIRST_FOUR);
  });

  await t.test('a hook that throws: retried with backoff, unprocessable after its attempts; later mail goes by', async (t) => {
    const boom = await store(mail('Boom', 'boom-1@example.org'));
    const attempts: number[] = [];
    for (let run = 1; run <= 5; run++) {
      const later = await store(mail(`Later ${run}`, `later-${run}@example.org`));
      t.ok(await pipeline.runOnce('w1') >= 1);
      t.equal((await get(later)).state, 'processed', `later mail of run ${run} processed`);
      const m = await get(boom);
      attempts.push(m.attempts);
      if (run < 5) {
        t.equal(m.state, 'received', `attempt ${run}: back to the queue`);
        t.equal(await pipeline.runOnce('w1'), 0, 'not before its backoff');
        offset += 3_600_000;
      } else t.match(m, { state: 'failed', parse_error: /the test hook broke/ }, 'unprocessable after 5 attempts');
    }
    t.same(attempts, [1, 2, 3, 4, 5]);
    t.same(await stepNames(boom), FIRST_FOUR, 'each run resumed at route: the earlier steps ran once');

    // Retry through the API once the hook is fixed.
    mode.boom = false;
    const r = await api(`/api/v1/inbound/${boom}/retry`, { method: 'POST' });
    t.equal(r.status, 202);
    t.same(await r.json(), { id: boom, state: 'received' });
    t.match(await get(boom), { state: 'received', attempts: 0, parse_error: null });
    t.equal(await pipeline.runOnce('w1'), 1);
    t.match(await get(boom), { state: 'processed', attempts: 0 });
    t.same(await stepNames(boom), [...FIRST_FOUR, 'route:ok'], 'resumed at the first step without a result');
    t.ok(seen.includes('Boom'), 'the fixed hook ran');
    const again = await api(`/api/v1/inbound/${boom}/retry`, { method: 'POST' });
    t.equal(again.status, 409, 'a processed message is not retried');
    t.equal((await api('/api/v1/inbound/999999/retry', { method: 'POST' })).status, 404);
  });

  await t.test('the list filters unprocessable messages; the page says so and retries; raw download is what was sent', async (t) => {
    const raw = mail('Hang', 'hang-2@example.org');
    const id = await store(raw);
    await pipeline.runOnce('w1');
    t.equal((await get(id)).state, 'failed');

    const list = (await (await api('/api/v1/inbound?state=failed&limit=100')).json()) as { items: Array<{ id: number; state: string }> };
    t.ok(list.items.some((m) => m.id === id), 'the API lists it under state=failed');
    t.ok(list.items.every((m) => m.state === 'failed'), 'and only unprocessable ones');

    const dl = await api(`/api/v1/inbound/${id}/raw`);
    t.equal(dl.status, 200);
    t.match(dl.headers.get('content-disposition') ?? '', /inbound-\d+\.eml/);
    t.same(Buffer.from(await dl.arrayBuffer()), raw, 'API raw download equals the mail as sent');

    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const page = await ui.get(`/admin/inbound/${id}`);
    t.equal(page.res.status, 200);
    t.match(page.html, /Unprocessable/);
    t.match(page.html, new RegExp(`exceeded its time budget of ${BUDGET} ms`), 'with its error');
    t.match(page.html, new RegExp(`action="/admin/inbound/${id}/retry"`), 'a Retry form');
    t.match(page.html, new RegExp(`href="/admin/inbound/${id}/raw"[^>]*>Download raw`), 'a raw download');
    const uiRaw = await ui.get(`/admin/inbound/${id}/raw`);
    t.equal(uiRaw.html, raw.toString('utf8'), 'the page download equals the mail as sent');
    const listPage = await ui.get('/admin/inbound?state=failed');
    t.match(listPage.html, new RegExp(`/admin/inbound/${id}"`), 'the list filtered to unprocessable shows it');
    t.match(listPage.html, /href="\/admin\/inbound\?state=failed"/, 'with a link to that filter');
    const processedOne = (await (await api('/api/v1/inbound?state=processed&limit=1')).json()) as { items: Array<{ id: number }> };
    t.notMatch(listPage.html, new RegExp(`/admin/inbound/${processedOne.items[0]!.id}"`), 'processed mail is not in it');

    mode.hang = false;
    const retry = await ui.submit(`/admin/inbound/${id}`, `/admin/inbound/${id}/retry`, {});
    t.equal(retry.res.status, 303);
    t.equal(retry.res.headers.get('location'), `/admin/inbound/${id}`);
    t.match(await get(id), { state: 'received', attempts: 0 });
    t.equal(await pipeline.runOnce('w1'), 1);
    t.equal((await get(id)).state, 'processed');
    t.same(await stepNames(id), [...FIRST_FOUR, 'route:ok']);
    t.notMatch((await ui.get(`/admin/inbound/${id}`)).html, /Unprocessable/, 'no notice once processed');
    const noRetry = await ui.submit(`/admin/inbound/${id}`, `/admin/inbound/${id}/retry`, {});
    t.equal(noRetry.res.status, 303);
    t.match((await ui.get(`/admin/inbound/${id}`)).html, /Only an unprocessable message can be retried/);
  });
});
