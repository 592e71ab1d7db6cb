/* Reply headers of a case: subject and topic, References capping, Thread-Index encoding and decoding, as tables. */
import t from 'tap';
import {
  threadTopic, replySubject, referencesFor, caseGuid, threadIndexHeader, decodeThreadIndex, replyThreadIndex, replyHeaders, REFERENCES_KEPT,
} from '../../../server/routing/cases/replyHeaders.js';

const bytes = (b64: string) => Buffer.from(b64, 'base64').length;

t.test('topic and subject: one Re:, one tag, whatever came in', async (t) => {
  const rows: Array<[string | null, string, string]> = [
    ['Printer broken', 'Printer broken', 'Re: [#7] Printer broken'],
    ['Re: Printer broken', 'Printer broken', 'Re: [#7] Printer broken'],
    ['RE: re: Re[2]: Printer', 'Printer', 'Re: [#7] Printer'],
    ['Re: [#7] Printer', 'Printer', 'Re: [#7] Printer'],
    ['[#7] Re: [#7] AW: Fwd: Printer', 'Printer', 'Re: [#7] Printer'],
    ['Re: [#3] Printer', 'Printer', 'Re: [#7] Printer'],
    ['SV: Vs: Antw: WG: Printer', 'Printer', 'Re: [#7] Printer'],
    ['Rebate: 10%', 'Rebate: 10%', 'Re: [#7] Rebate: 10%'],
    ['Re:  spaced   words ', 'spaced words', 'Re: [#7] spaced words'],
    ['', '', 'Re: [#7]'],
    [null, '', 'Re: [#7]'],
    ['Re: line\r\nbreak', 'line break', 'Re: [#7] line break'],
  ];
  for (const [subject, topic, reply] of rows) {
    t.equal(threadTopic(subject), topic, `topic of ${JSON.stringify(subject)}`);
    t.equal(replySubject(subject, 7), reply, `subject of ${JSON.stringify(subject)}`);
    t.equal(replySubject(replySubject(subject, 7), 7), reply, 'idempotent: a reply to our reply keeps one Re: and one tag');
  }
});

t.test('References: the thread oldest first, each once, parent last, capped to first + last N', async (t) => {
  const many = Array.from({ length: 40 }, (_, i) => `m${i}@x`);
  const rows: Array<[string, Parameters<typeof referencesFor>[0], { inReplyTo: string | null; references: string[] }]> = [
    ['no parent, no thread', { parentId: null, thread: [] }, { inReplyTo: null, references: [] }],
    ['parent only', { parentId: 'p@x', thread: [] }, { inReplyTo: '<p@x>', references: ['<p@x>'] }],
    ['brackets taken off and put back', { parentId: '<p@x>', thread: ['<a@x>'] }, { inReplyTo: '<p@x>', references: ['<a@x>', '<p@x>'] }],
    ['parent references first, thread after, duplicates once, parent last',
      { parentId: 'p@x', parentReferences: '<a@x> <b@x>', thread: ['a@x', 'p@x', 'c@x', 'b@x'] }, { inReplyTo: '<p@x>', references: ['<a@x>', '<b@x>', '<c@x>', '<p@x>'] }],
    ['junk in the thread is skipped', { parentId: 'p@x', thread: ['bad id@x', '', 'ok@x'] }, { inReplyTo: '<p@x>', references: ['<ok@x>', '<p@x>'] }],
    ['capped: the root and the last N', { parentId: 'p@x', thread: many },
      { inReplyTo: '<p@x>', references: ['<m0@x>', ...many.slice(-(REFERENCES_KEPT - 1)).map((m) => `<${m}>`), '<p@x>'] }],
    ['exactly N + 1 is not cut', { parentId: 'p@x', thread: many.slice(0, REFERENCES_KEPT) },
      { inReplyTo: '<p@x>', references: [...many.slice(0, REFERENCES_KEPT).map((m) => `<${m}>`), '<p@x>'] }],
  ];
  for (const [name, input, want] of rows) t.same(referencesFor(input), want, name);
  t.equal(referencesFor({ parentId: 'p@x', thread: many }).references.length, REFERENCES_KEPT + 1);
});

t.test('Thread-Index: 22 bytes of header plus 5 per reply, decodable', async (t) => {
  const start = Date.UTC(2026, 11, 1, 9, 0, 0);
  const guid = caseGuid('case-7');
  t.equal(guid.length, 16);
  t.same(caseGuid('case-7'), guid, 'stable per seed');
  t.notSame(caseGuid('case-8'), guid, 'another case, another conversation');
  const header = threadIndexHeader(start, guid);
  t.equal(header.length, 22);
  t.equal(header[0], 0x01, 'reserved byte');
  const h = decodeThreadIndex(header.toString('base64'))!;
  t.ok(h, 'a bare header decodes');
  t.ok(Math.abs(h.startMs - start) < 1700, 'the header keeps the time to 2^24 ticks (~1.7 s)');
  t.same(h.levels, []);
  t.match(h.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const rows: Array<[string, number]> = [['a minute later', 60_000], ['a day later', 86_400_000], ['two years later (DC 1)', 2 * 365 * 86_400_000]];
  for (const [name, after] of rows) {
    const one = replyThreadIndex({ parent: null, threadStartMs: start, guid, atMs: start + after });
    t.equal(bytes(one), 27, `${name}: a fresh index with one level`);
    const d = decodeThreadIndex(one)!;
    t.equal(d.guid, h.guid, `${name}: the case's conversation`);
    t.equal(d.levels.length, 1);
    // Rounding: the header drops 2^24 ticks, a DC-0 level 2^18, a DC-1 level 2^23 ticks.
    t.ok(Math.abs(d.levels[0]!.atMs - (start + after)) < 3000, `${name}: the level decodes to the reply's time (±3 s), got ${d.levels[0]!.atMs - start - after}`);
    const two = replyThreadIndex({ parent: one, threadStartMs: 0, guid: caseGuid('ignored'), atMs: start + after + 3_600_000 });
    t.equal(bytes(two), 32, `${name}: a reply to it extends it by 5 bytes`);
    t.equal(Buffer.from(two, 'base64').subarray(0, 27).toString('base64'), one, 'the parent\'s index is kept as it was');
    t.ok(decodeThreadIndex(two)!.levels[1]!.atMs > d.levels[0]!.atMs, 'levels grow with time');
  }
  // A parent's index from Outlook (a header and two levels) is extended, not replaced.
  const outlook = Buffer.concat([threadIndexHeader(start, caseGuid('outlook')), Buffer.from('0000ab12cd0000ff1234', 'hex')]).toString('base64');
  const ext = replyThreadIndex({ parent: outlook, threadStartMs: start, guid, atMs: start + 5000 });
  t.equal(bytes(ext), 37);
  t.ok(Buffer.from(ext, 'base64').subarray(0, 32).equals(Buffer.from(outlook, 'base64')), 'Outlook\'s header and levels kept byte for byte');
});

t.test('Thread-Index: what is not an index is not extended', async (t) => {
  const rows: Array<[string | null, boolean]> = [
    [null, false], ['', false], ['not base64!', false], [Buffer.alloc(21, 1).toString('base64'), false],
    [Buffer.concat([Buffer.from([1]), Buffer.alloc(22)]).toString('base64'), false],
    [Buffer.concat([Buffer.from([2]), Buffer.alloc(21)]).toString('base64'), false],
    [Buffer.concat([Buffer.from([1]), Buffer.alloc(21)]).toString('base64'), true],
    [Buffer.concat([Buffer.from([1]), Buffer.alloc(26)]).toString('base64'), true],
  ];
  for (const [v, ok] of rows) {
    t.equal(decodeThreadIndex(v) !== null, ok, `decode ${JSON.stringify(v)}`);
    const out = replyThreadIndex({ parent: v, threadStartMs: 1_700_000_000_000, guid: caseGuid('x'), atMs: 1_700_000_060_000 });
    const n = bytes(out);
    t.equal(n, ok ? Buffer.from(v!, 'base64').length + 5 : 27, `reply to ${JSON.stringify(v)}: ${n} bytes`);
    t.equal((n - 22) % 5, 0);
  }
});

t.test('replyHeaders: everything together', async (t) => {
  const at = Date.UTC(2026, 11, 2);
  const r = replyHeaders({
    caseNumber: 12, caseSubject: 'Fwd: [#12] Printer broken', caseCreatedAt: at - 86_400_000,
    parent: { messageId: 'm3@customer.example', references: '<m1@customer.example>', threadIndex: null },
    thread: ['m1@customer.example', 'case-12-x.1@ours.example', 'm3@customer.example'], guidSeed: 'case-12', at,
  });
  t.equal(r.subject, 'Re: [#12] Printer broken');
  t.same(Object.keys(r.headers).sort(), ['In-Reply-To', 'References', 'Thread-Index', 'Thread-Topic']);
  t.equal(r.headers['In-Reply-To'], '<m3@customer.example>');
  t.equal(r.headers.References, '<m1@customer.example> <case-12-x.1@ours.example> <m3@customer.example>');
  t.equal(r.headers['Thread-Topic'], 'Printer broken');
  t.equal(bytes(r.headers['Thread-Index']!), 27);
  const none = replyHeaders({ caseNumber: 1, caseSubject: '', caseCreatedAt: at, parent: null, thread: [], guidSeed: 's', at });
  t.same(Object.keys(none.headers), ['Thread-Index'], 'without a parent or a topic only the index');
  t.equal(none.subject, 'Re: [#1]');
});
