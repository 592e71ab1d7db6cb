/*
 * Format coverage beyond the development fixtures: one hand-written bounce per MTA / provider
 * format (formats.cases.ts) must give the failed recipient, Sisimai's reason and the hard/soft
 * class, and nothing else; plus the format-extras data (formats.ts) and its limits.
 */
import t from 'tap';
import { classifyMessage } from '../../../server/bounces/classify.js';
import { rulesWith, RuleError } from '../../../server/bounces/rules.js';
import { compileExtras, sharedDiagnostic } from '../../../server/bounces/formats.js';
import { CASES } from './formats.cases.js';

for (const c of CASES) {
  t.test(`${c.format}: ${c.recipient} ${c.reason}`, async (t) => {
    const r = classifyMessage(c.raw);
    t.equal(r.kind, 'bounce');
    t.equal(r.recipients.length, c.count ?? 1, `recipients: ${r.recipients.map((x) => x.recipient).join(', ')}`);
    t.match(r.recipients.find((x) => x.recipient === c.recipient), { reason: c.reason, class: c.class, ...(c.status ? { status: c.status } : {}) });
  });
}

t.test('format extras are validated with messages naming the entry', async (t) => {
  const base = { name: 'X', match: { body: 'x' } };
  t.throws(() => rulesWith({ vendors: [{ ...base, dsnField: { name: 'x-cat', values: { a: 'nonsense' } } }] }), RuleError);
  t.throws(() => rulesWith({ vendors: [{ ...base, diagnostic: { after: ['('] } }] }), /diagnostic\.after/);
  t.throws(() => rulesWith({ vendors: [{ ...base, rhost: '[' }] }), /rhost/);
  t.throws(() => rulesWith({ vendors: [{ ...base, subjectReasons: { nonsense: ['x'] } }] }), /subjectReasons/);
  t.throws(() => rulesWith({ vendors: [{ ...base, subjectReasons: { rejected: ['('] } }] }), /subjectReasons\.rejected/);
});

t.test('a shared diagnostic is cut between its markers and stays cheap on hostile input', async (t) => {
  const x = compileExtras({ diagnostic: { after: ['^Could not be delivered because of'], before: ['^The following recipients'] } }, 't');
  t.equal(sharedDiagnostic(x, 'Your message:\nCould not be delivered because of\n\n550 5.1.1 User unknown\n\nThe following recipients were affected:\n    a@b.example\n'), '550 5.1.1 User unknown');
  t.equal(sharedDiagnostic(x, 'no markers here'), null);
  const huge = `Could not be delivered because of\n${'550 busy '.repeat(500000)}`;
  const t0 = Date.now();
  t.ok(sharedDiagnostic(x, huge)!.length <= 2000);
  t.ok(Date.now() - t0 < 500, 'linear');
});

t.test('a format rule never makes plain mail a bounce', async (t) => {
  const plain = ['From: Ann <ann@friends.example>', 'To: news@ours.example', 'Subject: The parcels', 'Message-ID: <1.2.JavaMail.ann@friends.example>', '',
    'Hello, the parcels arrived. Message details: see below.', ''].join('\n');
  t.not(classifyMessage(plain).kind, 'bounce');
  // A post an fml list distributes carries X-MLServer too; only its -admin@ notices are reports.
  const post = ['From: Ann <ann@friends.example>', 'To: team-ml@lists.example.org', 'Subject: [team-ml:00123] Minutes', 'X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]',
    'Message-ID: <20250303.abc@friends.example>', '', 'Minutes attached; reply to <team-ml@lists.example.org>.', ''].join('\n');
  t.not(classifyMessage(post).kind, 'bounce');
});
