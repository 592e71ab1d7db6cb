/* Backoff bounds and line-ending hygiene. */
import t from 'tap';
import { nextDelayMs, isExpired } from '../../../server/lib/backoff.js';
import { assertHeaderValue, findBareLineEnding, normalizeLineEndings } from '../../../server/lib/headers.js';

t.test('equal-jitter backoff stays within [half, full] of the capped exponential', async (t) => {
  const o = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };
  for (let attempt = 1; attempt <= 12; attempt++) {
    const exp = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    for (let i = 0; i < 200; i++) {
      const d = nextDelayMs(attempt, o);
      if (d < exp / 2 || d > exp) t.fail(`attempt ${attempt}: ${d} outside [${exp / 2}, ${exp}]`);
    }
    t.equal(nextDelayMs(attempt, o, () => 0), exp / 2);
    t.equal(nextDelayMs(attempt, o, () => 1), exp);
  }
  t.equal(nextDelayMs(1000, o, () => 1), 60_000, 'capped, no overflow');
  t.ok(isExpired(0, 100, 100));
  t.notOk(isExpired(0, 100, 99));
});

t.test('header values with CR, LF or NUL are refused', async (t) => {
  t.doesNotThrow(() => assertHeaderValue('Subject', 'Hello, world'));
  for (const v of ['a\r\nBcc: x@evil.test', 'a\nb', 'a\rb', 'a\0b']) t.throws(() => assertHeaderValue('Subject', v), { code: 'header_injection' });
});

const lines: Array<[string, number, string]> = [
  ['a\r\nb\r\n', -1, 'a\r\nb\r\n'],
  ['a\nb', 1, 'a\r\nb'],
  ['a\rb', 1, 'a\r\nb'],
  ['\n.\n', 0, '\r\n.\r\n'],
  ['a\r\r\nb', 1, 'a\r\n\r\nb'],
  ['no breaks', -1, 'no breaks'],
];
for (const [input, idx, out] of lines) {
  t.test(JSON.stringify(input), async (t) => {
    t.equal(findBareLineEnding(Buffer.from(input)), idx);
    t.equal(normalizeLineEndings(Buffer.from(input)).toString(), out);
  });
}
