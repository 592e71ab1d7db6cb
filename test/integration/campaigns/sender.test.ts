/*
 * The "Send mass emails" job on both databases, driven by an injected clock through the
 * services (sandbox account, no network): the hourly limit sends N and then waits until the
 * window slides; a resumed expansion adds no second row; pause holds queued rows and releases
 * nothing, resume goes on, cancel closes the rest; the reputation guard pauses with the
 * reason; a mass email is complete only when no row is open.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { createExpander } from '../../../server/campaigns/expand.js';
import type { Services } from '../../../server/services.js';

const HOUR = 3_600_000;

async function setup(s: Services, n: number) {
  await s.dkim.generate('ours.example');
  const account = (await s.accounts.repo.all()).find((a) => a.kind === 'sandbox')!;
  const template = await s.templates.create({ name: 'T', subject: 'Hi {Person.firstName}', html: '<p>Hello {Person.name}</p>', text: null, is_default: false } as never);
  await s.records.bulkUpsert('contact', Array.from({ length: n }, (_, i) => ({ externalId: `c${i}`, firstName: `F${i}`, lastName: 'L', emails: [`p${i}@rcpt.example`] })));
  const list = await s.targetLists.create({ name: 'All' });
  await s.targetLists.addByFilter(list.id, { type: 'contact' });
  const campaign = await s.campaigns.createCampaign({ name: 'C', type: 'newsletter', targetListIds: [list.id] }, null);
  const me = await s.campaigns.createMassEmail({ campaignId: campaign.id, name: 'M', templateId: template.id, accountId: account.id, fromAddress: 'news@ours.example', status: 'pending' }, null);
  return { me, list, account };
}
const states = async (s: Services, id: number) => {
  const rows = await s.ctx.db.knex('outbound_queue').where('mass_email_id', id).select('state').count({ n: '*' }).groupBy('state') as Array<{ state: string; n: number | string }>;
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
};

void eachDb(t, async (t, tdb) => {
  t.test('pacing: N per sliding hour, then it waits', async (t) => {
    let now = Date.UTC(2026, 11, 7, 9, 0, 0);
    const { s } = await buildTestServices(t, tdb, { clock: { now: () => now }, overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 100 } } });
    await s.campaigns.setSettings({ maxPerHour: 10, portionSize: 4 });
    const { me } = await setup(s, 25);
    const sent = async () => (await states(s, me.id)).sent ?? 0;
    const step = async () => { const r = await s.massSender.run(); await s.delivery.runOnce(); return r; };

    t.match(await step(), { started: 1, released: 4 });
    t.equal(await sent(), 4);
    t.equal((await states(s, me.id)).held, 21, 'the rest waits for its portion');
    t.equal((await step()).released, 4);
    t.equal((await step()).released, 2, 'the hour allows 10');
    t.equal((await step()).released, 0);
    t.equal(await sent(), 10);
    now += 30 * 60_000;
    t.equal((await step()).released, 0, 'half an hour later the window still holds 10');
    now += 30 * 60_000 + 1;
    t.equal((await step()).released, 4, 'the first releases left the window');
    t.equal(await sent(), 14);
    // Any 60-minute window: releases summed by time never exceed the limit.
    const rel = (await s.ctx.db.knex('mass_email_releases').select('at', 'count')) as Array<{ at: number | string; count: number | string }>;
    for (const r of rel) {
      const from = Number(r.at);
      const inWindow = rel.filter((x) => Number(x.at) >= from && Number(x.at) < from + HOUR).reduce((a, x) => a + Number(x.count), 0);
      t.ok(inWindow <= 10, `window from ${from}: ${inWindow}`);
    }
    t.equal((await s.campaigns.getMassEmail(me.id)).status, 'in_process', 'not complete while rows are held');
    await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 100 });
    await step();
    t.equal((await step()).completed, 1);
    t.same(await states(s, me.id), { sent: 25 });
    t.equal((await s.campaigns.getMassEmail(me.id)).status, 'complete');
  });

});

void eachDb(t, async (t, tdb) => {
  const { s } = await buildTestServices(t, tdb, { overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 100 } } });
  const { me, list } = await setup(s, 30);

  t.test('an expansion resumed from its checkpoint adds no second row', async (t) => {
    t.equal(await s.massSender.start(me.id), true);
    const got = (await s.campaigns.getMassEmail(me.id));
    const account = (await s.accounts.repo.all()).find((a) => a.kind === 'sandbox')!;
    const messageId = Number((await s.ctx.db.knex('outbound_messages').insert({ source: 'campaign', source_id: me.id, account_id: account.id, from_addr: 'news@ours.example', subject: 'Hi', html: '<p>x</p>', bulk: true, created_at: 1, updated_at: 1 }))[0]);
    const x = createExpander(s, { batchSize: 7 });
    // 8 batches keep out list opt-outs (30 contacts in 5 batches, 3 empty types), then the
    // empty account type, then two contact batches of 7.
    const first = await x.run({ me: got, messageId, accountId: account.id, messageTypeId: null }, { batches: 11 });
    t.match(first, { queued: 14, done: false });
    // A crash after the batch ran and before its checkpoint was written: the batch runs again.
    const again = await x.run({ me: { ...(await s.campaigns.getMassEmail(me.id)), checkpoint: null }, messageId, accountId: account.id, messageTypeId: null });
    t.match(again, { queued: 16, done: true }, 'the 14 queued rows are not queued twice');
    t.equal(Number((await s.ctx.db.knex('outbound_queue').where('mass_email_id', me.id).count({ n: '*' }))[0]!.n), 30);
    t.equal(list.id > 0, true);
  });

  t.test('pause, resume, cancel; complete only with no open row', async (t) => {
    await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 10 });
    await s.massSender.run();
    t.equal((await states(s, me.id)).queued, 10);
    await s.campaigns.pause(me.id, 'by a test');
    t.match(await states(s, me.id), { held: 30 }, 'queued rows are held again');
    t.match(await s.campaigns.getMassEmail(me.id), { status: 'paused', status_reason: 'by a test' });
    t.equal((await s.massSender.run()).released, 0, 'a paused mass email releases nothing');
    await t.rejects(s.campaigns.resume(me.id + 999), { code: 'not_found' });
    await s.campaigns.resume(me.id);
    await s.massSender.run();
    await s.delivery.runOnce();
    t.match(await states(s, me.id), { sent: 10, held: 20 });
    t.equal((await s.campaigns.getMassEmail(me.id)).status, 'in_process');
    await s.campaigns.cancel(me.id);
    t.same(await states(s, me.id), { sent: 10, canceled: 20 });
    const c = await s.campaigns.counts(me.id);
    t.match(c, { total: 30, sent: 10, cancelled: 20, queued: 0 });
    // A finished mass email keeps its counts: a row changed behind its back is not recounted…
    const row = await s.ctx.db.knex('outbound_queue').where({ mass_email_id: me.id, state: 'canceled' }).first('id');
    await s.ctx.db.knex('outbound_queue').where({ id: row.id }).update({ state: 'failed' });
    t.match(await s.campaigns.counts(me.id), { cancelled: 20, failed: 0 }, 'kept counts are read back');
    // …until an operator moves rows: then they are counted again.
    await s.queueAdmin.retry(Number(row.id));
    t.match(await s.campaigns.counts(me.id), { total: 30, sent: 10, cancelled: 19, queued: 1, failed: 0 }, 'recounted after an operator retry');
    await t.rejects(s.campaigns.pause(me.id), { code: 'conflict' });
  });
});

void eachDb(t, async (t, tdb) => {
  const { s } = await buildTestServices(t, tdb, { overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 100 } } });
  const { me } = await setup(s, 20);
  await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 10, bounceSample: 10, maxHardBounceRate: 0.05 });
  await s.massSender.run();
  await s.delivery.runOnce();
  const sent = await s.ctx.db.knex('outbound_queue').where({ mass_email_id: me.id, state: 'sent' }).orderBy('id').limit(2).select('id', 'recipient');
  for (const r of sent) {
    await s.ctx.db.knex('bounce_events').insert({ queue_id: r.id, recipient: r.recipient, source: 'dsn', status: '5.1.1', action: 'failed', class: 'hard', reason: 'userunknown', side: 'recipient', at: 1 });
  }
  const run = await s.massSender.run();
  t.equal(run.paused, 1, 'the guard paused it');
  const m = await s.campaigns.getMassEmail(me.id);
  t.equal(m.status, 'paused');
  t.match(m.status_reason, /hard bounces 2 of the first 10/);
  t.equal((await states(s, me.id)).held, 10, 'nothing more released');
});

void eachDb(t, async (t, tdb) => {
  await t.test('send window: nothing is released outside it', async (t) => {
    let now = Date.UTC(2026, 11, 5, 12, 0, 0); // a Saturday
    const { s } = await buildTestServices(t, tdb, { clock: { now: () => now } });
    await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 100, sendWindow: { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00', timeZone: 'Europe/Berlin' } });
    const { me } = await setup(s, 3);
    t.equal((await s.massSender.run()).released, 0, 'Saturday: closed');
    now = Date.UTC(2026, 11, 7, 8, 30, 0); // Monday 09:30 in Berlin
    t.equal((await s.massSender.run()).released, (await states(s, me.id)).queued ?? 0);
    t.ok(((await states(s, me.id)).queued ?? 0) > 0, 'Monday morning: open');
    await s.campaigns.setSettings({ sendWindow: null });
  });
});

void eachDb(t, async (t, tdb) => {
  const { s } = await buildTestServices(t, tdb);
  const { me } = await setup(s, 3);
  const other = await s.campaigns.createMassEmail({ campaignId: me.campaign_id, name: 'Other', templateId: me.template_id, accountId: me.account_id, fromAddress: 'news@ours.example', status: 'pending' }, null);
  t.equal(await s.massSender.start(me.id), true, 'started');
  // Its template goes away before the expansion: that mass email fails with the reason, the other still goes out.
  const t2 = await s.templates.create({ name: 'T2', subject: 'Other', html: '<p>x</p>', text: null, is_default: false } as never);
  await s.campaigns.updateMassEmail(other.id, { templateId: t2.id });
  await s.ctx.db.knex('templates').where({ id: me.template_id }).delete();
  await s.campaigns.setSettings({ maxPerHour: 0, portionSize: 100 });
  const run = await s.massSender.run();
  t.match(await s.campaigns.getMassEmail(me.id), { status: 'failed', status_reason: /Template not found/ });
  t.equal(run.released, 3, 'the other mass email was not held up');
});
