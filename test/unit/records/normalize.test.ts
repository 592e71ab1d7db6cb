/* The address key: one person written several ways is one address; non-addresses are null. */
import t from 'tap';
import { normalizeEmail } from '../../../server/records/normalize.js';

const cases: Array<[string | null | undefined, string | null]> = [
  ['John@X.com', 'john@x.com'],
  [' john@x.COM ', 'john@x.com'],
  ['<John@X.com>', 'john@x.com'],
  ['anna@Exämple.com', 'anna@xn--exmple-cua.com'],
  ['a.b+tag@sub.example.org.', 'a.b+tag@sub.example.org'],
  ['no-at-sign', null],
  ['@x.com', null],
  ['a@', null],
  ['a@localhost', null],
  ['a..b@x.com', null],
  ['.a@x.com', null],
  ['a b@x.com', null],
  ['', null],
  [null, null],
  [undefined, null],
];
for (const [raw, want] of cases) t.equal(normalizeEmail(raw), want, String(raw));
