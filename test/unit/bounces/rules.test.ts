/* Rules are data: the shipped file loads, admins extend it, invalid rules fail with a clear error. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../../../server/paths.js';
import { compileRules, defaultRules, rulesWith, RuleError } from '../../../server/bounces/rules.js';
import { classifyMessage, classifyReply } from '../../../server/bounces/classify.js';

const base = JSON.parse(readFileSync(fromRoot('config', 'bounce-rules.json'), 'utf8'));

t.test('the shipped rules compile once and cover the vocabulary', async (t) => {
  const r = defaultRules();
  t.equal(defaultRules(), r, 'compiled once');
  for (const reason of ['userunknown', 'mailboxfull', 'blocked', 'spamdetected', 'expired', 'hostunknown', 'notaccept', 'authfailure']) t.ok(r.text.has(reason), reason);
  t.ok(r.vendors.length >= 25, `${r.vendors.length} vendor formats`);
  t.equal(r.status.get('5.1.1'), 'userunknown');
});

t.test('admin rules are tried first', async (t) => {
  const rules = rulesWith({ reasons: { suspend: ['account on ice'] }, statusReasons: { '5.9.9': 'blocked' } });
  t.equal(classifyReply({ code: 550, text: 'user unknown: account on ice' }, rules).reason, 'suspend');
  t.equal(classifyReply({ code: 550, text: 'user unknown' }, rules).reason, 'userunknown', 'the shipped rules still apply');
  const vendor = rulesWith({ vendors: [{ name: 'AcmeGateway', match: { headers: { 'x-acme-bounce': 'yes' } }, recipient: '^Failed: (\\S+@\\S+)', reasons: { mailboxfull: ['ACME-Q1'] } }] });
  const c = classifyMessage(['From: gw@acme.example', 'To: b@ours.example', 'X-Acme-Bounce: yes', 'Subject: note', '', 'Failed: Zed@Example.org', 'code ACME-Q1', ''].join('\n'), { rules: vendor });
  t.match(c, { kind: 'bounce', vendor: 'AcmeGateway', recipients: [{ recipient: 'zed@example.org', reason: 'mailboxfull', class: 'soft', status: '5.0.922' }] });
});

t.test('invalid rules: clear errors naming the place', async (t) => {
  t.throws(() => compileRules(base, { reasons: { mailboxfull: ['(unclosed'] } }), { name: 'RuleError', message: /extra rules #1\.reasons\.mailboxfull\[0\] is not a valid regular expression/ });
  t.throws(() => compileRules(base, { reasons: { nosuchreason: ['x'] } }), /unknown reason "nosuchreason"/);
  t.throws(() => compileRules(base, { statusReasons: { '9.9': 'blocked' } }), /not an enhanced status code/);
  t.throws(() => compileRules(base, { vendors: [{ name: 'x', match: {} }] }), /needs from, subject, body or headers/);
  t.throws(() => compileRules(base, { vendors: [{ name: 'x', match: { from: '[' } }] }), /vendors\[0\]\.match\.from is not a valid/);
  t.throws(() => compileRules('nope'), RuleError);
  t.throws(() => compileRules({ reasons: {} }), /order\.first/);
});
