/*
 * The outbound queue over the API on every database: filters (state, account, source,
 * message type, recipient, date), a row with every attempt, retry / cancel guarded by
 * state, and bulk "retry failed only" narrowed by filters and never touching other states.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';

void eachDb(t, async (t, tdb) => {
  const { api } = await startTestApp(t, { tdb });
  const k = tdb.db.knex;
  const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
  const post = (path: string, body?: unknown) => api(path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const now = Date.now();
  const acct = async (name: string) => Number((await k('upstream_accounts').insert({ name, kind: 'sandbox', allowed_from: '[]', active: true, created_at: now, updated_at: now }))[0]);
  const a1 = await acct('q-one'), a2 = await acct('q-two');
  const [mt] = await k('message_types').insert({ name: 'alerts', description: '', created_at: now, updated_at: now });
  const send = async (accountId: number, to: string[], extra: Record<string, unknown> = {}) =>
    json(post('/api/v1/messages', { accountId, from: 'x@ours.example', to, subject: 'S', text: 'T', ...extra }));
  const m1 = await send(a1, ['r1@example.com', 'r2@example.com', 'r3@example.com', 'r4@example.com']);
  const m2 = await send(a2, ['r5@example.com', 'r6@example.com'], { messageTypeId: Number(mt) });
  const ids = (await k('outbound_queue').orderBy('id').select('id')).map((r: any) => Number(r.id));
  const [q1, q2, q3, q4, q5, q6] = ids as [number, number, number, number, number, number];
  // What the worker would have written: q1 failed (5xx), q2 deferred (4xx), q3 sent, q5 failed, q6 failed two days ago.
  await k('outbound_queue').where({ id: q1 }).update({ state: 'failed', attempts: 1, upstream_response: '550 5.1.1 no such user' });
  await k('outbound_queue').where({ id: q2 }).update({ state: 'deferred', attempts: 2, run_at: now + 600_000, last_error: '450 try later' });
  await k('outbound_queue').where({ id: q3 }).update({ state: 'sent', attempts: 1, sent_at: now, upstream_response: '250 2.0.0 Ok: queued as ABC' });
  await k('outbound_queue').where({ id: q5 }).update({ state: 'failed', attempts: 1 });
  await k('outbound_queue').where({ id: q6 }).update({ state: 'failed', attempts: 1, created_at: now - 2 * 86_400_000 });
  await k('outbound_attempts').insert([
    { queue_id: q2, at: now - 2000, result: 'deferred', code: 421, response: '421 4.7.0 slow down', duration_ms: 40 },
    { queue_id: q2, at: now - 1000, result: 'deferred', code: 450, response: '450 4.2.1 mailbox busy', duration_ms: 35 },
  ]);
  const list = async (qs: string) => json(api(`/api/v1/queue?${qs}`));
  const idsOf = (p: any) => p.items.map((r: any) => r.id).sort((a: number, b: number) => a - b);

  await t.test('filters: state, account, source, message type, recipient, date, search', async (t) => {
    t.equal((await list('')).total, 6);
    t.same(idsOf(await list('state=failed')), [q1, q5, q6]);
    t.same(idsOf(await list(`accountId=${a2}`)), [q5, q6]);
    t.same(idsOf(await list(`messageTypeId=${mt}`)), [q5, q6]);
    t.same(idsOf(await list('source=single')), ids);
    t.equal((await list('source=campaign')).total, 0);
    t.same(idsOf(await list('recipient=R3@Example.com')), [q3]);
    t.same(idsOf(await list('q=r4@')), [q4]);
    t.same(idsOf(await list(`messageId=${m1.messageId}`)), [q1, q2, q3, q4]);
    const yesterday = new Date(now - 86_400_000).toISOString().slice(0, 10);
    t.same(idsOf(await list(`since=${yesterday}`)), [q1, q2, q3, q4, q5]);
    t.same(idsOf(await list(`until=${new Date(now - 2 * 86_400_000).toISOString().slice(0, 10)}`)), [q6], 'a date includes that whole day');
    t.equal((await api('/api/v1/queue?state=bogus')).status, 400);
    t.equal((await api('/api/v1/queue?since=notadate')).status, 400);
    const sorted = await list('sort=recipient&dir=asc&perPage=2&page=2');
    t.same(sorted.items.map((r: any) => r.recipient), ['r3@example.com', 'r4@example.com']);
    const row = (await list(`recipient=r5@example.com`)).items[0];
    t.match(row, { accountName: 'q-two', messageTypeName: 'alerts', subject: 'S', fromAddr: 'x@ours.example', rcptKind: 'to' });
    t.match(await json(api('/api/v1/queue/counts')), { failed: 3, deferred: 1, sent: 1, queued: 1 });
  });

  await t.test('detail: the row, its message and every attempt with the upstream reply', async (t) => {
    const d = await json(api(`/api/v1/queue/${q2}`));
    t.equal(d.state, 'deferred');
    t.equal(d.attempts, 2);
    t.same(d.attemptLog.map((a: any) => [a.result, a.code, a.response]), [['deferred', 421, '421 4.7.0 slow down'], ['deferred', 450, '450 4.2.1 mailbox busy']]);
    t.match(d.message, { subject: 'S', text: 'T', source: 'single', attachments: [] });
    t.equal((await api('/api/v1/queue/999999')).status, 404);
  });

  await t.test('retry: failed/deferred → queued now; other states refused with 409', async (t) => {
    const r = await json(post(`/api/v1/queue/${q2}/retry`));
    t.equal(r.state, 'queued');
    t.ok(r.runAt <= Date.now() && r.runAt > now - 1000, 'due now');
    t.equal((await post(`/api/v1/queue/${q3}/retry`)).status, 409, 'a sent row is not retried');
    t.equal((await post('/api/v1/queue/999999/retry')).status, 404);
  });

  await t.test('cancel: queued/deferred → canceled; sent or failed refused', async (t) => {
    t.equal((await json(post(`/api/v1/queue/${q4}/cancel`))).state, 'canceled');
    t.equal((await post(`/api/v1/queue/${q4}/cancel`)).status, 409);
    t.equal((await post(`/api/v1/queue/${q3}/cancel`)).status, 409);
    const e = await json(post(`/api/v1/queue/${q1}/cancel`));
    t.equal(e.error.code, 'conflict');
  });

  await t.test('bulk retry-failed touches only failed rows, narrowed by filters', async (t) => {
    const states = async () => Object.fromEntries((await k('outbound_queue').select('id', 'state')).map((r: any) => [Number(r.id), r.state]));
    t.same(await json(post('/api/v1/queue/retry-failed', { q: 'nomatch' })), { retried: 0 }, 'the search narrows it too');
    const r1 = await json(post('/api/v1/queue/retry-failed', { accountId: a2, since: new Date(now - 86_400_000).toISOString().slice(0, 10) }));
    t.same(r1, { retried: 1 });
    t.match(await states(), { [q5]: 'queued', [q6]: 'failed', [q1]: 'failed' });
    const r2 = await json(post('/api/v1/queue/retry-failed', { state: 'sent' }));
    t.same(r2, { retried: 2 }, 'the state filter is ignored: only failed rows');
    t.same(await states(), { [q1]: 'queued', [q2]: 'queued', [q3]: 'sent', [q4]: 'canceled', [q5]: 'queued', [q6]: 'queued' });
    t.same(await json(post('/api/v1/queue/retry-failed')), { retried: 0 });
    t.equal(m2.queued, 2);
  });
});
