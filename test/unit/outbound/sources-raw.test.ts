/* Relay of submitted raw mail: headers kept, Bcc/Return-Path dropped, CRLF only, Message-ID kept or added. */
import t from 'tap';
import { prepareRelayRaw, toCrlf } from '../../../server/outbound/render/raw.js';

const opts = { messageIdDomain: 'ours.example', newId: () => 'fixed' };

t.test('keeps the app headers and body; drops Bcc (folded too) and Return-Path', async (t) => {
  const raw = Buffer.from('Return-Path: <app@app.example>\nFrom: a@app.example\nBcc: x@example.com,\n  y@example.com\nX-App: 1\nSubject: hi\n  there\nMessage-ID: <m1@app.example>\n\nline1\nline2\r\n\xe9\n', 'latin1');
  const r = prepareRelayRaw(raw, opts);
  const s = r.raw.toString('latin1');
  t.equal(s, 'From: a@app.example\r\nX-App: 1\r\nSubject: hi\r\n  there\r\nMessage-ID: <m1@app.example>\r\n\r\nline1\r\nline2\r\n\xe9\r\n');
  t.same(r.removed.sort(), ['bcc', 'return-path']);
  t.equal(r.messageId, '<m1@app.example>');
  t.notMatch(s, /(^|[^\r])\n/, 'no bare LF');
  t.notMatch(s, /\r(?!\n)/, 'no bare CR');
});

t.test('adds a Message-ID when missing or malformed', async (t) => {
  t.equal(prepareRelayRaw(Buffer.from('From: a@b.example\r\n\r\nx'), opts).messageId, '<fixed@ours.example>');
  const bad = prepareRelayRaw(Buffer.from('Message-ID: junk\r\nFrom: a@b.example\r\n\r\nx'), opts);
  t.equal(bad.raw.toString(), 'From: a@b.example\r\nMessage-ID: <fixed@ours.example>\r\n\r\nx');
});

t.test('toCrlf', async (t) => {
  for (const [i, o] of [['a\nb', 'a\r\nb'], ['a\rb', 'a\r\nb'], ['a\r\nb', 'a\r\nb'], ['a\n\rb', 'a\r\n\r\nb']]) t.equal(toCrlf(Buffer.from(i!)).toString(), o);
});
