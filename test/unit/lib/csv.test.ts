/* CSV cell neutralising (OWASP CSV injection): table-driven, and the import-side inverse round-trips every cell. */
import t from 'tap';
import { neutralizeCell, restoreCell } from '../../../server/lib/csv.js';

const cases: Array<[string, string, string]> = [
  ['formula', '=HYPERLINK("http://evil.test","x")', `'=HYPERLINK("http://evil.test","x")`],
  ['plus', '+1-555-0100', `'+1-555-0100`],
  ['minus', '-2+3', `'-2+3`],
  ['at', '@SUM(A1:A2)', `'@SUM(A1:A2)`],
  ['tab', '\t=1', `'\t=1`],
  ['carriage return', '\r=1', `'\r=1`],
  ['an address starting with = (valid atext)', '=x@example.com', `'=x@example.com`],
  ['an address starting with -', '-list@example.com', `'-list@example.com`],
  ['an apostrophe before a trigger is escaped once more', `'=x@example.com`, `''=x@example.com`],
  ['a plain address', 'jane@example.com', 'jane@example.com'],
  ['a trigger later in the cell', 'a=b@example.com', 'a=b@example.com'],
  ['an apostrophe alone', `'quoted`, `'quoted`],
  ['empty', '', ''],
  ['a leading space', ' =1', ' =1'],
];

t.test('neutralizeCell', async (t) => {
  for (const [name, input, want] of cases) t.equal(neutralizeCell(input), want, name);
});

t.test('restoreCell undoes neutralizeCell for every case, and leaves other cells alone', async (t) => {
  for (const [name, input] of cases) t.equal(restoreCell(neutralizeCell(input)), input, name);
  t.equal(restoreCell(`'quoted`), `'quoted`, 'an apostrophe not before a trigger is data');
  t.equal(restoreCell('jane@example.com'), 'jane@example.com');
});
