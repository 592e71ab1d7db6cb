/*
 * Admin-UI helpers without a server: list-page query parsing, sort / pager links that keep
 * filters, and form-body readers with AppError → per-field messages.
 */
import t from 'tap';
import { listLinks, listQueryFrom } from '../../../server/http/ui/render.js';
import { str, bool, ids, formErrors, firstValues } from '../../../server/http/ui/forms.js';
import { AppError, invalid, conflict } from '../../../server/errors.js';

const page = (over: Record<string, unknown> = {}) => ({ items: [], total: 60, page: 2, perPage: 25, sort: 'name', dir: 'asc' as const, ...over });

t.test('listQueryFrom', async (t) => {
  const cases: Array<[Record<string, string | undefined>, string[], ReturnType<typeof listQueryFrom>]> = [
    [{}, [], { sort: undefined, dir: undefined, q: undefined, page: undefined, perPage: undefined, filters: {} }],
    [{ sort: 'name', dir: 'desc', q: 'bob', page: '3', perPage: '10' }, [], { sort: 'name', dir: 'desc', q: 'bob', page: 3, perPage: 10, filters: {} }],
    [{ dir: 'sideways', page: '-1', perPage: '1e3' }, [], { sort: undefined, dir: undefined, q: undefined, page: undefined, perPage: undefined, filters: {} }],
    [{ role: 'agent', active: '', evil: 'x' }, ['role', 'active'], { sort: undefined, dir: undefined, q: undefined, page: undefined, perPage: undefined, filters: { role: 'agent', active: undefined } }],
  ];
  for (const [q, filters, want] of cases) t.same(listQueryFrom(q, filters), want, JSON.stringify(q));
  t.equal(listQueryFrom({ q: 'x'.repeat(500) }).q!.length, 200, 'search text is capped');
});

t.test('listLinks', async (t) => {
  const l = listLinks('/admin/teams', { q: 'sales', role: '', page: '2' }, page());
  t.equal(l.pages, 3);
  t.equal(l.prev, '/admin/teams?q=sales&page=1');
  t.equal(l.next, '/admin/teams?q=sales&page=3');
  t.equal(l.sortHref('name'), '/admin/teams?q=sales&page=1&sort=name&dir=desc', 'the current column flips, back to page 1');
  t.equal(l.sortHref('created_at'), '/admin/teams?q=sales&page=1&sort=created_at&dir=asc');
  t.equal(l.sortMark('name'), '▲');
  t.equal(l.sortMark('created_at'), '');
  t.equal(l.ariaSort('name'), 'ascending');
  t.equal(l.ariaSort('created_at'), 'none');
  const d = listLinks('/admin/teams', {}, page({ dir: 'desc', page: 1, total: 0 }));
  t.equal(d.pages, 1, 'an empty list still has one page');
  t.equal(d.prev, null);
  t.equal(d.next, null);
  t.equal(d.ariaSort('name'), 'descending');
  t.equal(d.sortHref('name'), '/admin/teams?sort=name&dir=asc&page=1');
  t.equal(listLinks('/x', { q: 'a&b=c' }, page({ page: 1 })).next, '/x?q=a%26b%3Dc&page=2', 'values are URL-encoded');
});

t.test('form readers', async (t) => {
  const b = { name: ' Bob ', many: ['first', 'second'], on: 'on', off: '', yes: 'true', idsOne: '7', idsMany: ['1', 'x', '3', '-4'] };
  t.equal(str(b, 'name'), ' Bob ');
  t.equal(str(b, 'many'), 'first', 'a repeated field gives its first value');
  t.equal(str(b, 'missing'), '');
  t.same([bool(b, 'on'), bool(b, 'yes'), bool(b, 'off'), bool(b, 'missing')], [true, true, false, false]);
  t.same(ids(b, 'idsOne'), [7]);
  t.same(ids(b, 'idsMany'), [1, 3], 'only plain numbers');
  t.same(ids(b, 'missing'), []);
});

t.test('firstValues: one value per query parameter', async (t) => {
  const cases: Array<[unknown, Record<string, string>]> = [
    [undefined, {}], [null, {}], [{}, {}],
    [{ q: 'a' }, { q: 'a' }],
    [{ q: ['a', 'b'], page: ['2', '3'], sort: 'name' }, { q: 'a', page: '2', sort: 'name' }],
    [{ q: [], kind: undefined }, {}],
    [{ n: 5, b: true }, { n: '5', b: 'true' }],
  ];
  for (const [q, want] of cases) t.same(firstValues(q), want, JSON.stringify(q));
});

t.test('formErrors', async (t) => {
  t.same(formErrors(invalid([{ field: 'email', message: 'is not an email address' }, { field: 'name', message: 'is required' }])),
    { errors: { email: 'is not an email address', name: 'is required' }, error: 'Some fields are not valid' });
  t.same(formErrors(conflict('This is the last active admin')), { errors: {}, error: 'This is the last active admin' });
  t.equal(formErrors(new AppError('internal', 'db exploded')), null, 'a 5xx is not a form problem');
  t.equal(formErrors(new Error('plain')), null);
  t.equal(formErrors('string'), null);
});
