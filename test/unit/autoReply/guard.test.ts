/* The RFC 3834 auto-reply guards as a table, the period bucket, the reply's rendering and thread headers, and the mailbox field mapping. */
import t from 'tap';
import { guard, periodBucket, renderReply, threadHeaders, type GuardInput } from '../../../server/routing/autoReply/guard.js';
import { autoReplyInput, autoReplyOf } from '../../../server/routing/autoReply/mailbox.js';

const own = new Set(['ours.example', 'bounce.ours.example']);
const base: GuardInput = { mailFrom: 'ann@customer.example', headers: [['from', 'Ann Lee <ann@customer.example>'], ['subject', 'Help']], kind: 'normal', ownDomains: own };
const h = (...extra: Array<[string, string]>) => [...base.headers, ...extra];

const table: Array<[string, Partial<GuardInput>, string | null]> = [
  ['a person writing', {}, null],
  ['Auto-Submitted: no is a person', { headers: h(['auto-submitted', 'no']) }, null],
  ['Precedence: first-class is a person', { headers: h(['precedence', 'first-class']) }, null],
  ['X-Auto-Response-Suppress: DR, RN only', { headers: h(['x-auto-response-suppress', 'DR, RN']) }, null],
  ['the null sender', { mailFrom: '' }, 'null-sender'],
  ['the null sender in brackets', { mailFrom: '<>' }, 'null-sender'],
  ['an unreadable sender', { mailFrom: 'not an address' }, 'bad-sender'],
  ['MAILER-DAEMON', { mailFrom: 'MAILER-DAEMON@mx.customer.example' }, 'daemon'],
  ['postmaster', { mailFrom: 'Postmaster@customer.example' }, 'daemon'],
  ['a list -request address', { mailFrom: 'users-request@lists.example' }, 'daemon'],
  ['a list owner- address', { mailFrom: 'owner-users@lists.example' }, 'daemon'],
  ['no-reply', { mailFrom: 'no-reply@shop.example' }, 'daemon'],
  ['a bulk mailer VERP return path', { mailFrom: 'bounces+123-abc@mailer.example' }, 'daemon'],
  ['a daemon in From with a person\'s return path', { headers: [['from', 'Mail Delivery System <MAILER-DAEMON@relay.example>']] }, 'daemon'],
  ['List-Id', { headers: h(['list-id', '<users.lists.example>']) }, 'list'],
  ['List-Unsubscribe', { headers: h(['list-unsubscribe', '<mailto:u@lists.example>']) }, 'list'],
  ['Precedence: bulk', { headers: h(['precedence', 'bulk']) }, 'bulk'],
  ['Precedence: list', { headers: h(['precedence', 'List']) }, 'bulk'],
  ['Precedence: junk', { headers: h(['precedence', 'junk']) }, 'bulk'],
  ['Auto-Submitted: auto-replied', { headers: h(['auto-submitted', 'auto-replied']) }, 'auto-submitted'],
  ['Auto-Submitted: auto-generated with a comment', { headers: h(['auto-submitted', 'auto-generated (vacation)']) }, 'auto-submitted'],
  ['Auto-Submitted: auto-notified', { headers: h(['auto-submitted', 'auto-notified; owner-email="x@y.example"']) }, 'auto-submitted'],
  ['X-Autoreply', { headers: h(['x-autoreply', 'yes']) }, 'auto-submitted'],
  ['X-Auto-Response-Suppress: All', { headers: h(['x-auto-response-suppress', 'All']) }, 'suppress-header'],
  ['X-Auto-Response-Suppress: OOF among others', { headers: h(['x-auto-response-suppress', 'DR, OOF']) }, 'suppress-header'],
  ['X-Auto-Response-Suppress: AutoReply', { headers: h(['x-auto-response-suppress', 'autoreply']) }, 'suppress-header'],
  ['one of our local domains', { mailFrom: 'sales@ours.example' }, 'own-address'],
  ['our VERP bounce domain', { mailFrom: 'b-abc@Bounce.Ours.Example' }, 'own-address'],
  ['classified bounce', { kind: 'bounce' }, 'kind'],
  ['classified complaint', { kind: 'complaint' }, 'kind'],
  ['classified auto-reply', { kind: 'auto-reply' }, 'kind'],
];

t.test('who gets an auto-reply', async (t) => {
  for (const [name, over, reason] of table) {
    const v = guard({ ...base, ...over });
    if (reason === null) t.same(v, { reply: true, to: (over.mailFrom ?? base.mailFrom).toLowerCase() }, name);
    else t.same(v, { reply: false, reason }, name);
  }
});

t.test('the reply goes to the envelope sender (Return-Path), not the From field', async (t) => {
  t.same(guard({ ...base, mailFrom: 'ann+bounce@Customer.Example' }), { reply: true, to: 'ann+bounce@customer.example' });
});

t.test('period buckets: one per period, the same within it', async (t) => {
  const day = 86_400_000;
  t.equal(periodBucket(5 * day, day), periodBucket(5 * day + day - 1, day));
  t.not(periodBucket(5 * day - 1, day), periodBucket(5 * day, day));
});

t.test('rendering: placeholders, empty case values, one-line subject, default subject', async (t) => {
  const d = { Case: { number: '', subject: '' }, Person: { name: 'Ann <Lee>', email: 'ann@customer.example' }, Mailbox: { name: 'Support', address: 's@ours.example' }, Message: { subject: 'Help\r\nBcc: x@evil.example' } };
  const r = renderReply({ subject: 'We got it: {Message.subject} [#{Case.number}]', text: 'Hi {Person.name} ({Person.email}), {Mailbox.name} has {Unknown.x}' }, d);
  t.equal(r.subject, 'We got it: Help Bcc: x@evil.example [#]', 'no line break reaches the subject');
  t.equal(r.text, 'Hi Ann <Lee> (ann@customer.example), Support has {Unknown.x}', 'plain text, values as they are, unknown placeholders kept');
  t.equal(renderReply({ subject: '', text: 'x' }, { ...d, Message: { subject: 'Order 7' } }).subject, 'Re: Order 7');
  t.equal(renderReply({ subject: 'Case {Case.number}', text: 'x' }, { ...d, Case: { number: '42', subject: 'S' } }).subject, 'Case 42');
});

t.test('thread headers', async (t) => {
  t.same(threadHeaders(null, undefined), {});
  t.same(threadHeaders('m1@x', '<a@x> <b@x>'), { 'In-Reply-To': '<m1@x>', References: '<a@x> <b@x> <m1@x>' });
  const many = Array.from({ length: 30 }, (_, i) => `<r${i}@x>`).join(' ');
  t.equal(threadHeaders('<m1@x>', many).References!.split(' ').length, 11, 'the last 10 references and the parent');
});

t.test('the mailbox field', async (t) => {
  t.same(autoReplyOf({ auto_reply: false, auto_reply_subject: 'S', auto_reply_body: 'B' }), null);
  t.same(autoReplyOf({ auto_reply: true, auto_reply_subject: null, auto_reply_body: 'B' }), { subject: '', text: 'B' });
  t.same(autoReplyInput(undefined), {});
  t.same(autoReplyInput(null), { autoReply: false }, 'off keeps the texts');
  t.same(autoReplyInput({ subject: 'S', text: 'T' }), { autoReply: true, autoReplySubject: 'S', autoReplyBody: 'T' });
});
