/*
 * The address key: one person written several ways is one address; non-addresses are null. The
 * key is the one the suppression list and the outbound queue use (parseMailbox, lower-cased).
 */
import t from 'tap';
import { normalizeEmail } from '../../../server/records/normalize.js';
import { parseMailbox } from '../../../server/lib/addresses.js';

const accepted: Array<[string, string]> = [
  ['John@X.com', 'john@x.com'],
  [' John@X.com ', 'john@x.com'],
  [' john@x.COM ', 'john@x.com'],
  ['\tjohn@x.com\n', 'john@x.com'],
  ['<John@X.com>', 'john@x.com'],
  [' <John@X.com> ', 'john@x.com'],
  ['anna@Exämple.com', 'anna@xn--exmple-cua.com'],
  ['anna@EXÄMPLE.COM', 'anna@xn--exmple-cua.com'],
  ['anna@xn--exmple-cua.com', 'anna@xn--exmple-cua.com'],
  ['info@bücher.de', 'info@xn--bcher-kva.de'],
  ['a.b+tag@sub.example.org.', 'a.b+tag@sub.example.org'],
  ["o'brien@example.ie", "o'brien@example.ie"],
  ['user_name-1{x}@example.com', 'user_name-1{x}@example.com'],
  ['Jürgen@example.de', 'jürgen@example.de'],
  ['"john doe"@example.com', '"john doe"@example.com'],
  [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  [`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`, `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
];
for (const [raw, want] of accepted) {
  t.equal(normalizeEmail(raw), want, `accepts ${JSON.stringify(raw)}`);
  // The same key as the suppression list / outbound queue compute, and idempotent.
  const p = parseMailbox(raw, { smtputf8: true });
  t.equal(p.ok && p.address.toLowerCase(), want, `parseMailbox agrees on ${JSON.stringify(raw)}`);
  t.equal(normalizeEmail(want), want, `stable: ${JSON.stringify(want)}`);
}

const refused: Array<[string | null | undefined, string]> = [
  ['', 'empty'],
  ['   ', 'blank'],
  ['<>', 'empty angle brackets'],
  [null, 'null'],
  [undefined, 'undefined'],
  ['no-at-sign', 'no @'],
  ['@x.com', 'no local part (source route)'],
  ['a@', 'no domain'],
  ['a@b@x.com', 'two @'],
  ['a@@x.com', 'two @ in a row'],
  ['a@localhost', 'single-label domain'],
  ['a@-x.com', 'label starting with a hyphen'],
  ['a@x_y.com', 'underscore in the domain'],
  ['a@[127.0.0.1]', 'address literal'],
  ['@a.com:b@x.com', 'source route'],
  ['a%b@x.com', 'percent hack'],
  ['a!b@x.com', 'bang path'],
  ['"a@b"@x.com', 'quoted local part hiding an @'],
  ['a..b@x.com', 'double dot'],
  ['.a@x.com', 'leading dot'],
  ['a.@x.com', 'trailing dot'],
  ['a b@x.com', 'space in the local part'],
  ['John Doe <john@x.com>', 'display-name form'],
  ['"John Doe" <john@x.com>', 'quoted display-name form'],
  ['john@x.com (John)', 'trailing comment (obsolete CFWS)'],
  ['(John) john@x.com', 'leading comment'],
  ['john @ x.com', 'spaces around the @ (obsolete syntax)'],
  ['"john"."doe"@x.com', 'obsolete local part of quoted words'],
  ['john@x.com, ann@y.com', 'a list'],
  ['john@x.com;', 'trailing separator'],
  ['<john@x.com', 'unbalanced angle bracket'],
  ['jo\u0000hn@x.com', 'control character'],
  [`${'a'.repeat(65)}@example.com`, 'local part over 64 octets'],
  [`${'ä'.repeat(33)}@example.com`, 'local part over 64 octets (UTF-8)'],
  [`a@${'b'.repeat(64)}.com`, 'domain label over 63'],
  [`${'a'.repeat(60)}@${Array(4).fill('b'.repeat(60)).join('.')}.com`, 'address over 254 octets'],
];
for (const [raw, why] of refused) t.equal(normalizeEmail(raw), null, `refuses ${why}: ${JSON.stringify(raw)}`);
