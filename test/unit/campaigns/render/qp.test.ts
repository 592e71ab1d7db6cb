/* Quoted-printable bodies and RFC 2047 header values: exact encodings, line limits, round trips. */
import t from 'tap';
import { qpEncode } from '../../../../server/campaigns/render/qp.js';
import { encodeWords, unstructured, phrase, rfc5322Date } from '../../../../server/campaigns/render/encode.js';

/** A reference decoder (RFC 2045 §6.7): soft breaks joined, =XX to bytes, CRLF to LF. */
function qpDecode(s: string): string {
  const t = s.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '=') { bytes.push(parseInt(t.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(t.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** Every rule an encoded body must keep; returns the broken ones. */
function qpProblems(enc: string): string[] {
  const bad: string[] = [];
  if (/\r(?!\n)|(?<!\r)\n/.test(enc)) bad.push('bare CR or LF');
  for (const line of enc.split('\r\n')) {
    if (line.length > 76) bad.push(`line of ${line.length}: ${line}`);
    if (/[ \t]$/.test(line)) bad.push(`trailing whitespace: ${line}`);
    if (/[^\x20-\x7e\t]/.test(line)) bad.push(`not printable ASCII: ${line}`);
    if (/=(?![0-9A-F]{2}|$)/.test(line)) bad.push(`stray '=': ${line}`);
    // A soft break never splits one UTF-8 character: a line never ends inside a sequence.
    const tail = /((?:=[0-9A-F]{2})+)=$/.exec(line)?.[1];
    if (tail) {
      const b = tail.split('=').slice(1).map((h) => parseInt(h, 16));
      let i = 0;
      while (i < b.length) i += b[i]! >= 0xf0 ? 4 : b[i]! >= 0xe0 ? 3 : b[i]! >= 0xc0 ? 2 : 1;
      if (i !== b.length) bad.push(`character split at soft break: ${line}`);
    }
  }
  return bad;
}

t.test('qpEncode: exact encodings', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['plain', 'Hello, world.', 'Hello, world.'],
    ['equals sign', 'a=b', 'a=3Db'],
    ['line ends to CRLF', 'a\nb\r\nc\rd', 'a\r\nb\r\nc\r\nd'],
    ['trailing space and tab', 'a \nb\t\r\nc ', 'a=20\r\nb=09\r\nc=20'],
    ['inner spaces stay', 'a b\tc', 'a b\tc'],
    ['signature separator', '-- \nx', '--=20\r\nx'],
    ['accents', 'café Köln', 'caf=C3=A9 K=C3=B6ln'],
    ['emoji', '🎉', '=F0=9F=8E=89'],
    ['control characters', '\u0000\u001b\u007f', '=00=1B=7F'],
    ['a line of dots', '...\n.', '...\r\n.'],
    ['76 characters fit on a last line', 'x'.repeat(76), 'x'.repeat(76)],
    ['77 need a soft break', 'x'.repeat(77), `${'x'.repeat(75)}=\r\nxx`],
    ['an escape is never split', `${'x'.repeat(74)}=y`, `${'x'.repeat(74)}=\r\n=3Dy`],
    ['a trailing space at the limit', `${'x'.repeat(74)} `, `${'x'.repeat(74)}=\r\n=20`],
    ['a character is never split', `${'x'.repeat(70)}é`, `${'x'.repeat(70)}=C3=A9`],
    ['…nor across the soft break', `${'x'.repeat(70)}éy`, `${'x'.repeat(70)}=\r\n=C3=A9y`],
    ['empty', '', ''],
    ['empty lines kept', 'a\n\n\nb\n', 'a\r\n\r\n\r\nb\r\n'],
  ];
  for (const [name, input, want] of cases) t.equal(qpEncode(input), want, name);
});

t.test('qpEncode: rules and round trip on long, mixed input', async (t) => {
  const pieces = ['word ', 'é', '🎉', '=', ' ', '\t', '\n', '.', 'x'.repeat(100), 'ünïcödé ', '中文', '\r\n', '<a href="x">', '  \n'];
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const inputs = [
    'x'.repeat(1000), '🎉'.repeat(200), ' '.repeat(200), '='.repeat(100), 'é'.repeat(80) + '\n' + '.'.repeat(300),
    ...Array.from({ length: 200 }, () => Array.from({ length: 1 + rnd(60) }, () => pieces[rnd(pieces.length)]).join('')),
  ];
  for (const input of inputs) {
    const enc = qpEncode(input);
    const problems = qpProblems(enc);
    if (problems.length) { t.same(problems, [], JSON.stringify(input).slice(0, 80)); continue; }
    if (qpDecode(enc) !== input.replace(/\r\n|\r/g, '\n')) t.equal(qpDecode(enc), input.replace(/\r\n|\r/g, '\n'), 'round trip');
  }
  t.pass(`${inputs.length} inputs`);
});

/** Decodes RFC 2047 encoded words (UTF-8 only), dropping whitespace between adjacent ones and the folding. */
function decodeWords(v: string): string {
  return v.replace(/\r\n /g, ' ').replace(/\?= =\?/g, '?==?').replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/g, (_w, enc: string, data: string) => (enc === 'B'
    ? Buffer.from(data, 'base64').toString('utf8')
    : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')));
}

t.test('encoded words: B or Q, ≤ 75 characters, lines ≤ 78, whole characters', async (t) => {
  const values = ['café', 'Grüße aus Köln und anderswo, mit einem ziemlich langen Betreff für den Test', '🎉🎉🎉 Big sale 🎉🎉🎉',
    '中文标题很长'.repeat(8), 'a'.repeat(200) + 'é', 'x?=_ y', '=?UTF-8?Q?fake?='];
  for (const v of values) {
    const enc = encodeWords(v, 78 - 'Subject: '.length);
    const lines = `Subject: ${enc}`.split('\r\n');
    t.ok(lines.every((l) => l.length <= 78), `lines ≤ 78: ${v.slice(0, 20)}`);
    t.ok(enc.split('\r\n ').every((w) => w.length <= 75 && /^=\?UTF-8\?[BQ]\?[^?\s]*\?=$/.test(w)), 'each an encoded word ≤ 75');
    t.equal(decodeWords(enc), v, 'decodes back');
  }
  t.equal(encodeWords('café', 60), '=?UTF-8?Q?caf=C3=A9?=', 'mostly ASCII: Q');
  t.equal(encodeWords('中文', 60), '=?UTF-8?B?5Lit5paH?=', 'mostly not: B');
});

t.test('unstructured (Subject)', async (t) => {
  const long = 'Our spring sale starts today with many offers you will like a lot, really';
  const cases: Array<[string, string, string]> = [
    ['short ASCII as is', 'Hello there', 'Hello there'],
    ['long ASCII folded before a space', long, 'Our spring sale starts today with many offers you will like a lot,\r\n really'],
    ['an unfoldable word: encoded', 'x'.repeat(80), `=?UTF-8?Q?${'x'.repeat(57)}?=\r\n =?UTF-8?Q?${'x'.repeat(23)}?=`],
    ['looks like an encoded word: encoded', '=?utf-8?q?x?=', '=?UTF-8?Q?=3D=3Futf-8=3Fq=3Fx=3F=3D?='],
    ['non-ASCII: encoded', 'Crème brûlée', '=?UTF-8?Q?Cr=C3=A8me_br=C3=BBl=C3=A9e?='],
    ['empty', '', ''],
  ];
  for (const [name, v, want] of cases) t.equal(unstructured('Subject', v), want, name);
  t.ok(`Subject: ${unstructured('Subject', long + ' ' + long)}`.split('\r\n').every((l) => l.length <= 78));
});

t.test('phrase (display names) and dates', async (t) => {
  for (const [name, want] of [
    ['Acme News', 'Acme News'], ['Acme, Inc.', '"Acme, Inc."'], ['Say "hi" \\o/', '"Say \\"hi\\" \\\\o/"'], [' padded', '" padded"'],
    ['Zoë', '=?UTF-8?Q?Zo=C3=AB?='], ['=?x?=', '=?UTF-8?B?PT94Pz0=?='],
  ] as const) t.equal(phrase(name, 70), want, name);
  t.equal(rfc5322Date(Date.UTC(2025, 2, 4, 9, 5, 7)), 'Tue, 04 Mar 2025 09:05:07 +0000');
  t.equal(rfc5322Date(Date.UTC(1999, 11, 31, 23, 59, 59)), 'Fri, 31 Dec 1999 23:59:59 +0000');
  t.throws(() => rfc5322Date(NaN));
});
