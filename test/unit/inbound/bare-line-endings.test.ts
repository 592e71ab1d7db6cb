/* The bare CR / LF check on DATA: every byte position and every way of splitting the stream into chunks. */
import t from 'tap';
import { BareLineEndingCheck } from '../../../server/inbound/spool.js';

const cases: Array<[string, string, boolean]> = [
  ['clean CRLF lines', 'a\r\nb\r\n', false],
  ['empty', '', false],
  ['only CRLF', '\r\n', false],
  ['bare LF in the middle', 'a\nb\r\n', true],
  ['bare LF first', '\nx\r\n', true],
  ['bare CR in the middle', 'a\rb\r\n', true],
  ['CR at the very end', 'a\r\nb\r', true],
  ['CR CR LF', 'a\r\r\n', true],
  ['LF CR', 'a\n\r', true],
  ['smuggling: <LF>.<CR><LF>', 'x\r\n\n.\r\nMAIL FROM:<a@b>\r\n', true],
  ['smuggling: <CR>.<CR>', 'x\r.\r\n', true],
  ['long clean body', 'line of text\r\n'.repeat(500), false],
  ['long body, one bare LF near the end', `${'line\r\n'.repeat(500)}tail\n`, true],
];

for (const [name, text, bare] of cases) {
  t.test(name, async (t) => {
    const bytes = Buffer.from(text, 'latin1');
    const whole = new BareLineEndingCheck();
    whole.feed(bytes); whole.end();
    t.equal(whole.found, bare, 'one chunk');
    // Every split point, and byte-by-byte: a CR ending one chunk and its LF starting the next.
    for (let cut = 0; cut <= Math.min(bytes.length, 40); cut++) {
      const c = new BareLineEndingCheck();
      c.feed(bytes.subarray(0, cut)); c.feed(bytes.subarray(cut)); c.end();
      if (c.found !== bare) { t.fail(`split at ${cut}`); return; }
    }
    if (bytes.length <= 200) {
      const c = new BareLineEndingCheck();
      for (const b of bytes) c.feed(Buffer.from([b]));
      c.end();
      t.equal(c.found, bare, 'byte by byte');
    }
  });
}
