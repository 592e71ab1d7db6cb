/*
 * The records service on every database: one address row per normal form shared across
 * records and types, opt-out of an address for every record that holds it, former employees,
 * bulk upsert by externalId (update, not duplicate) and by address, bad rows reported by index
 * while the good rows are kept, contacts linked to (bare) accounts, CRUD, filters.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';

void eachDb(t, async (t, tdb) => {
  const { s, ctx } = await buildTestServices(t, tdb);
  const rec = s.records;
  const k = ctx.db.knex;
  const count = async (table: string) => Number(((await k(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

  await t.test('the same person as a contact and a lead is one address', async (t) => {
    const c = await rec.bulkUpsert('contact', [{ externalId: 'c1', firstName: 'John', lastName: 'Smith', email: 'John@X.com' }]);
    const l = await rec.bulkUpsert('lead', [{ externalId: 'l1', firstName: 'John', email: ' john@x.COM ' }]);
    t.same(c, { created: 1, updated: 0, errors: [] });
    t.same(l, { created: 1, updated: 0, errors: [] });
    const rows = await k('email_addresses').where('address', 'john@x.com');
    t.equal(rows.length, 1, 'one email_addresses row');
    const contact = (await rec.list('contact', { filter: { email: 'JOHN@x.com' } })).items[0]!;
    const lead = (await rec.list('lead', { filter: { email: 'john@X.COM' } })).items[0]!;
    t.match(contact, { external_id: 'c1', name: 'John Smith', emails: [{ address: 'john@x.com', primary: true, optedOut: false, blocked: false }] });
    t.match(lead, { external_id: 'l1', name: 'John', emails: [{ address: 'john@x.com', primary: true }] });
  });

  await t.test('an address opted out entirely is opted out for every record that holds it', async (t) => {
    await rec.setOptedOut(' JOHN@x.com', true);
    const contact = (await rec.list('contact', { filter: { email: 'john@x.com' } })).items[0]!;
    const lead = (await rec.list('lead', { filter: { email: 'john@x.com' } })).items[0]!;
    t.equal(contact.emails[0]!.optedOut, true);
    t.equal(lead.emails[0]!.optedOut, true);
    t.equal((await rec.list('lead', { filter: { optedOut: true } })).total, 1, 'the optedOut filter finds the lead');
    t.equal((await rec.list('contact', { filter: { optedOut: false } })).total, 0);
    t.equal(await rec.isOptedOut('john@X.com'), true);
    await rec.setOptedOut('john@x.com', false);
    t.equal((await rec.get('lead', lead.id)).emails[0]!.optedOut, false, 'and back in');
    // An address opted out before any record holds it: the record that takes it later is opted out too.
    await rec.setOptedOut('later@y.org', true);
    await rec.bulkUpsert('contact', [{ externalId: 'c-later', name: 'Later', email: 'Later@Y.org' }]);
    t.equal((await rec.byExternalId('contact', 'c-later'))!.emails[0]!.optedOut, true);
  });

  await t.test('former employees are flagged', async (t) => {
    const c = (await rec.byExternalId('contact', 'c1'))!;
    t.equal(c.former_employee, false);
    t.equal(await rec.setFormerEmployee([c.id], true), 1);
    t.equal((await rec.get('contact', c.id)).former_employee, true);
    t.equal((await rec.list('contact', { filter: { formerEmployee: true } })).total, 1);
    await rec.bulkUpsert('lead', [{ externalId: 'l2', name: 'Gone', email: 'gone@x.com', formerEmployee: true }]);
    t.equal((await rec.byExternalId('lead', 'l2'))!.former_employee, true);
    const bad = await rec.bulkUpsert('account', [{ externalId: 'a-fe', name: 'Acme', formerEmployee: true }]);
    t.match(bad.errors, [{ index: 0, message: /formerEmployee/ }], 'accounts are not employees');
  });

  await t.test('bulk upsert by externalId updates instead of duplicating', async (t) => {
    const before = await count('records');
    const r = await rec.bulkUpsert('contact', [
      { externalId: 'c1', title: 'CTO', attributes: { tier: 'gold', score: 3 } },
      { externalId: 'c3', name: 'New One', emails: ['a@one.com', 'B@one.com'], primaryEmail: 'b@one.com' },
    ]);
    t.same(r, { created: 1, updated: 1, errors: [] });
    t.equal(await count('records'), before + 1);
    const c1 = (await rec.byExternalId('contact', 'c1'))!;
    t.match(c1, { title: 'CTO', name: 'John Smith', former_employee: true, attributes: { tier: 'gold', score: 3 } }, 'fields not given are kept');
    t.same(c1.emails.map((e) => e.address), ['john@x.com'], 'addresses not given are kept');
    const c3 = (await rec.byExternalId('contact', 'c3'))!;
    t.same(c3.emails.map((e) => [e.address, e.primary]), [['b@one.com', true], ['a@one.com', false]]);
    // Again: the same rows update; attributes merge (null removes a key).
    const again = await rec.bulkUpsert('contact', [{ externalId: 'c1', attributes: { score: null, region: 'EU' } }, { externalId: 'c3', email: 'a@one.com' }]);
    t.same(again, { created: 0, updated: 2, errors: [] });
    t.same((await rec.byExternalId('contact', 'c1'))!.attributes, { tier: 'gold', region: 'EU' });
    t.same((await rec.byExternalId('contact', 'c3'))!.emails.map((e) => [e.address, e.primary]), [['a@one.com', true], ['b@one.com', false]], '`email` alone makes it primary');
    // The same externalId twice in one call: the later row wins.
    const dup = await rec.bulkUpsert('contact', [{ externalId: 'c9', name: 'First' }, { externalId: 'c9', name: 'Second' }]);
    t.same(dup, { created: 1, updated: 1, errors: [] });
    t.equal((await rec.byExternalId('contact', 'c9'))!.name, 'Second');
  });

  await t.test('a bulk with bad rows keeps the good rows and reports the bad ones by index', async (t) => {
    const r = await rec.bulkUpsert('lead', [
      { externalId: 'g1', name: 'Good 1', email: 'g1@ok.com' },
      { externalId: 'b1', email: 'not an address' },
      { name: 'no external id', email: 'x@ok.com' },
      { externalId: 'g2', name: 'Good 2', email: 'g2@ok.com', teamId: 99999 },
      { externalId: 'g3', name: 'Good 3', emails: ['g3@ok.com'], attributes: { 'bad key!': 1 } },
      { externalId: 'g4', lastName: 'Four', email: 'G4@OK.com' },
    ]);
    t.equal(r.created, 2);
    t.equal(r.updated, 0);
    t.same(r.errors.map((e) => e.index), [1, 2, 3, 4]);
    t.match(r.errors, [{ message: /email .*not a valid address/ }, { message: /externalId is required/ }, { message: /teamId 99999 does not exist/ }, { message: /attribute name/ }]);
    t.ok(await rec.byExternalId('lead', 'g1'));
    t.equal((await rec.byExternalId('lead', 'g4'))!.name, 'Four');
    t.notOk(await rec.byExternalId('lead', 'b1'));
  });

  await t.test('dry run: counts and errors, nothing kept', async (t) => {
    const before = await count('records');
    const r = await rec.bulkUpsert('lead', [{ externalId: 'dry1', name: 'Dry', email: 'dry@ok.com' }, { externalId: 'g1', name: 'Renamed' }], { dryRun: true });
    t.same(r, { created: 1, updated: 1, errors: [] });
    t.equal(await count('records'), before);
    t.equal((await rec.byExternalId('lead', 'g1'))!.name, 'Good 1');
  });

  await t.test('match by address: updates the record holding it, creates the others (no externalId needed)', async (t) => {
    const r = await rec.bulkUpsert('lead', [{ email: 'G1@ok.com', title: 'Boss' }, { email: 'fresh@ok.com', name: 'Fresh' }, { name: 'no address' }], { match: 'email' });
    t.same(r.created, 1);
    t.same(r.updated, 1);
    t.match(r.errors, [{ index: 2, message: /email is required/ }]);
    t.equal((await rec.byExternalId('lead', 'g1'))!.title, 'Boss');
    const fresh = (await rec.list('lead', { filter: { email: 'fresh@ok.com' } })).items[0]!;
    t.equal(fresh.external_id, null, 'the temporary key is gone');
  });

  await t.test('contacts link to their account, created bare when missing', async (t) => {
    await rec.bulkUpsert('account', [{ externalId: 'acc1', name: 'Acme Ltd' }]);
    const r = await rec.bulkUpsert('contact', [
      { externalId: 'k1', name: 'A', email: 'a@acme.com', accountExternalId: 'acc1' },
      { externalId: 'k2', name: 'B', email: 'b@newco.com', accountExternalId: 'acc2', accountName: 'NewCo' },
      { externalId: 'k3', name: 'C', email: 'c@byname.com', accountName: 'ByName Inc' },
      { externalId: 'k4', name: 'D', email: 'd@byname.com', accountName: 'ByName Inc' },
    ]);
    t.same(r, { created: 4, updated: 0, errors: [] });
    const acme = (await rec.byExternalId('account', 'acc1'))!;
    t.equal((await rec.byExternalId('contact', 'k1'))!.account_id, acme.id);
    t.equal((await rec.byExternalId('contact', 'k1'))!.account_name, 'Acme Ltd');
    const newco = (await rec.byExternalId('account', 'acc2'))!;
    t.equal(newco.name, 'NewCo');
    const k3 = (await rec.byExternalId('contact', 'k3'))!;
    const k4 = (await rec.byExternalId('contact', 'k4'))!;
    t.ok(k3.account_id);
    t.equal(k3.account_id, k4.account_id, 'one account by that name');
    t.equal((await rec.list('account', { filter: { fields: { name: 'ByName' } } })).total, 1);
    const lead = await rec.bulkUpsert('lead', [{ externalId: 'lx', name: 'L', accountExternalId: 'acc1' }]);
    t.match(lead.errors, [{ index: 0, message: /only contacts/ }]);
  });

  await t.test('CRUD: create, update, remove; field errors', async (t) => {
    const c = await rec.create('contact', { firstName: 'Ann', lastName: 'Lee', email: 'ann@lee.io', phone: '+1 555', attributes: { vip: true } });
    t.match(c, { name: 'Ann Lee', phone: '+1 555', attributes: { vip: true }, emails: [{ address: 'ann@lee.io', primary: true }] });
    const u = await rec.update('contact', c.id, { lastName: 'Kim', emails: ['ann@kim.io'] });
    t.match(u, { name: 'Ann Kim', emails: [{ address: 'ann@kim.io', primary: true }] });
    t.equal(u.emails.length, 1, '`emails` replaces the addresses');
    await t.rejects(rec.create('contact', { externalId: 'k1', name: 'dup' }), { code: 'validation_failed', fields: [{ field: 'externalId' }] });
    await t.rejects(rec.create('contact', { email: 'nope' }), { code: 'validation_failed', fields: [{ field: 'email' }] });
    await t.rejects(rec.create('account', {}), { code: 'validation_failed', fields: [{ field: 'name' }] });
    await t.rejects(rec.update('contact', 999999, { name: 'x' }), { code: 'not_found' });
    await rec.remove('contact', c.id);
    await t.rejects(rec.get('contact', c.id), { code: 'not_found' });
    t.equal((await k('email_addresses').where('address', 'ann@kim.io')).length, 1, 'the address stays (with its opt-out)');
  });

  await t.test('filters, search, sort and paging', async (t) => {
    const all = await rec.list('lead', { perPage: 2, sort: 'name', dir: 'asc' });
    t.equal(all.items.length, 2);
    t.ok(all.total >= 5);
    t.equal((await rec.list('lead', { q: 'good' })).total, 1, 'Good 1 (Good 2 and 3 were refused)');
    t.equal((await rec.list('lead', { filter: { emailDomain: 'OK.com' } })).total, 3, 'g1, g4, fresh');
    t.equal((await rec.list('contact', { filter: { attributes: { tier: 'gold' } } })).total, 1);
    t.equal((await rec.list('lead', { filter: { fields: { title: 'boss' } } })).total, 1);
    await k('suppressions').insert({ address: 'g4@ok.com', domain: 'ok.com', blocked: true, reason: 'userunknown', first_seen: 1, last_seen: 1, created_at: 1, updated_at: 1 });
    const blocked = await rec.list('lead', { filter: { blocked: true } });
    t.equal(blocked.total, 1);
    t.match(blocked.items[0]!.emails[0], { address: 'g4@ok.com', blocked: true, blockedReason: 'userunknown' });
  });
});
