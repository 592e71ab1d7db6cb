/* The CSV form of records: header names → fields (any case, snake_case, aliases), rows → inputs with their problem, export cells. */
import t from 'tap';
import { Readable } from 'node:stream';
import { fieldOf, mapHeader, parseBool, rowToInput, exportHeader, exportRow, type ExportRecord } from '../../../server/records/csv.js';
import { importRecordsCsv, type BulkUpsert } from '../../../server/records/import.js';
import type { RecordInput } from '../../../server/records/types.js';

t.test('header names → fields', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['externalId', 'externalId'], ['external_id', 'externalId'], ['EXTERNAL_ID', 'externalId'], ['External Id', 'externalId'], ['externalid', 'externalId'],
    ['firstName', 'firstName'], ['first_name', 'firstName'], ['FirstName', 'firstName'], ['last_name', 'lastName'], ['LASTNAME', 'lastName'],
    ['name', 'name'], ['Name', 'name'], ['email', 'email'], ['E-Mail', 'email'], ['e-mail', 'email'], ['email_address', 'email'], ['EMAIL', 'email'],
    ['emails', 'emails'], ['Emails', 'emails'], ['account_external_id', 'accountExternalId'], ['accountExternalId', 'accountExternalId'],
    ['account_name', 'accountName'], ['accountname', 'accountName'], ['title', 'title'], ['Job Title', 'title'], ['phone', 'phone'], ['PHONE', 'phone'],
    ['former_employee', 'formerEmployee'], ['formerEmployee', 'formerEmployee'], [' first_name ', 'firstName'],
    ['industry', null], ['Lead Source', null], ['attribute:email', null], ['id', null],
  ];
  for (const [h, f] of cases) t.equal(fieldOf(h), f, JSON.stringify(h));
});

t.test('mapHeader: attributes, duplicates, the match column', async (t) => {
  const { map, problems } = mapHeader(['External_ID', 'E-mail', 'Industry', '', 'attribute:phone', '\uFEFFx']);
  t.same(problems, []);
  t.same(map.columns, [{ field: 'externalId' }, { field: 'email' }, { attribute: 'Industry' }, null, { attribute: 'phone' }, { attribute: 'x' }]);
  t.match(mapHeader(['externalId', 'external_id']).problems, [/repeats the externalId column/]);
  t.match(mapHeader(['externalId', 'x', 'x']).problems, [/appears twice/]);
  t.match(mapHeader(['email']).problems, [/no externalId column/]);
  t.same(mapHeader(['email'], 'email').problems, []);
  t.same(mapHeader(['emails'], 'email').problems, []);
  t.match(mapHeader(['externalId'], 'email').problems, [/no email or emails column/]);
});

t.test('formerEmployee values', async (t) => {
  const cases: Array<[string, boolean | undefined | null]> = [
    ['yes', true], ['YES', true], ['y', true], ['true', true], ['True', true], ['1', true],
    ['no', false], ['No', false], ['n', false], ['false', false], ['0', false], ['', undefined], [' ', undefined], ['maybe', null], ['2', null],
  ];
  for (const [v, b] of cases) t.equal(parseBool(v), b, JSON.stringify(v));
});

t.test('rows → inputs, with the problem of a bad row', async (t) => {
  const { map } = mapHeader(['externalId', 'first_name', 'Last Name', 'email', 'emails', 'former_employee', 'Industry', 'account_external_id']);
  const row = (cells: string[], match: 'externalId' | 'email' = 'externalId') => rowToInput(cells, map, match);
  t.same(row(['c1', 'Ann', 'Lee', 'ann@x.com', '', 'yes', 'Retail', 'a1']).input,
    { externalId: 'c1', firstName: 'Ann', lastName: 'Lee', email: 'ann@x.com', formerEmployee: true, attributes: { Industry: 'Retail' }, accountExternalId: 'a1' });
  t.same(row(['c2', '', '', '', '', '', '', '']).input, { externalId: 'c2' }, 'empty cells are left out');
  t.same(row(['c3', ' Bo ', '', 'bo@x.com', 'b2@x.com; b3@x.com;;BO@x.com', 'no', '', '']).input,
    { externalId: 'c3', firstName: 'Bo', emails: ['bo@x.com', 'b2@x.com', 'b3@x.com'], primaryEmail: 'bo@x.com', formerEmployee: false },
    'email is the primary, emails the others, one address once');
  t.same(row(['c4', '', '', '', 'p@x.com;q@x.com', '', '', '']).input, { externalId: 'c4', emails: ['p@x.com', 'q@x.com'], primaryEmail: 'p@x.com' });
  t.same(row(['c5', "'=cmd", '', '', '', '', "'+1", '']).input, { externalId: 'c5', firstName: '=cmd', attributes: { Industry: '+1' } }, 'a guarded cell is restored');
  t.same(row(['c6', 'Ann']).input, { externalId: 'c6', firstName: 'Ann' }, 'a short row is fine');
  t.equal(row(['', 'Ann', '', '', '', '', '', '']).problem, 'externalId is empty');
  t.match(row(['c7', '', '', 'not-an-address', '', '', '', '']).problem, /"not-an-address" is not an email address/);
  t.match(row(['c8', '', '', '', 'a@x.com;nope', '', '', '']).problem, /"nope" is not an email address/);
  t.match(row(['c9', '', '', '', '', 'maybe', '', '']).problem, /formerEmployee must be yes or no/);
  t.match(row(['c10', '', '', '', '', '', '', '', 'extra']).problem, /9 fields, the header 8/);
  t.same(row(['c11', '', '', '', '', '', '', '', '']).input, { externalId: 'c11' }, 'an empty extra cell (a trailing comma) is fine');
  t.same(row(['', 'Ann', '', 'ann@x.com', '', '', '', ''], 'email').input, { firstName: 'Ann', email: 'ann@x.com' }, 'match by address needs no externalId');
  t.match(row(['c12', 'Ann', '', '', '', '', '', ''], 'email').problem, /no email address to match on/);
});

t.test('export header and cells: neutralised, attribute clashes prefixed, columns map back', async (t) => {
  const cols = exportHeader('contact', ['zeta', 'Email', '=evil', 'alpha']);
  t.same(cols.header.slice(0, 11), ['externalId', 'name', 'firstName', 'lastName', 'title', 'phone', 'email', 'emails', 'accountExternalId', 'accountName', 'formerEmployee']);
  t.same(cols.header.slice(11), ["'=evil", 'attribute:Email', 'alpha', 'zeta']);
  t.notOk(exportHeader('account', []).header.includes('accountName'), 'accounts have no account columns');
  const rec: ExportRecord = {
    externalId: 'c1', name: 'Ann Lee', firstName: '=HYPERLINK("x")', lastName: 'Lee', title: null, phone: '+1 555', emails: ['b@x.com', 'a@x.com', 'c@x.com'],
    primaryEmail: 'a@x.com', accountExternalId: 'a1', accountName: 'Acme', formerEmployee: false, attributes: { Email: 'other', alpha: 3, zeta: null },
  };
  const cells = exportRow(rec, cols);
  t.same(cells, ['c1', 'Ann Lee', '\'=HYPERLINK("x")', 'Lee', '', "'+1 555", 'a@x.com', 'b@x.com;c@x.com', 'a1', 'Acme', 'no', '', 'other', '3', '']);
  const { map, problems } = mapHeader(cols.header);
  t.same(problems, []);
  t.same(rowToInput(cells, map).input, {
    externalId: 'c1', name: 'Ann Lee', firstName: '=HYPERLINK("x")', lastName: 'Lee', phone: '+1 555', emails: ['a@x.com', 'b@x.com', 'c@x.com'],
    primaryEmail: 'a@x.com', accountExternalId: 'a1', accountName: 'Acme', formerEmployee: false, attributes: { Email: 'other', alpha: '3' },
  });
});

function fakeBulk(calls: RecordInput[][], bad: (i: RecordInput) => string | null = () => null): BulkUpsert {
  return async (_type, items) => {
    calls.push(items);
    const errors = items.flatMap((it, index) => { const m = bad(it); return m ? [{ index, message: m }] : []; });
    return { created: items.length - errors.length, updated: 0, errors };
  };
}

t.test('import: batches, errors by CSV line (multi-line fields and blank lines counted), progress', async (t) => {
  const csv = [
    'externalId,first_name,notes,email', // 1
    'c1,Ann,,ann@x.com', // 2
    'c2,Bo,"two', // 3
    'lines",bo@x.com', // 4
    '', // 5
    ',Cy,,cy@x.com', // 6: no externalId
    'c4,Di,,refused@x.com', // 7: refused by the service
    'c5,Ed,"a ""quoted""\r\nthree\nline",', // 8-10
    'c6,Flo,,bad-address', // 11
    'c7,Gus,,g@x.com', // 12
  ].join('\n');
  const calls: RecordInput[][] = [];
  const progress: number[] = [];
  const sum = await importRecordsCsv(Readable.from([csv]), fakeBulk(calls, (i) => (i.email === 'refused@x.com' ? 'address refused' : null)),
    { type: 'contact', batchSize: 2, onProgress: (p) => progress.push(p.rows) });
  t.same(sum.errors, [
    { line: 6, message: 'externalId is empty' }, { line: 7, message: 'address refused' }, { line: 11, message: '"bad-address" is not an email address' },
  ]);
  t.match(sum, { rows: 7, created: 4, updated: 0, failed: 3, dryRun: false });
  t.same(calls.map((b) => b.map((i) => i.externalId)), [['c1', 'c2'], ['c4', 'c5'], ['c7']]);
  t.same(calls[0]![1]!.attributes, { notes: 'two\nlines' });
  t.same(progress.at(-1), 7);
});

t.test('import: a bad header stops before any write; an unreadable record is reported by line', async (t) => {
  const calls: RecordInput[][] = [];
  await t.rejects(importRecordsCsv(Readable.from(['first_name,email\nAnn,a@x.com\n']), fakeBulk(calls), { type: 'contact' }), { code: 'validation_failed', fields: [{ message: /line 1: there is no externalId column/ }] });
  await t.rejects(importRecordsCsv(Readable.from(['']), fakeBulk(calls), { type: 'contact' }), { code: 'validation_failed', fields: [{ message: /empty/ }] });
  t.same(calls, []);
  const sum = await importRecordsCsv(Readable.from(['externalId,name\nc1,A\nc2,"B"x\n']), fakeBulk(calls), { type: 'contact', dryRun: true });
  t.match(sum, { created: 1, dryRun: true });
  t.match(sum.errors[0], { line: 3, message: /unreadable CSV: Invalid Closing Quote/ });
  t.equal(sum.failed, sum.errors.length);
});

t.test('import: at most 1,000 errors kept, every failure counted', async (t) => {
  const rows = Array.from({ length: 1500 }, (_, i) => `,row${i}`).join('\n');
  const sum = await importRecordsCsv(Readable.from([`externalId,name\n${rows}\n`]), fakeBulk([]), { type: 'contact' });
  t.equal(sum.failed, 1500);
  t.equal(sum.errors.length, 1000);
  t.same(sum.errors[0], { line: 2, message: 'externalId is empty' });
});
