/* The bounded MIME reader: header unfolding and RFC 2047 words, multipart walking, transfer encodings, limits. */
import t from 'tap';
import { decodeWords, parseHeaders, parseMessage, walk, LIMITS } from '../../../server/lib/mime.js';
import { parseDsn, parseFeedback, originalFromParts } from '../../../server/bounces/dsn.js';
import { classifyMessage } from '../../../server/bounces/classify.js';

t.test('RFC 2047 encoded words in several charsets', async (t) => {
  const table: Array<[string, string]> = [
    ['=?UTF-8?B?0JDQstGC0L7QvtGC0LLQtdGC?=', 'Автоответ'],
    ['=?iso-8859-1?Q?J=FCrgen_Wei=DF?= <j@example.de>', 'Jürgen Weiß <j@example.de>'],
    ['=?utf-8?q?a?= =?utf-8?q?b?=', 'ab'],
    ['=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=', 'テスト'],
    ['=?koi8-r?B?8NLJ18XU?=', 'Привет'],
    ['plain text', 'plain text'],
    ['=?x-unknown?Q?caf=C3=A9?=', 'café'],
  ];
  for (const [input, want] of table) t.equal(decodeWords(input), want, input);
});

t.test('headers: folded lines unfolded, names lower-cased, LF and CRLF alike', async (t) => {
  const h = parseHeaders('Subject: one\n two\nX-Postern-Queue-Id: 42\nContent-Type: text/plain;\n\tcharset=utf-8');
  t.equal(h.get('subject'), 'one two');
  t.equal(h.get('x-postern-queue-id'), '42');
  t.equal(h.get('content-type'), 'text/plain; charset=utf-8');
  const crlf = parseMessage('Subject: a\r\n b\r\nFrom: x@y.example\r\n\r\nbody\r\n');
  t.equal(crlf.headers.get('subject'), 'a b');
  t.equal(crlf.body, 'body\n');
});

t.test('nested multipart, quoted-printable and base64 parts', async (t) => {
  const msg = [
    'Content-Type: multipart/mixed; boundary="outer"', '', 'preamble', '--outer', 'Content-Type: multipart/alternative; boundary="inner"', '',
    '--inner', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable', '', 'Gr=FC=DFe, long =', 'line', '--inner',
    'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', Buffer.from('héllo').toString('base64'), '--inner--', '',
    '--outer', 'Content-Type: message/rfc822', '', 'Message-ID: <orig@ours.example>', 'X-Postern-Queue-Id: 7', 'Return-Path: <b-1@bounce.ours.example>', '', 'hi', '--outer--', '',
  ].join('\n');
  const parts = walk(parseMessage(msg));
  t.same(parts.map((p) => p.contentType), ['multipart/mixed', 'multipart/alternative', 'text/plain', 'text/plain', 'message/rfc822', 'text/plain']);
  t.equal(parts[2]!.body, 'Grüße, long line');
  t.equal(parts[3]!.body, 'héllo');
  const o = originalFromParts(parts, '');
  t.match(o, { messageId: 'orig@ours.example', returnPath: 'b-1@bounce.ours.example', headers: { 'x-postern-queue-id': '7' } });
});

t.test('delivery-status groups: folded Diagnostic-Code, typed fields, several recipients', async (t) => {
  const d = parseDsn(['Reporting-MTA: dns; mx.example', 'X-Postfix-Queue-ID: ABC', '', 'Final-Recipient: rfc822; A@Example.org', 'Original-Recipient: rfc822;a@example.org',
    'Action: failed', 'Status: 5.1.1', 'Remote-MTA: dns; mx.example.org', 'Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>:', '    Recipient address rejected', '',
    'Final-Recipient: rfc822; b@example.org', 'Action: delayed', 'Status: 4.4.1', 'Diagnostic-Code: X-Postfix; connect timed out', ''].join('\n'));
  t.equal(d.message['reporting-mta'], 'dns; mx.example');
  t.match(d.recipients, [
    { recipient: 'a@example.org', action: 'failed', status: '5.1.1', remoteMta: 'mx.example.org', diagnostic: '550 5.1.1 <a@example.org>: Recipient address rejected', diagnosticType: 'SMTP' },
    { recipient: 'b@example.org', action: 'delayed', diagnosticType: 'X-POSTFIX' },
  ]);
  const fb = parseFeedback('Feedback-Type: abuse\nUser-Agent: x\nOriginal-Rcpt-To: <a@x.example>\nOriginal-Rcpt-To: b@x.example\nRemoval-Recipient: a@x.example\n');
  t.same(fb.rcpts, ['a@x.example', 'b@x.example']);
  t.equal(fb.fields['feedback-type'], 'abuse');
});

t.test('inline "Original message" blocks give the original headers', async (t) => {
  const c = classifyMessage(['From: MAILER-DAEMON@x.example', 'To: b@ours.example', 'Subject: failure notice', '',
    '<c@example.org>:', 'Sorry, no mailbox here by that name. (#5.1.1)', '', '----- Original message -----', '', 'Message-ID: <m9@ours.example>', 'From: news@ours.example', 'To: c@example.org', '', 'hello'].join('\n'));
  t.match(c.original, { messageId: 'm9@ours.example', from: 'news@ours.example' });
});

t.test('limits: hostile structures return quickly and never throw', async (t) => {
  const deep = ['From: MAILER-DAEMON@x.example', 'Content-Type: multipart/mixed; boundary="b0"', ''];
  for (let i = 1; i < 2000; i++) deep.push(`--b${i - 1}`, `Content-Type: multipart/mixed; boundary="b${i}"`, '');
  const many = ['From: MAILER-DAEMON@x.example', 'Content-Type: multipart/mixed; boundary="m"', '', ...Array.from({ length: 60_000 }, () => '--m\nContent-Type: text/plain\n\nx'), '--m--'];
  const rfc = ['Content-Type: message/rfc822', ''];
  for (let i = 0; i < 2000; i++) rfc.push('Content-Type: message/rfc822', '');
  const huge = `From: MAILER-DAEMON@x.example\nSubject: Undelivered\n\n${'<a@b.example>: 550 no\n'.repeat(400_000)}`;
  // Words that start many rule patterns, repeated: a backtracking pattern would go quadratic.
  const words = `From: MAILER-DAEMON@x.example\nSubject: Undelivered\n\n<a@b.example>: 550 ${'host domain user mailbox ip sender client spf '.repeat(40_000)}\n`;
  const braces = `From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n{"notificationType": "Bounce", ${'}'.repeat(300_000)}`;
  const cases: Array<[string, string]> = [['rule words repeated over 2 MB', words], ['an SES-looking text full of braces', braces], ['2,000-deep nesting', deep.join('\n')], ['60,000 parts', many.join('\n')], ['2,000 nested message/rfc822', rfc.join('\n')],
    ['unterminated multipart', 'Content-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: text/plain\n\nno end'], ['9 MB of lines', huge], ['empty', ''], ['binary', '\u0000\u0001\uffff'.repeat(1000)]];
  for (const [name, msg] of cases) {
    const start = performance.now();
    t.doesNotThrow(() => classifyMessage(msg), name);
    const ms = performance.now() - start;
    t.ok(ms < 1500, `${name} in ${ms.toFixed(0)} ms`);
  }
  t.ok(walk(parseMessage(many.join('\n'))).length <= LIMITS.parts, 'part count capped');
  let depth = 0;
  for (let p = parseMessage(deep.join('\n')); p.parts[0]; p = p.parts[0]) depth++;
  t.ok(depth <= LIMITS.depth, `nesting followed ${depth} levels`);
});
