/* A deleted record leaves every target list it was in (the records service tells target lists). */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';

void eachDb(t, async (t, tdb) => {
  const { s } = await buildTestServices(t, tdb);
  await s.records.bulkUpsert('contact', [{ externalId: 'c1', name: 'Ann', email: 'ann@x.example' }, { externalId: 'c2', name: 'Bo', email: 'bo@x.example' }]);
  const ann = (await s.records.byExternalId('contact', 'c1'))!, bo = (await s.records.byExternalId('contact', 'c2'))!;
  const a = await s.targetLists.create({ name: 'A' }), b = await s.targetLists.create({ name: 'B' });
  for (const l of [a, b]) await s.targetLists.addRecords(l.id, [{ type: 'contact', id: ann.id }, { type: 'contact', id: bo.id }]);
  await s.records.remove('contact', ann.id);
  const k = tdb.db.knex;
  const left = await k('target_list_members').where({ member_type: 'contact' }).orderBy(['list_id', 'member_id']).select('list_id', 'member_id');
  t.same(left.map((r: { member_id: number }) => Number(r.member_id)), [bo.id, bo.id], 'only Bo is left, in both lists');
});
