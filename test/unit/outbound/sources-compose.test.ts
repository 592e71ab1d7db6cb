/* Pure compose rules, table-driven: address lists, allowed From, send time, placeholders, field errors. */
import t from 'tap';
import { splitAddresses, addressOf, fromAllowed, parseSendAt, compose, type ComposeInput } from '../../../server/outbound/compose/compose.js';
import { renderPlaceholders } from '../../../server/lib/placeholders.js';
import { headerProblem } from '../../../server/outbound/compose/headerCheck.js';

t.test('splitAddresses and addressOf', async (t) => {
  t.same(splitAddresses('a@x.example, B <b@y.example>;c@z.example\n'), ['a@x.example', 'B <b@y.example>', 'c@z.example']);
  t.same(splitAddresses(['a@x.example', ' ', 'b@y.example,c@z.example']), ['a@x.example', 'b@y.example', 'c@z.example']);
  t.same(splitAddresses(undefined), []);
  for (const [input, want] of [
    ['a@Example.COM', 'a@example.com'], ['"Ann B" <ann@ex.example>', 'ann@ex.example'], ['<x@ex.example>', 'x@ex.example'],
    ['x%y@ex.example', null], ['@route:x@ex.example', null], ['noat', null], ['a@[127.0.0.1]', null], ['a@ex.example\r\nBcc: v@x.example', null],
  ] as const) t.equal(addressOf(input), want, input);
});

t.test('fromAllowed: addresses exact, domains exact, [] allows any', async (t) => {
  const allowed = ['ours.example', 'Boss@Other.example', '@third.example'];
  for (const [addr, want] of [
    ['news@ours.example', true], ['NEWS@OURS.EXAMPLE', true], ['x@sub.ours.example', false], ['x@ours.example.evil', false],
    ['boss@other.example', true], ['clerk@other.example', false], ['a@third.example', true],
  ] as const) t.equal(fromAllowed(addr, allowed), want, addr);
  t.equal(fromAllowed('anyone@anywhere.example', []), true);
});

t.test('parseSendAt', async (t) => {
  t.equal(parseSendAt(undefined), null);
  t.equal(parseSendAt(''), null);
  t.equal(parseSendAt(1_800_000_000_000), 1_800_000_000_000);
  t.equal(parseSendAt('1800000000000'), 1_800_000_000_000);
  t.equal(parseSendAt('2027-01-02T03:04'), Date.UTC(2027, 0, 2, 3, 4), 'datetime-local is UTC');
  t.equal(parseSendAt('2027-01-02T03:04:00+02:00'), Date.UTC(2027, 0, 2, 1, 4));
  t.equal(parseSendAt('tomorrow'), 'invalid');
  t.equal(parseSendAt(-5), 'invalid');
});

t.test('placeholders: paths, escaping in HTML only, unknown left visible, never code', async (t) => {
  const data = { Person: { firstName: '<A&B>', age: 3 }, optOutUrl: 'https://x.example/u?a=1&b=2' };
  t.equal(renderPlaceholders('Hi {Person.firstName}', data, false), 'Hi <A&B>');
  t.equal(renderPlaceholders('<p>{Person.firstName} {Person.age}</p>', data, true), '<p>&lt;A&amp;B&gt; 3</p>');
  t.equal(renderPlaceholders('<a href="{optOutUrl}">', data, true), '<a href="https://x.example/u?a=1&amp;b=2">');
  t.equal(renderPlaceholders('{Person.missing} {Nope} {Person}', data, true), '{Person.missing} {Nope} {Person}');
  t.equal(renderPlaceholders('{constructor.name} {__proto__}', data, false), '{constructor.name} {__proto__}', 'no prototype walking');
  t.equal(renderPlaceholders('{ Person.firstName } {1+1} ${Person.firstName}', data, false), '{ Person.firstName } {1+1} $<A&B>');
});

t.test('headerProblem', async (t) => {
  t.equal(headerProblem('fine subject ✓'), null);
  t.match(headerProblem('a\rb'), /CR\/LF/);
  t.match(headerProblem('a\nb'), /CR\/LF/);
  t.match(headerProblem('a\x00b'), /NUL/);
  t.match(headerProblem('a\x07b'), /Control/);
});

t.test('compose: all field errors at once; a valid message', async (t) => {
  const account = { id: 1, name: 'acct', allowed_from: ['ours.example'], from_name: 'Ours', message_type_id: 7, active: true };
  const deps = { account, template: undefined, now: 1_000_000, render: renderPlaceholders, messageTypeExists: true };
  const bad = compose({ from: 'x@evil.example', to: 'bad', subject: 'a\nb', html: '', sendAt: 'x', idempotencyKey: 'has space' } as ComposeInput, deps);
  t.equal(bad.ok, false);
  if (!bad.ok) t.same(bad.fields.map((f) => f.field).sort(), ['from', 'html', 'idempotencyKey', 'sendAt', 'subject', 'to']);
  const inactive = compose({ from: 'a@ours.example', to: 'b@x.example', subject: 's', text: 't' }, { ...deps, account: { ...account, active: false } });
  t.match(inactive, { ok: false, fields: [{ field: 'accountId' }] });
  const ok = compose({ from: 'a@ours.example', to: ['b@x.example', 'B@X.example'], cc: 'b@x.example, c@x.example', subject: ' s ', html: '<p>Hi</p>', sendAt: 2_000_000 }, deps);
  t.ok(ok.ok);
  if (ok.ok) {
    t.same(ok.value.recipients, [{ address: 'b@x.example', kind: 'to' }, { address: 'c@x.example', kind: 'cc' }], 'one copy per address');
    t.match(ok.value, { accountId: 1, messageTypeId: 7, fromName: 'Ours', subject: 's', text: 'Hi', sendAt: 2_000_000 });
  }
  const tpl = compose({ from: 'a@ours.example', to: 'b@x.example', data: { Person: { firstName: 'Z' } } }, { ...deps, template: { subject: 'T {Person.firstName}', html: '<b>{Person.firstName}</b>', text: null } });
  t.match(tpl, { ok: true, value: { subject: 'T Z', html: '<b>Z</b>', text: 'Z' } });
  const big = compose({ from: 'a@ours.example', to: 'b@x.example', subject: 's', text: 't', attachments: [{ filename: 'f', contentBase64: Buffer.alloc(21 * 1024 * 1024).toString('base64') }] }, deps);
  t.match(big, { ok: false, fields: [{ field: 'attachments' }] });
});
