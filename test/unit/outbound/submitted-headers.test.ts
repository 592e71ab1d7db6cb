/*
 * The header policy for mail an app submits, as a table: exactly one From (and at most one
 * Sender) in today's syntax, every address they show allowed for the credential, a header
 * section that really ends at its empty line; whether the message carries a Date.
 */
import t from 'tap';
import { checkSubmittedHeaders } from '../../../server/outbound/compose/headerCheck.js';

const allowed = (a: string) => a.endsWith('@example.test');
const check = (head: string) => checkSubmittedHeaders(Buffer.from(`${head}\r\n\r\nbody\r\n`), allowed);

t.test('refused: missing, repeated or obsolete From/Sender (550 5.6.0)', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['Subject: none', /no From/],
    ['From: a@example.test\r\nFrom: ceo@bank.test', /2 From/],
    ['from: a@example.test\r\nFROM: b@example.test', /2 From/],
    ['From: a@example.test\r\nSender: a@example.test\r\nSender: b@example.test', /2 Sender/],
    ['From: a@example.test\r\nFrom : ceo@bank.test', /2 From/],
    ['From : a@example.test', /obsolete/],
    ['Sender\t: a@example.test\r\nFrom: a@example.test', /obsolete/],
    ['From: <@bank.test:a@example.test>', /obsolete|syntax/],
    ['From: a@example.test,,b@example.test\r\nSender: a@example.test', /obsolete|syntax/],
    ['From: Friends: a@example.test;', /syntax/],
    ['From: "unterminated <a@example.test>', /syntax/],
    ['From: a@example.test (unterminated', /syntax/],
    ['From: <a@example.test> trailing', /syntax/],
    ['From: a@example.test, b@example.test', /Sender/],
    ['From: a@example.test\r\nSender: a@example.test, b@example.test', /Sender/],
    ['From: a@example.test\r\nX-Junk-Line\r\nFrom: ceo@bank.test', /header/],
  ];
  for (const [head, re] of cases) {
    const r = check(head);
    t.match(r, { ok: false, code: 550, message: /^5\.6\.0 / }, JSON.stringify(head));
    if (!r.ok) t.match(r.message, re, `${JSON.stringify(head)} → ${r.message}`);
  }
});

t.test('refused: an address the credential may not use, wherever it shows (550 5.7.1)', async (t) => {
  for (const head of [
    'From: ceo@bank.test',
    'From: a@example.test\r\nSender: ceo@bank.test',
    'From: "ceo@bank.test" <a@example.test>',
    'From: a@example.test (ceo@bank.test)',
    'From: =?utf-8?q?ceo=40bank.test?= <a@example.test>',
    'From: a@example.test, ceo@bank.test\r\nSender: a@example.test',
  ]) {
    const r = check(head);
    t.match(r, { ok: false, code: 550, message: /^5\.7\.1 .*ceo@bank\.test/ }, JSON.stringify(head));
  }
});

t.test('accepted, with whether a Date is present', async (t) => {
  t.same(check('From: a@example.test'), { ok: true, hasDate: false });
  t.same(check('From: "A, Person" <a@example.test>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000'), { ok: true, hasDate: true });
  t.same(check('From: A. Person <a@example.test>, b@example.test\r\nSender: a@example.test'), { ok: true, hasDate: false }, 'obs-phrase dots are common and harmless');
  t.same(check('From:\r\n  =?utf-8?q?J=C3=B6rg?= <A@Example.Test> (sales)'), { ok: true, hasDate: false }, 'folded, encoded name, comment');
  t.same(check('Subject: x\r\nFrom: <a@example.test>\r\nsender: b@example.test'), { ok: true, hasDate: false });
  t.same(checkSubmittedHeaders(Buffer.from('From: a@example.test\r\n'), allowed), { ok: true, hasDate: false }, 'no body at all');
});
