/*
 * Target lists through the service, on both databases: filter then select all adds every
 * match (in id-range batches, beyond any page) and nothing else; dynamic lists report what an
 * evaluation added and removed; a per-list opt-out is not an address opted out entirely.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { seedRecords, contacts } from './seed.js';

t.test('target lists (service)', async (t) => {
  await eachDb(t, async (t, tdb) => {
    const { s } = await buildTestServices(t, tdb);
    const k = tdb.db.knex;
    const ids = await seedRecords(k, 'contact', contacts(500));
    const leads = await seedRecords(k, 'lead', [{ externalId: 'l1', name: 'Lead One', email: 'l1@match.example' }]);
    const tl = s.targetLists;
    await s.auth.createUser({ username: 'agnes', name: 'Agnes', role: 'agent', active: true, password: 'agent password 1', email: 'agnes@example.org', teamIds: [] });

    await t.test('filter then select all: every match, in batches, nothing else', async (t) => {
      const l = await tl.create({ name: 'Match' });
      const steps: number[] = [];
      const r = await tl.addByFilter(l.id, { type: 'contact', emailDomain: 'match.example' }, { batchSize: 64, onProgress: (p) => steps.push(p.checkpoint) });
      t.equal(r.added, 250, '250 matches added');
      t.ok(r.batches >= 8, `walked ${r.batches} id-range batches`);
      t.same(steps, [...steps].sort((a, b) => a - b), 'the checkpoint only moves forward');
      t.equal(r.checkpoint, ids.at(-1), 'the checkpoint ends at the last id');
      const page = await tl.members(l.id, 'contact', { perPage: 50 });
      t.equal(page.total, 250);
      t.equal(page.items.length, 50, 'one page holds 50; the list holds all 250');
      const all = await k('target_list_members').where({ list_id: l.id }).select('member_id', 'member_type');
      t.ok(all.every((m) => m.member_type === 'contact' && Number(m.member_id) % 2 === ids[0]! % 2), 'only odd contacts (the matches)');
      t.notOk(all.some((m) => Number(m.member_id) === leads[0]), 'the lead at the same domain is not a contact match');
      const again = await tl.addByFilter(l.id, { type: 'contact', emailDomain: 'match.example' });
      t.equal(again.added, 0, 'duplicates are skipped');
      const resumed = await tl.addByFilter(l.id, { type: 'contact', attributes: { tier: 'silver' } }, { from: ids[400]! });
      t.equal(resumed.added, 50, 'resuming from a checkpoint adds only the rest');
      t.equal((await tl.counts(l.id)).contact, 300);
      t.equal(await tl.previewCount({ type: 'contact', attributes: { tier: 'gold' } }), 250, 'preview count');
      t.equal(await tl.previewCount([{ type: 'contact', emailDomain: 'match.example' }, { type: 'lead' }]), 251, 'preview of several filters');
    });

    await t.test('add and remove singly and in bulk, mixed types', async (t) => {
      const l = await tl.create({ name: 'Mixed', description: 'by hand' });
      const r = await tl.addRecords(l.id, [{ type: 'contact', externalId: 'c1' }, { type: 'contact', id: ids[1]! }, { type: 'lead', externalId: 'l1' }, { type: 'user', externalId: 'agnes' }, { type: 'contact', externalId: 'nope' }]);
      t.same(r, { added: 4, notFound: [4] });
      const c = await tl.counts(l.id);
      t.same({ account: c.account, contact: c.contact, lead: c.lead, user: c.user, total: c.total }, { account: 0, contact: 2, lead: 1, user: 1, total: 4 });
      t.same(await tl.removeMembers(l.id, 'contact', [ids[0]!]), { removed: 1 });
      t.same((await tl.removeRecords(l.id, [{ type: 'lead', externalId: 'l1' }])).removed, 1);
      t.equal((await tl.counts(l.id)).total, 2);
      const byFilter = await tl.removeByFilter(l.id, { type: 'contact' });
      t.equal(byFilter.removed, 1, 'remove by filter');
    });

    await t.test('per-list opt-out is not opted out entirely', async (t) => {
      const a = await tl.create({ name: 'A' });
      const b = await tl.create({ name: 'B' });
      await tl.addRecords(a.id, [{ type: 'contact', id: ids[2]! }]);
      await tl.addRecords(b.id, [{ type: 'contact', id: ids[2]! }]);
      t.same(await tl.setOptedOut(a.id, 'contact', [ids[2]!], true), { changed: 1 });
      t.same(await tl.member(a.id, 'contact', ids[2]!), { opted_out: true }, 'opted out of A');
      t.same(await tl.member(b.id, 'contact', ids[2]!), { opted_out: false }, 'still in B');
      const addr = await k('email_addresses').where({ address: 'c3@match.example' }).first();
      t.notOk(Boolean(Number(addr.opted_out)), 'the address is not opted out entirely');
      t.equal((await tl.counts(a.id)).optedOut, 1);
      const page = await tl.members(a.id, 'contact', {});
      t.equal(page.items[0]!.opted_out, true);
      t.equal(page.items[0]!.email, 'c3@match.example');
    });

    await t.test('dynamic list: evaluate reports added and removed', async (t) => {
      const l = await tl.create({ name: 'Gold', kind: 'dynamic', criteria: [{ type: 'contact', attributes: { tier: 'gold' }, fields: { firstName: 'First1' } }] });
      // First1, First10..19, First100..199 with tier gold (odd): 1 + 5 + 50 = 56
      t.same(await tl.previewEvaluation(l.id), { matches: 56, wouldAdd: 56, wouldRemove: 0 });
      const e1 = await tl.evaluate(l.id);
      t.equal(e1.added, 56); t.equal(e1.removed, 0);
      // Change the data: c11 leaves gold, c2 becomes First1-ish gold.
      await k('records').where({ id: ids[10]! }).update({ attributes: JSON.stringify({ tier: 'silver' }) });
      await k('records').where({ id: ids[1]! }).update({ first_name: 'First1b', attributes: JSON.stringify({ tier: 'gold' }) });
      // A member opted out of the list stays through evaluation even when it no longer matches.
      await tl.setOptedOut(l.id, 'contact', [ids[12]!], true);
      await k('records').where({ id: ids[12]! }).update({ attributes: JSON.stringify({ tier: 'silver' }) });
      t.same(await tl.previewEvaluation(l.id), { matches: 55, wouldAdd: 1, wouldRemove: 1 });
      const e2 = await tl.evaluate(l.id);
      t.same([e2.added, e2.removed], [1, 1], 'added 1, removed 1');
      const row = await tl.get(l.id);
      t.same([row.last_added, row.last_removed], [1, 1], 'stored with the list');
      t.ok(row.evaluated_at, 'evaluated_at stored');
      t.equal(row.counts!.contact, 56, '55 matches + 1 opted out of this list');
      t.same(await tl.evaluateForSend([l.id]), [{ id: l.id, added: 0, removed: 0 }], 'evaluated when a mass email starts');
      await t.rejects(tl.evaluate((await tl.create({ name: 'static one' })).id), { code: 'validation_failed' });
    });

    await t.test('validation', async (t) => {
      await t.rejects(tl.create({ name: '' }), { code: 'validation_failed' });
      await t.rejects(tl.create({ name: 'Match' }), { code: 'validation_failed' });
      const l = await tl.create({ name: 'V' });
      await t.rejects(tl.addByFilter(l.id, { type: 'robot' }), { code: 'validation_failed' });
      await t.rejects(tl.addByFilter(l.id, { type: 'contact', fields: { password: 'x' } }), { code: 'validation_failed' });
      await t.rejects(tl.addByFilter(999999, { type: 'contact' }), { code: 'not_found' });
    });
  });
});
