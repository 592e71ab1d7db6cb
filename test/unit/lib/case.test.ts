/* Key case at the API edge: camelCase of column names, snakeCase of sort fields, camelKeys of flat rows. */
import t from 'tap';
import { camelCase, camelKeys, snakeCase, type CamelCase } from '../../../server/lib/case.js';

const camel: Array<[string, string]> = [
  ['id', 'id'],
  ['created_at', 'createdAt'],
  ['rate_per_second', 'ratePerSecond'],
  ['has_password', 'hasPassword'],
  ['alreadyCamel', 'alreadyCamel'],
  ['teamIds', 'teamIds'],
  ['a__b', 'aB'],
  ['trailing_', 'trailing'],
  ['_leading', 'Leading'],
  ['ipv4_1st', 'ipv41st'],
  ['', ''],
];
t.test('camelCase', async (t) => { for (const [i, o] of camel) t.equal(camelCase(i), o, i); });

const snake: Array<[string, string]> = [
  ['id', 'id'],
  ['createdAt', 'created_at'],
  ['lastLoginAt', 'last_login_at'],
  ['bounceCount', 'bounce_count'],
  ['created_at', 'created_at'],
  ['', ''],
];
t.test('snakeCase', async (t) => { for (const [i, o] of snake) t.equal(snakeCase(i), o, i); });

t.test('snakeCase and camelCase round-trip a column name', async (t) => {
  for (const c of ['created_at', 'message_type_id', 'last_error_at', 'name']) t.equal(snakeCase(camelCase(c)), c, c);
});

t.test('camelKeys renames the keys of a flat row and leaves values alone', async (t) => {
  const nested = { mailbox_id: 1 };
  const row = { id: 7, created_at: 1_700_000_000_000, last_error: null, allowed_from: ['a.example'], nested_obj: nested, teamIds: [1, 2] };
  const out = camelKeys(row);
  t.same(out, { id: 7, createdAt: 1_700_000_000_000, lastError: null, allowedFrom: ['a.example'], nestedObj: nested, teamIds: [1, 2] });
  t.equal(out.nestedObj, nested, 'nested objects are not copied or renamed');
  t.same(Object.keys(out.nestedObj), ['mailbox_id']);
  t.same(row, { id: 7, created_at: 1_700_000_000_000, last_error: null, allowed_from: ['a.example'], nested_obj: nested, teamIds: [1, 2] }, 'input untouched');
  t.same(camelKeys({}), {});
});

t.test('the key type follows the runtime rule', async (t) => {
  const k1: CamelCase<'rate_per_second'> = 'ratePerSecond';
  const k2: CamelCase<'a__b'> = 'aB';
  const k3: CamelCase<'id'> = 'id';
  t.same([k1, k2, k3], [camelCase('rate_per_second'), camelCase('a__b'), camelCase('id')]);
  const typed: { createdAt: number; lastError: string | null } = camelKeys({ created_at: 1, last_error: null as string | null });
  t.same(typed, { createdAt: 1, lastError: null });
});
