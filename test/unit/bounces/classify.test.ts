/* The classifier on hand-made messages and SMTP replies: formats, kinds, sides, limits. */
import t from 'tap';
import { classifyMessage, classifyReply } from '../../../server/bounces/classify.js';
import { classOf } from '../../../server/bounces/reason.js';
import { rulesWith, RuleError } from '../../../server/bounces/rules.js';

const dsn = (rcpt: string, status: string, diag: string, action = 'failed') => [
  'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>', 'To: news@ours.example', 'Subject: Undelivered Mail Returned to Sender',
  'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"', '',
  '--b1', 'Content-Type: text/plain', '', 'I could not deliver your message.', '',
  '--b1', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.net', '',
  `Final-Recipient: rfc822; ${rcpt}`, `Action: ${action}`, `Status: ${status}`, `Diagnostic-Code: smtp; ${diag}`, '',
  '--b1', 'Content-Type: text/rfc822-headers', '', 'Message-ID: <q42.abc@ours.example>', `To: ${rcpt}`, 'From: news@ours.example', '', '--b1--', '',
].join('\r\n');

const replies: Array<[number, string, string, 'hard' | 'soft', 'recipient' | 'sender']> = [
  [550, '5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table', 'userunknown', 'hard', 'recipient'],
  [550, '5.1.1 The email account that you tried to reach does not exist.', 'userunknown', 'hard', 'recipient'],
  [552, '5.2.2 Mailbox full', 'mailboxfull', 'soft', 'recipient'],
  [452, '4.2.2 The email account that you tried to reach is over quota.', 'mailboxfull', 'soft', 'recipient'],
  [554, '5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked', 'soft', 'sender'],
  [550, '5.7.1 Message rejected as spam by Content Filtering.', 'spamdetected', 'soft', 'sender'],
  [550, '5.7.26 This message does not pass DMARC authentication checks', 'authfailure', 'soft', 'sender'],
  [421, '4.7.0 Too many concurrent connections from this IP', 'toomanyconn', 'soft', 'sender'],
  [550, '5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'userunknown', 'hard', 'recipient'],
  [556, '5.1.10 Recipient address has null MX', 'notaccept', 'hard', 'recipient'],
  [550, '5.1.6 Recipient has moved', 'hasmoved', 'hard', 'recipient'],
  [552, '5.3.4 Message size exceeds fixed maximum message size', 'mesgtoobig', 'soft', 'sender'],
  [451, '4.3.0 Temporary system problem, try again later', 'systemerror', 'soft', 'recipient'],
  [554, '5.7.1 <x@y.example>: Relay access denied', 'norelaying', 'soft', 'sender'],
  [550, '5.4.1 Recipient address rejected: Access denied. AS(201806281)', 'userunknown', 'hard', 'recipient'],
];
for (const [code, text, reason, cls, side] of replies) {
  t.test(`${code} ${text.slice(0, 50)}`, async (t) => t.match(classifyReply({ code, text }), { reason, class: cls, side }));
}

t.test('hard only for address problems', async (t) => {
  const cases: Array<[string, string, 'hard' | 'soft']> = [['userunknown', '5.1.1', 'hard'], ['hostunknown', '5.1.2', 'hard'], ['hasmoved', '5.1.6', 'hard'],
    ['notaccept', '5.1.10', 'hard'], ['notaccept', '4.0.932', 'soft'], ['mailboxfull', '5.2.2', 'soft'], ['blocked', '5.7.1', 'soft'], ['filtered', '5.2.0', 'soft']];
  for (const [reason, status, want] of cases) t.equal(classOf(reason, status, null), want, `${reason} ${status}`);
});

t.test('an RFC 3464 DSN: recipient, status, action, original Message-ID', async (t) => {
  const c = classifyMessage(dsn('Jane@Example.COM', '5.1.1', '550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown'));
  t.equal(c.kind, 'bounce');
  t.match(c.recipients, [{ recipient: 'jane@example.com', status: '5.1.1', action: 'failed', class: 'hard', reason: 'userunknown', replyCode: '550', side: 'recipient' }]);
  t.equal(c.original?.messageId, 'q42.abc@ours.example');
});

t.test('a delayed DSN is soft and delayed', async (t) => {
  const c = classifyMessage(dsn('a@example.org', '4.4.7', 'delivery temporarily suspended: connect to mx.example.org: Connection timed out', 'delayed'));
  t.match(c.recipients[0], { action: 'delayed', class: 'soft', status: '4.4.7' });
});

t.test('a success DSN is a delivery notification, not a bounce', async (t) => {
  t.equal(classifyMessage(dsn('a@example.org', '2.0.0', '250 ok', 'delivered')).kind, 'delivery-notification');
});

t.test('a qmail-style text bounce', async (t) => {
  const msg = ['From: MAILER-DAEMON@mail.example.org', 'To: news@ours.example', 'Subject: failure notice', '',
    'Hi. This is the qmail-send program at mail.example.org.', "I'm afraid I wasn't able to deliver your message to the following addresses.", '',
    '<bob@example.org>:', 'Sorry, no mailbox here by that name. (#5.1.1)', '', '--- Below this line is a copy of the message.', '', 'To: bob@example.org', 'From: news@ours.example', ''].join('\n');
  const c = classifyMessage(msg);
  t.match(c.recipients, [{ recipient: 'bob@example.org', reason: 'userunknown', class: 'hard' }]);
  t.equal(c.recipients.length, 1, 'the copy of the message adds no recipient');
});

t.test('out-of-office replies are never bounces, even from a null sender', async (t) => {
  for (const [h, subject] of [['Auto-Submitted: auto-replied', 'Re: News'], ['X-Autoreply: yes', 'Re: News'], ['Precedence: auto_reply', 'hi'], ['', 'Out of Office: News'], ['', 'Automatische Antwort: News'], ['', 'Abwesenheitsnotiz']]) {
    const c = classifyMessage([`From: jane@example.com`, 'To: b-abc@bounce.ours.example', `Subject: ${subject}`, h, '', 'I am away until Monday.'].filter(Boolean).join('\n'));
    t.equal(c.kind, 'auto-reply', `${h} / ${subject}`);
    t.same(c.recipients, []);
  }
});

t.test('an ARF complaint names the complainer and whether to suppress', async (t) => {
  const arf = (type: string) => ['From: fbl@isp.example', 'To: abuse@ours.example', 'Subject: FW: complaint', 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="z"', '', '--z', 'Content-Type: text/plain', '', 'A complaint.', '',
    '--z', 'Content-Type: message/feedback-report', '', `Feedback-Type: ${type}`, 'User-Agent: x/1', 'Version: 1', 'Original-Rcpt-To: <Carol@Example.net>', '',
    '--z', 'Content-Type: message/rfc822', '', 'Message-ID: <m1@ours.example>', 'To: carol@example.net', '', 'hi', '--z--', ''].join('\n');
  t.match(classifyMessage(arf('abuse')), { kind: 'complaint', feedback: { type: 'abuse', recipient: 'carol@example.net', effect: 'suppress-recipient' }, original: { messageId: 'm1@ours.example' } });
  t.match(classifyMessage(arf('auth-failure')).feedback, { effect: 'ignore' });
});

t.test('hostile input stays cheap: deep nesting, many parts, no boundary end', async (t) => {
  const deep = ['Content-Type: multipart/mixed; boundary="b0"', ''];
  for (let i = 1; i < 2000; i++) deep.push(`--b${i - 1}`, `Content-Type: multipart/mixed; boundary="b${i}"`, '');
  const many = ['From: MAILER-DAEMON@x.example', 'Content-Type: multipart/mixed; boundary="m"', '', ...Array.from({ length: 60_000 }, () => '--m\nContent-Type: text/plain\n\nx'), '--m--'];
  for (const [name, msg] of [['2000-deep nesting', deep.join('\n')], ['60,000 parts', many.join('\n')], ['unterminated', 'Content-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: text/plain\n\nno end']] as const) {
    const start = Date.now();
    t.doesNotThrow(() => classifyMessage(msg), name);
    t.ok(Date.now() - start < 2000, `${name} in ${Date.now() - start} ms`);
  }
});

t.test('rules are data: extra rules apply first, a bad regex is a clear error', async (t) => {
  const rules = rulesWith({ reasons: { filtered: ['bananas'] } });
  t.equal(classifyReply({ code: 550, text: 'user unknown, bananas' }, rules).reason, 'filtered');
  t.equal(classifyReply({ code: 550, text: 'user unknown, bananas' }).reason, 'userunknown', 'the shipped rules alone say userunknown');
  t.throws(() => rulesWith({ reasons: { filtered: ['(unclosed'] } }), RuleError);
});
