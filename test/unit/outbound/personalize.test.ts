/* Per-recipient header splicing: position, folding, CR/LF refusal. */
import t from 'tap';
import { insertHeaders, toHeader, unsubscribeHeaders } from '../../../server/outbound/queue/personalize.js';

t.test('headers land at the end of the header block, the body untouched', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['Subject: a\r\nFrom: b@x.example\r\n\r\nbody\r\n\r\nmore\r\n', 'X-A: 1\r\n', 'Subject: a\r\nFrom: b@x.example\r\nX-A: 1\r\n\r\nbody\r\n\r\nmore\r\n'],
    ['Subject: a\r\n\r\n', 'X-A: 1\r\n', 'Subject: a\r\nX-A: 1\r\n\r\n'],
    ['Subject: a\r\n', 'X-A: 1\r\n', 'Subject: a\r\nX-A: 1\r\n'],
    ['Subject: a', 'X-A: 1\r\n', 'Subject: a\r\nX-A: 1\r\n'],
  ];
  for (const [raw, lines, want] of cases) t.equal(insertHeaders(Buffer.from(raw), lines).toString(), want, JSON.stringify(raw));
});

t.test('unsubscribe headers: one line when short, folded at the comma when long', async (t) => {
  t.equal(unsubscribeHeaders('https://a.example/u/t', 'u+t@a.example'), 'List-Unsubscribe: <https://a.example/u/t>, <mailto:u+t@a.example>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
  const long = unsubscribeHeaders(`https://mail.example.org/u/${'x'.repeat(40)}`, `unsubscribe+${'x'.repeat(40)}@example.org`);
  t.match(long, /^List-Unsubscribe: <https:[^\r\n]+>,\r\n <mailto:[^\r\n]+>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n$/);
  t.throws(() => unsubscribeHeaders('https://a.example/u/t\r\nBcc: x@y', 'u@a.example'), /CR or LF/);
});

t.test('a To line for one address only', async (t) => {
  t.equal(toHeader('jane@example.org'), 'To: jane@example.org\r\n');
  for (const bad of ['a@b.example\r\nBcc: x@y', 'a@b.example, c@d.example', '<a@b.example>']) t.throws(() => toHeader(bad), bad);
});
