/*
 * The filters' pure matcher, table-driven: every condition field with each operator, all/any,
 * ordering with stop processing, action folding, save-time refusals (unsafe or unsupported
 * patterns, caps), and the bounded engine against hostile input (must finish fast).
 */
import t from 'tap';
import { parseMessage } from '../../../server/lib/mime.js';
import {
  validateFilter, compileFilter, matchFilter, explainFilter, runFilters, patternProblem, conditionHolds, type Condition, type MessageFacts, type FilterDef,
} from '../../../server/routing/filters/match.js';
import { compilePattern } from '../../../server/routing/filters/regex.js';
import { factsOf } from '../../../server/routing/filters/facts.js';

const RAW = [
  'From: "Jira Cloud" <jira@notifications.example.com>', 'To: support@ours.example', 'Cc: Lee <lee@ours.example>',
  'Subject: [JIRA] (OPS-12) Disk full', 'List-Id: <ops.example.com>', 'X-Priority: 1', 'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '',
  'Invoice #4711 attached. Please pay.', '--b', 'Content-Type: text/html', '', '<p>Invoice <b>#4711</b></p>', '--b--', '',
].join('\r\n');
const facts: MessageFacts = factsOf(parseMessage(RAW), { spf: 'pass', dkim: 'fail', dmarc: 'none', kind: 'normal', size: 2048 });

t.test('facts: decoded headers, To and Cc together, the text part as body', async (t) => {
  t.match(facts.from, /jira@notifications\.example\.com/);
  t.match(facts.to, /support@ours\.example.*lee@ours\.example/);
  t.equal(facts.subject, '[JIRA] (OPS-12) Disk full');
  t.equal(facts.body.trim(), 'Invoice #4711 attached. Please pay.');
  t.equal(factsOf(parseMessage('Subject: x\r\nContent-Type: text/html\r\n\r\n<p>Only <i>html</i></p>'), { spf: null, dkim: null, dmarc: null, kind: null, size: 1 }).body.trim(), 'Only  html');
});

const c = (field: Condition['field'], op: Condition['op'], value: string, header?: string): Condition => ({ field, op, value, ...(header ? { header } : {}) });
const table: Array<[Condition, boolean]> = [
  [c('from', 'contains', 'NOTIFICATIONS.example'), true], [c('from', 'equals', 'jira@notifications.example.com'), false], [c('from', 'matches', '@notifications\\.example\\.com>$'), true],
  [c('to', 'contains', 'lee@ours.example'), true], [c('to', 'equals', 'support@ours.example'), false], [c('to', 'matches', '^support@'), true],
  [c('subject', 'contains', 'disk full'), true], [c('subject', 'equals', '[jira] (ops-12) disk full'), true], [c('subject', 'matches', '\\(OPS-\\d+\\)'), true], [c('subject', 'contains', 'invoice'), false],
  [c('body', 'contains', 'invoice #4711'), true], [c('body', 'equals', 'invoice #4711 attached. please pay.'), true], [c('body', 'matches', 'invoice\\s+#\\d{4}'), true], [c('body', 'contains', '<b>'), false],
  [c('header', 'contains', 'ops.example', 'list-id'), true], [c('header', 'equals', '1', 'x-priority'), true], [c('header', 'matches', '^<ops\\.', 'list-id'), true], [c('header', 'contains', 'x', 'x-missing'), false],
  [c('spf', 'equals', 'pass'), true], [c('dkim', 'equals', 'pass'), false], [c('dkim', 'contains', 'fai'), true], [c('dmarc', 'matches', '^(none|fail)$'), true],
  [c('kind', 'equals', 'normal'), true], [c('kind', 'equals', 'bounce'), false], [c('kind', 'matches', 'auto-reply|bounce'), false],
  [c('size', 'greater', '1000'), true], [c('size', 'greater', '2048'), false], [c('size', 'less', '4096'), true], [c('size', 'less', '100'), false],
];
t.test('each condition kind and operator', async (t) => {
  for (const [cond, want] of table) t.equal(conditionHolds(cond, facts), want, `${cond.header ?? cond.field} ${cond.op} ${cond.value}`);
});

const def = (match: 'all' | 'any', conditions: Condition[], actions: FilterDef['actions'] = { skip: true }): FilterDef => ({ match, conditions, actions });
t.test('all and any', async (t) => {
  const yes = c('subject', 'contains', 'disk'), no = c('subject', 'contains', 'nope');
  t.equal(matchFilter(compileFilter(def('all', [yes, yes])), facts).matched, true);
  t.equal(matchFilter(compileFilter(def('all', [yes, no])), facts).matched, false);
  t.equal(matchFilter(compileFilter(def('any', [no, yes])), facts).matched, true);
  t.equal(matchFilter(compileFilter(def('any', [no, no])), facts).matched, false);
  t.same(explainFilter(compileFilter(def('all', [no, yes])), facts), { matched: false, conditions: [false, true] }, 'the dry run evaluates every condition');
});

t.test('ordering, stop processing and how actions add up', async (t) => {
  const hit = c('from', 'contains', 'jira');
  const list = [
    { id: 1, compiled: compileFilter(def('all', [hit], { folder: 'Jira', tags: ['ops'] })) },
    { id: 2, compiled: compileFilter(def('all', [c('from', 'contains', 'nobody')], { skip: true })) },
    { id: 3, compiled: compileFilter(def('all', [hit], { folder: 'Later', tags: ['ops', 'noise'], markRead: true, assignTeamId: 4, stop: true })) },
    { id: 4, compiled: compileFilter(def('all', [hit], { skip: true })) },
  ];
  const r = runFilters(list, facts, {});
  t.same(r.matchedFilters, [1, 3], 'filter 2 did not match; filter 4 never ran after stop');
  t.equal(r.folder, 'Later', 'a later folder replaces an earlier one');
  t.same(r.tags, ['ops', 'noise']);
  t.equal(r.skip, undefined);
  t.match(r, { markRead: true, assignTeamId: 4, stop: true });
  t.same(runFilters(list.slice(3).concat(list.slice(0, 1)), facts, {}).matchedFilters, [4, 1], 'order is the order given');
});

t.test('validation: refused patterns and bad filters name their field', async (t) => {
  const fieldsOf = (x: Parameters<typeof validateFilter>[0]) => validateFilter(x).errors.map((e) => e.field);
  t.same(fieldsOf({ conditions: [c('subject', 'matches', '(a+)+$')], actions: { skip: true } }), ['conditions.0.value'], 'nested repetition (safe-regex2)');
  t.match(patternProblem('(a+)+$'), /unsafe/);
  t.match(patternProblem('(a)\\1'), /backreferences/);
  t.match(patternProblem('(?=x)y'), /lookarounds/);
  t.match(patternProblem('x'.repeat(301)), /longer than 300/);
  t.match(patternProblem('(unclosed'), /unclosed/);
  t.equal(patternProblem('invoice\\s+#\\d+'), null);
  t.same(fieldsOf({ conditions: [], actions: { skip: true } }), ['conditions']);
  t.same(fieldsOf({ conditions: [c('subject', 'contains', 'x')], actions: {} }), ['actions']);
  t.same(fieldsOf({ conditions: [{ field: 'size', op: 'contains', value: 'big' }], actions: { stop: true } }), ['conditions.0.op', 'conditions.0.value']);
  t.same(fieldsOf({ conditions: [{ field: 'header', op: 'contains', value: 'x' }], actions: { stop: true } }), ['conditions.0.header']);
  t.same(fieldsOf({ conditions: [{ field: 'nope', op: 'contains', value: 'x' }], actions: { stop: true } }), ['conditions.0.field']);
  t.same(validateFilter({ match: 'any', conditions: [c('kind', 'equals', 'bounce')], actions: { tags: ['a', 'a', ' '], folder: ' F ', skip: false } }).def,
    { match: 'any', conditions: [c('kind', 'equals', 'bounce')], actions: { tags: ['a'], folder: 'F' } });
});

t.test('the bounded engine: a table of patterns', async (t) => {
  const rows: Array<[string, string, boolean]> = [
    ['^abc$', 'ABC', true], ['^abc$', 'xabc', false], ['a|b', 'zzb', true], ['colou?r', 'color', true], ['[A-Z]{3}-\\d{2,4}', 'ref abc-12', true],
    ['(?:foo|bar)+baz', 'foobarbaz', true], ['x{2}', 'x', false], ['[^a-z]', 'abc', false], ['\\.', 'a.b', true], ['a.c', 'a\nc', false], ['\\x41', 'a', true],
  ];
  for (const [p, s, want] of rows) t.equal(compilePattern(p).test(s), want, `${p} on ${JSON.stringify(s)}`);
});

t.test('hostile input: classic evil patterns on 100 KB finish fast', async (t) => {
  const hostile = `${'a'.repeat(100 * 1024)}!`;
  const hostileFacts: MessageFacts = { ...facts, subject: hostile, body: hostile };
  // (a|aa)+$ passes safe-regex2 and takes forever in a backtracking engine on a few KB; ours is linear.
  for (const p of ['(a|aa)+$', '(a+)+$', '^(\\w+\\s?)*$', '.*a.*a.*b', '(.*){1,20}b']) {
    const started = performance.now();
    const hit = conditionHolds(c('body', 'matches', p), hostileFacts);
    const ms = performance.now() - started;
    t.ok(ms < 1500, `${p}: ${ms.toFixed(0)} ms`);
    t.equal(typeof hit, 'boolean');
    console.log(`RESULT filters-regex-hostile pattern=${JSON.stringify(p)} input_kb=100 ms=${ms.toFixed(1)}`);
  }
  const huge = { ...facts, body: `${'a'.repeat(10 * 1024 * 1024)}zzz` };
  const started = performance.now();
  t.equal(conditionHolds(c('body', 'contains', 'zzz'), huge), false, 'text past the 256 KB cap is not read');
  t.ok(performance.now() - started < 500, 'contains reads a capped body');
});
