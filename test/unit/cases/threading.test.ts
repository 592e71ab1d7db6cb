/* The threading ladder, subject tags, referenced ids and the reopen policy: tables of cases. */
import t from 'tap';
import { decideThread, subjectTags, referencedIds, reopenAction, taggedSubject, type LadderInput } from '../../../server/routing/cases/threading.js';

const base = (o: Partial<LadderInput> & { cases?: number[]; on?: number[] }): LadderInput => ({
  replyAddressCases: [], referencedCases: [], subjectTags: [], ...o,
  exists: (id) => (o.cases ?? [1, 2, 3, 7]).includes(id), senderOnCase: (id) => (o.on ?? []).includes(id),
});

t.test('ladder: the first rung that names an existing case decides', async (t) => {
  const rows: Array<[string, LadderInput, unknown]> = [
    ['reply address wins over everything', base({ replyAddressCases: [1], referencedCases: [2], subjectTags: [3], on: [3] }), { rung: 'reply-address', caseId: 1 }],
    ['a reply address of a deleted case falls through', base({ replyAddressCases: [99], referencedCases: [2] }), { rung: 'references', caseId: 2 }],
    ['references: the newest reference (In-Reply-To last) wins', base({ referencedCases: [1, 2] }), { rung: 'references', caseId: 2 }],
    ['references beat a subject tag', base({ referencedCases: [2], subjectTags: [3], on: [3] }), { rung: 'references', caseId: 2 }],
    ['tag from a participant', base({ subjectTags: [7], on: [7] }), { rung: 'subject-tag', caseId: 7 }],
    ['tag from a stranger opens a new case', base({ subjectTags: [7] }), { rung: 'new', caseId: null, ignoredTag: 7 }],
    ['tag of a missing case is ignored', base({ subjectTags: [42], on: [42] }), { rung: 'new', caseId: null }],
    ['second tag trusted when the first is not', base({ subjectTags: [1, 3], on: [3] }), { rung: 'subject-tag', caseId: 3 }],
    ['nothing: new', base({}), { rung: 'new', caseId: null }],
  ];
  for (const [name, input, want] of rows) t.same(decideThread(input), want, name);
});

t.test('subject tags', async (t) => {
  const rows: Array<[string | null, number[]]> = [
    ['[#12] Printer', [12]], ['Re: Fwd: [#12] Printer [#7]', [12, 7]], ['AW: [#12] [#12]', [12]], ['[# 12]', []], ['[#0]', []], ['#12', []], [null, []], ['[#1234567890]', []],
  ];
  for (const [s, want] of rows) t.same(subjectTags(s), want, String(s));
  t.equal(taggedSubject('Printer', 5), '[#5] Printer');
  t.equal(taggedSubject('Re: [#5] Printer', 5), 'Re: [#5] Printer');
});

t.test('referenced ids: References oldest first, In-Reply-To last, bare Outlook ids', async (t) => {
  t.same(referencedIds('<c@x>', '<a@x> <b@x>\r\n <c@x>'), ['a@x', 'b@x', 'c@x']);
  t.same(referencedIds('<b@x>', '<b@x> <a@x>'), ['a@x', 'b@x']);
  t.same(referencedIds('b@x', undefined), ['b@x']);
  t.same(referencedIds(undefined, undefined), []);
  t.same(referencedIds('"Some text" <q@x>', ''), ['q@x']);
});

t.test('reopen policy', async (t) => {
  const day = 86_400_000, now = 100 * day;
  const rows: Array<[string, Parameters<typeof reopenAction>[0], string]> = [
    ['open case: nothing', { status: 'assigned', closedAt: null, kind: 'normal', policy: { mode: 'reopen' }, now }, 'none'],
    ['closed, reopen', { status: 'closed', closedAt: now - day, kind: 'normal', policy: { mode: 'reopen' }, now }, 'reopen'],
    ['closed, out-of-office never reopens', { status: 'closed', closedAt: now - day, kind: 'auto-reply', policy: { mode: 'reopen' }, now }, 'none'],
    ['closed, bounce never reopens', { status: 'closed', closedAt: now - day, kind: 'bounce', policy: { mode: 'reopen' }, now }, 'none'],
    ['closed, never', { status: 'closed', closedAt: now - day, kind: 'normal', policy: { mode: 'never' }, now }, 'none'],
    ['closed recently, new-after 7: reopen', { status: 'closed', closedAt: now - 3 * day, kind: 'normal', policy: { mode: 'new-after', days: 7 }, now }, 'reopen'],
    ['closed long ago, new-after 7: new linked case', { status: 'closed', closedAt: now - 8 * day, kind: 'normal', policy: { mode: 'new-after', days: 7 }, now }, 'new-linked'],
  ];
  for (const [name, input, want] of rows) t.equal(reopenAction(input), want, name);
});
