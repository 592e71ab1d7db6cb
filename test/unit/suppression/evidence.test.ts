/* Evidence in returned messages: which signed tokens count, where they are looked for, and what is never evidence. */
import t from 'tap';
import { parseMessage } from '../../../server/lib/mime.js';
import { classifyMessage } from '../../../server/bounces/classify.js';
import { returnedFields, signedRowIds, type TokenVerifiers } from '../../../server/suppression/evidence.js';
import { makeVerpAddress, parseVerpAddress } from '../../../server/lib/verp.js';
import { signFields, verifyFields } from '../../../server/lib/tokens.js';
import { deriveKey } from '../../../server/lib/keys.js';

const verpKey = deriveKey('unit-secret-0123456789', 'verp');
const optKey = deriveKey('unit-secret-0123456789', 'optout');
const v: TokenVerifiers = {
  verp: (a) => { const r = parseVerpAddress({ key: verpKey, prefix: 'b', bounceDomains: ['bounce.ours.example'] }, a); return r.ok ? r.id : null; },
  optout: (tok) => verifyFields(optKey, tok, 1)?.[0] ?? null,
};
const verp = (id: number) => makeVerpAddress({ key: verpKey, prefix: 'b', bounceDomain: 'bounce.ours.example', id });
const report = (part3: string[], as = 'message/rfc822', top: string[] = []) => ['From: MAILER-DAEMON@mx.example.net', ...top, 'Subject: Undelivered Mail',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '', '--b', 'Content-Type: message/delivery-status', '', 'Final-Recipient: rfc822; x@example.org',
  'Action: failed', 'Status: 5.1.1', '', '--b', `Content-Type: ${as}`, '', ...part3, '', 'body', '--b--', ''].join('\n');
const ids = (raw: string) => signedRowIds(returnedFields(parseMessage(raw), classifyMessage(raw).original), v);

const cases: Array<[string, string, number[]]> = [
  ['Return-Path of the returned message', report([`Return-Path: <${verp(7)}>`]), [7]],
  ['headers-only part', report([`Return-Path: <${verp(8)}>`], 'text/rfc822-headers'), [8]],
  ['Received envelope-from, not the first Received', report(['Received: from a by b', `Received: from mx (envelope-from <${verp(9)}>) by c`]), [9]],
  ['upper-cased by a provider', report([`X-Envelope-From: ${verp(10).toUpperCase()}`]), [10]],
  ['two tokens, each once', report([`Return-Path: <${verp(11)}>`, `X-Envelope-From: <${verp(12)}>`, `Sender: ${verp(11)}`]), [11, 12]],
  ['opt-out token in List-Unsubscribe', report([`List-Unsubscribe: <https://p.example/u/${signFields(optKey, [13])}>`]), [13]],
  ['opt-out token in the mailto', report([`List-Unsubscribe: <mailto:unsubscribe+${signFields(optKey, [14])}@ours.example>`]), [14]],
  ['a quoted copy in a plain-text bounce', ['From: MAILER-DAEMON@mx.example.net', 'Subject: failure notice', '', 'Sorry, we were unable to deliver your message.', '',
    '------ This is a copy of the message, including all the headers. ------', '', `Return-Path: <${verp(19)}>`, 'Subject: News', '', 'body', ''].join('\n'), [19]],
  ['our queue id header', report(['X-Postern-Queue-Id: 15']), []],
  ['a Message-ID', report(['Message-ID: <pm15.abcdef@ours.example>']), []],
  ['an unsigned VERP-like address', report(['Return-Path: <b-aaaaaaaaaaaaaaaaaaaaaaaaaa@bounce.ours.example>']), []],
  ['a token on another domain', report([`Return-Path: <${verp(16).replace('bounce.ours.example', 'evil.test')}>`]), []],
  ['an opt-out token signed with another key', report([`List-Unsubscribe: <https://p.example/u/${signFields(deriveKey('x-secret-0123456789', 'optout'), [17])}>`]), []],
  ['a token only in the report\'s own headers', report(['Subject: hi'], 'message/rfc822', [`To: ${verp(18)}`]), []],
];

t.test('signedRowIds over returned fields', async (t) => {
  for (const [name, raw, want] of cases) t.same(ids(raw), want, name);
});
