/* Status code → reason, diagnostic text → reason, hard/soft and side, and the SMTP-time reply classifier. */
import t from 'tap';
import { classifyReply } from '../../../server/bounces/classify.js';
import { defaultRules } from '../../../server/bounces/rules.js';
import { rhostReason } from '../../../server/bounces/rhost.js';
import { classOf, decideReason, sweepContinuations, findCommand, findReplyCode, findStatus, pseudoStatus, sideOf } from '../../../server/bounces/reason.js';

const rules = defaultRules();
const reasonOf = (status: string | null, diagnostic: string, command: string | null = null, action: string | null = null) =>
  decideReason(rules, { status, diagnostic, command, action, diagnosticType: 'SMTP', replyCode: findReplyCode(diagnostic), vendor: null });

t.test('status code alone → reason', async (t) => {
  const table: Array<[string, string]> = [
    ['5.1.1', 'userunknown'], ['5.1.2', 'hostunknown'], ['5.1.6', 'hasmoved'], ['5.1.8', 'rejected'], ['5.1.10', 'notaccept'], ['5.2.1', 'filtered'],
    ['5.2.2', 'mailboxfull'], ['4.2.2', 'mailboxfull'], ['5.2.3', 'exceedlimit'], ['5.3.4', 'mesgtoobig'], ['5.3.1', 'systemfull'], ['5.4.4', 'hostunknown'],
    ['4.4.7', 'expired'], ['5.5.3', 'toomanyconn'], ['5.6.0', 'contenterror'], ['5.7.1', 'securityerror'], ['5.7.13', 'suspend'], ['5.7.23', 'authfailure'],
    ['5.7.25', 'requireptr'], ['5.7.27', 'notaccept'], ['4.7.1', 'blocked'], ['5.6.9', 'contenterror'], ['5.7.9', 'securityerror'],
  ];
  for (const [status, want] of table) t.equal(reasonOf(status, ''), want, status);
  t.equal(reasonOf('5.7.0', ''), 'securityerror', 'X.7 class fallback');
  t.equal(reasonOf(null, ''), 'undefined', 'nothing at all');
  t.equal(reasonOf(null, 'something odd happened'), 'onhold', 'text nobody understands');
  t.equal(reasonOf(null, '', null, 'delayed'), 'expired', 'a delayed DSN without detail');
});

t.test('diagnostic text → reason', async (t) => {
  const table: Array<[string, string, string | null]> = [
    ['550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table', 'userunknown', 'RCPT'],
    ['550 No such user here', 'userunknown', 'RCPT'],
    ['550 Unknown user kijitora@example.jp', 'filtered', 'DATA'],
    ['552 5.2.2 Mailbox full', 'mailboxfull', null],
    ['452 4.2.2 The email account that you tried to reach is over quota.', 'mailboxfull', null],
    ['554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked', 'RCPT'],
    ['550 5.7.1 Message rejected as spam by Content Filtering.', 'spamdetected', 'DATA'],
    ['550 5.7.26 This message does not pass DMARC authentication checks', 'authfailure', 'DATA'],
    ['421 4.7.0 Too many concurrent connections from this IP', 'toomanyconn', null],
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'userunknown', 'RCPT'],
    ['556 5.1.10 Recipient address has null MX', 'notaccept', null],
    ['552 5.3.4 Message size exceeds fixed maximum message size', 'mesgtoobig', null],
    ['552 5.2.3 Message size exceeds fixed maximum message size (10485760)', 'exceedlimit', 'MAIL'],
    ['451 4.3.0 Temporary system problem, try again later', 'systemerror', null],
    ['554 5.7.1 <x@y.example>: Relay access denied', 'norelaying', 'RCPT'],
    ['550 5.7.1 Client host rejected: cannot find your hostname, [192.0.2.9]', 'requireptr', 'RCPT'],
    // Without Yahoo's host this is Sisimai's generic blocked; the Yahoo rhost table makes it badreputation (classify.test.ts).
    ['421 4.7.0 [TS01] Messages from 192.0.2.3 temporarily deferred due to user complaints', 'blocked', null],
    ['550 5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered', 'speeding', 'RCPT'],
    ['550 5.7.1 Virus detected: Eicar-Test-Signature', 'virusdetected', 'DATA'],
    ['554 5.7.9 Message not accepted for policy reasons', 'policyviolation', 'DATA'],
    ['550 5.7.1 Message violates our content policy', 'securityerror', 'DATA'],
    ['550 5.6.9 improper use of 8-bit data in message header', 'contenterror', 'DATA'],
    ['553 5.1.8 <a@ours.example>... Domain of sender address a@ours.example does not exist', 'rejected', 'MAIL'],
    ['550 This mailbox is suspended', 'suspend', null],
    ['550 5.1.6 recipient no longer on server', 'hasmoved', 'RCPT'],
    ['Host unknown (Name server: mx.example.invalid: host not found)', 'hostunknown', null],
    ['550 5.7.1 This message is not RFC 5322 compliant. There are multiple Subject headers.', 'notcompliantrfc', 'DATA'],
    ['retry timeout exceeded', 'expired', null],
    ['Connection timed out', 'expired', null],
    ['Malformed or unexpected name server reply', 'networkerror', null],
    ['550-5.7.1 Messages with multiple 550-5.7.1 addresses in From: header are not accepted', 'notcompliantrfc', 'DATA'],
    ['421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]', 'blocked', 'DATA'],
  ];
  for (const [text, want, command] of table) t.equal(reasonOf(findStatus(text), sweepContinuations(text), command), want, text);
});

t.test('enhanced codes, reply codes and commands are found in text', async (t) => {
  t.equal(findStatus('550 5.1.1 <a@b>... User unknown'), '5.1.1');
  t.equal(findStatus('550-5.7.26 Unauthenticated email from 192.0.2.5.4 is not accepted'), '5.7.26');
  t.equal(findStatus('554 5.0.0 Service unavailable; 5.7.1 blocked'), '5.7.1', 'a specific code beats X.0.0');
  t.equal(findStatus('host 192.0.2.1 said: no'), null, 'IPv4 addresses are not codes');
  t.equal(findStatus('Postfix v5.4.2 crashed'), null, 'version numbers are not codes');
  t.equal(findReplyCode('host mx said: 550 5.1.1 no'), '550');
  t.equal(findReplyCode('[Status: Error, ResponseCode 421, , Host not reachable.]'), '421');
  t.equal(findReplyCode('no code'), null);
  t.equal(findCommand('(in reply to RCPT TO command)'), 'RCPT');
  t.equal(findCommand('>>> DATA\n<<< 550 no'), 'DATA');
  t.equal(findCommand('SMTP error from remote mail server after MAIL FROM:<a@b> SIZE=1:'), 'MAIL');
  t.equal(findCommand('SMTP error from remote mail server after end of data'), 'DATA');
});

t.test('hard only for a bad address; sender side for refusals of us', async (t) => {
  const cases: Array<[string, string | null, string | null, 'hard' | 'soft']> = [
    ['userunknown', '5.1.1', '550', 'hard'], ['hostunknown', '5.0.912', null, 'hard'], ['hasmoved', '5.1.6', null, 'hard'],
    ['notaccept', '5.1.10', '556', 'hard'], ['notaccept', '5.0.932', null, 'hard'], ['notaccept', '4.3.2', '421', 'soft'],
    ['mailboxfull', '5.2.2', '552', 'soft'], ['blocked', '5.7.1', '554', 'soft'], ['filtered', '5.2.0', null, 'soft'], ['expired', '5.0.947', null, 'soft'],
    ['suspend', '5.2.1', '550', 'soft'], ['policyviolation', '5.7.0', '550', 'soft'],
  ];
  for (const [reason, status, code, want] of cases) t.equal(classOf(reason, status, code), want, `${reason} ${status}`);
  for (const r of ['blocked', 'spamdetected', 'authfailure', 'toomanyconn', 'badreputation', 'requireptr', 'speeding', 'policyviolation', 'norelaying', 'rejected']) t.equal(sideOf(r), 'sender', r);
  for (const r of ['userunknown', 'hostunknown', 'mailboxfull', 'suspend', 'filtered', 'expired', 'hasmoved', 'notaccept', 'exceedlimit']) t.equal(sideOf(r), 'recipient', r);
  t.equal(pseudoStatus(rules, 'userunknown', false), '5.0.911');
  t.equal(pseudoStatus(rules, 'expired', true), '4.0.947');
});

t.test('classifyReply for SMTP-time upstream answers', async (t) => {
  const replies: Array<[number, string, string, 'hard' | 'soft', 'recipient' | 'sender', boolean]> = [
    [550, '5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table', 'userunknown', 'hard', 'recipient', true],
    [550, '5.1.1 The email account that you tried to reach does not exist.', 'userunknown', 'hard', 'recipient', true],
    [452, '4.2.2 The email account that you tried to reach is over quota.', 'mailboxfull', 'soft', 'recipient', false],
    [554, '5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked', 'soft', 'sender', true],
    [421, '4.7.0 Too many concurrent connections from this IP', 'toomanyconn', 'soft', 'sender', false],
    [550, 'No such user', 'userunknown', 'hard', 'recipient', true],
    [451, 'Greylisted, please come back later', 'onhold', 'soft', 'recipient', false],
  ];
  for (const [code, text, reason, cls, side, permanent] of replies) t.match(classifyReply({ code, text }), { reason, class: cls, side, permanent }, `${code} ${text}`);
  t.match(classifyReply({ code: 550, text: 'User unknown', command: 'DATA' }), { reason: 'filtered', class: 'soft' }, 'after DATA it is a filter');
  t.match(classifyReply({ code: 550, enhanced: '5.1.1', text: 'nope' }), { status: '5.1.1', reason: 'userunknown' });
  t.match(classifyReply({ code: 554, text: 'rejected for unknown reasons' }), { status: /^5\.0\.9\d\d$/ });
});

t.test("a provider's own codes decide for its hosts only", async (t) => {
  const text = '421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]';
  t.equal(rhostReason(rules.rhosts, 'smtp-in.orange.fr wanadoo.fr', text), 'systemerror', 'Orange error id 505');
  t.equal(rhostReason(rules.rhosts, 'mx.example.net example.net', text), null, 'another host: the generic tables decide');
  t.equal(rhostReason(rules.rhosts, 'mta7.am0.yahoodns.net yahoo.com', '421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints'), 'badreputation');
  t.equal(rhostReason(rules.rhosts, 'smtp.secureserver.net', '552 This message has been rejected due to content judged to be spam by the internet community. IB212'), 'spamdetected');
  t.equal(rhostReason(rules.rhosts, 'charter.net', '550 5.1.0 sender rejected. AUP#In-1310'), 'toomanyconn', 'Spectrum ranges');
});
