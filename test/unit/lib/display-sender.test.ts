/*
 * Pure helpers for mail shown to an admin and mail read by the pipeline: hidden and bidi
 * characters neutralised, RFC 6266 download names, where a header section ends, and the
 * sender address of a From field whose display name looks like an address.
 */
import t from 'tap';
import { displayText, downloadName, contentDisposition } from '../../../server/lib/display.js';
import { readHeaderSection, withHeaderBoundary } from '../../../server/lib/headers.js';
import { senderAddress } from '../../../server/lib/sender.js';

t.test('displayText', async (t) => {
  const cases: Array<[string | null | undefined, string]> = [
    [null, ''], [undefined, ''], ['', ''],
    ['Invoice März – 日本語 עברית', 'Invoice März – 日本語 עברית'],
    ['invoice\u202Efdp.exe', 'invoice\ufffdfdp.exe'],
    ['a\u2066b\u2069c\u200Fd\u200Ee\u061Cf\u202Ag', 'a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg'],
    ['nul\0byte', 'nul\ufffdbyte'], ['bell\x07 del\x7f c1\x85', 'bell\ufffd del\ufffd c1\ufffd'],
    ['two\r\nlines\tand tab', 'two  lines and tab'],
    ['lone \ud800 surrogate', 'lone \ufffd surrogate'], ['pair 😀 ok', 'pair 😀 ok'],
  ];
  for (const [input, want] of cases) t.equal(displayText(input), want, JSON.stringify(input));
});

t.test('downloadName and contentDisposition', async (t) => {
  const names: Array<[string | null, string]> = [
    ['report.pdf', 'report.pdf'], [null, 'attachment'], ['   ', 'attachment'], ['../../etc/passwd', '.._.._etc_passwd'],
    ['a\\b', 'a_b'], ['evil\u202Efdp.exe', 'evil_fdp.exe'], ['nul\0.txt', 'nul_.txt'],
  ];
  for (const [input, want] of names) t.equal(downloadName(input), want, JSON.stringify(input));
  const cd: Array<[string | null, string]> = [
    ['report.pdf', 'attachment; filename="report.pdf"'],
    ['Übersicht 2024.pdf', `attachment; filename="_bersicht 2024.pdf"; filename*=UTF-8''%C3%9Cbersicht%202024.pdf`],
    ['日本.txt', `attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`],
    ['say "hi" (1)*\'.txt', `attachment; filename="say _hi_ (1)*'.txt"; filename*=UTF-8''say%20%22hi%22%20%281%29%2A%27.txt`],
    ['100%.txt', `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`],
    ['evil\u202Efdp.exe', 'attachment; filename="evil_fdp.exe"'],
    ['bad\r\nX-Injected: 1', 'attachment; filename="bad  X-Injected: 1"'],
    ['lone\ud800.txt', 'attachment; filename="lone_.txt"'],
  ];
  for (const [input, want] of cd) {
    const v = contentDisposition(input);
    t.equal(v, want, JSON.stringify(input));
    t.notMatch(v, /[^\x20-\x7e]/, 'header value is plain ASCII');
  }
});

t.test('readHeaderSection ends at the first line that is not a header field', async (t) => {
  const b = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'));
  const cases: Array<[string, Array<[string, string]>, number, boolean]> = [
    ['From: a@b\nSubject: hi\n\nbody\n', [['from', 'a@b'], ['subject', 'hi']], 'From: a@b\r\nSubject: hi\r\n'.length, true],
    ['.\nFrom: ceo@bank.test\nSubject: fake\n\nbody\n', [], 0, false],
    ['Received: x\n.\nFrom: ceo@bank.test\n\nbody\n', [['received', 'x']], 'Received: x\r\n'.length, false],
    ['From someone Mon Jan 1\nSubject: x\n\n', [], 0, false],
    [' folded first\nSubject: x\n\n', [], 0, false],
    ['Subject: one\n  two\n\tthree\n\nb', [['subject', 'one two three']], 'Subject: one\r\n  two\r\n\tthree\r\n'.length, true],
    ['Subject : obsolete space\n\n', [['subject', 'obsolete space']], 'Subject : obsolete space\r\n'.length, true],
    ['Subject: no body', [['subject', 'no body']], 'Subject: no body'.length, false],
    ['\nbody only\n', [], 0, true],
    ['Su\u0001bject: x\n\n', [], 0, false],
    ['From: =?utf-8?q?ceo=40bank=2Etest?= <evil@x.test>\n\n', [['from', '=?utf-8?q?ceo=40bank=2Etest?= <evil@x.test>']], 'From: =?utf-8?q?ceo=40bank=2Etest?= <evil@x.test>\r\n'.length, true],
  ];
  for (const [raw, fields, end, separated] of cases) t.same(readHeaderSection(b(raw)), { fields, end, separated }, JSON.stringify(raw));
  t.same(readHeaderSection(Buffer.from('A: 1\nB: 2\n\n')).fields, [['a', '1'], ['b', '2']], 'bare LF line endings too');
  t.equal(readHeaderSection(b('A: 1\nB: 2\nC: 3\n\n'), 2).fields.length, 2, 'fields are capped');
});

t.test('withHeaderBoundary', async (t) => {
  const ok = Buffer.from('From: a@b\r\n\r\nbody\r\n');
  t.equal(withHeaderBoundary(ok), ok, 'a well-formed message is the same buffer');
  const noSep = Buffer.from('Subject: h');
  t.equal(withHeaderBoundary(noSep), noSep);
  t.equal(withHeaderBoundary(Buffer.from('.\r\nFrom: x@y\r\n\r\nb')).toString(), '\r\n.\r\nFrom: x@y\r\n\r\nb', 'no headers: all of it is body');
  t.equal(withHeaderBoundary(Buffer.from('Received: r\r\n.\r\nFrom: x@y\r\n\r\nb')).toString(), 'Received: r\r\n\r\n.\r\nFrom: x@y\r\n\r\nb');
});

t.test('senderAddress reads the address, never the display name', async (t) => {
  const cases: Array<[string | undefined, string | null]> = [
    [undefined, null], ['', null], ['garbage', null], ['<>', null],
    ['evil@x.test', 'evil@x.test'], ['Evil <Evil@X.Test>', 'evil@x.test'],
    ['=?utf-8?q?ceo=40bank=2Etest?= <evil@x.test>', 'evil@x.test'],
    ['=?utf-8?q?ceo@bank.test?= <evil@x.test>', 'evil@x.test'],
    ['"ceo@bank.test" <evil@x.test>', 'evil@x.test'],
    ['"a@b <c@d>" <evil@x.test>', 'evil@x.test'],
    ['evil@x.test (=?utf-8?q?=3Cceo=40bank=2Etest=3E?=)', 'evil@x.test'],
    ['evil@x.test (ceo <ceo@bank.test>)', 'evil@x.test'],
    ['=?utf-8?b?Y2VvQGJhbmsudGVzdA==?= <evil@x.test>', 'evil@x.test'],
    ['First <a@x.test>, Second <b@x.test>', 'a@x.test'],
    ['Group: <g@x.test>;', 'g@x.test'],
    ['Jörg <jörg@example.net>', 'jörg@example.net'],
    ['<evil\u202E@x.test>', null], ['<"quoted local"@x.test>', null],
  ];
  for (const [raw, want] of cases) t.equal(senderAddress(raw), want, JSON.stringify(raw));
});
