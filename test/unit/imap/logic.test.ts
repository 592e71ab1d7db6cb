/* The IMAP sync's pure logic: Message-ID and Return-Path from the header block, dedupe keys, UID sets, backfill pages, stages of errors. */
import t from 'tap';
import { dedupeKey, denseFolder, rangePages, searchedPages, errorText, headerBlock, messageIdOf, reconnectDelay, returnPathOf, seqSet, stageOf, stateAfterError } from '../../../server/imap/logic.js';

t.test('headers', async (t) => {
  const raw = Buffer.from('Return-Path: <bounce@x.example>\r\nMessage-ID:\r\n <abc@x.example>\r\nSubject: hi\r\n\r\nMessage-ID: <body@x>\r\n');
  const h = headerBlock(raw);
  t.equal(messageIdOf(h), 'abc@x.example', 'folded header, brackets removed; the body is not read');
  t.equal(returnPathOf(h), 'bounce@x.example');
  t.equal(messageIdOf(headerBlock(Buffer.from('no headers at all'))), null);
  t.equal(messageIdOf(headerBlock(Buffer.from('Subject: x\n\nbody'))), null);
  t.equal(returnPathOf(headerBlock(Buffer.from('Subject: x\n\n'))), '');
});

t.test('dedupe key: the same Message-ID and bytes only', async (t) => {
  const a = Buffer.from('Message-ID: <1@x>\r\n\r\nhello');
  t.equal(dedupeKey('1@x', a), dedupeKey('1@x', Buffer.from(a)));
  t.not(dedupeKey('1@x', a), dedupeKey('2@x', a), 'another Message-ID');
  t.not(dedupeKey('1@x', a), dedupeKey('1@x', Buffer.from('Message-ID: <1@x>\r\n\r\nhello!')), 'other bytes under a reused Message-ID');
  t.match(dedupeKey(null, a), /^[0-9a-f]{64}$/);
});

t.test('UID sets and pages', async (t) => {
  t.equal(seqSet([9, 1, 2, 3, 7, 10, 2]), '1:3,7,9:10');
  t.equal(seqSet([5]), '5');
  t.equal(seqSet([]), '');
});

t.test('first-sync pages from a SEARCH: newest first, each UID once', async (t) => {
  const all = [1000, 2, 1, 4, 3, 1002, 5, 1001];
  const pages = [...searchedPages(all, 1003, 3)];
  t.same(pages.map((p) => [p.set, p.floor]), [['1000:1002', 1000], ['3:5', 3], ['1:2', 1]], 'newest first, across a UID gap, a short last page');
  t.ok(pages[0]!.has(1001) && !pages[0]!.has(5) && !pages[0]!.has(999), 'a page keeps its own UIDs only');
  t.same([...searchedPages(all, 1000, 3)].map((p) => p.set), ['3:5', '1:2'], 'below the cursor only');
  t.same([...searchedPages(all, 1, 3)], [], 'done');
  t.same([...searchedPages([], 50, 3)], [], 'nothing found');
});

t.test('first-sync pages by UID range: every UID below the cursor exactly once', async (t) => {
  t.same([...rangePages(11, 4)].map((p) => [p.set, p.floor]), [['7:10', 7], ['3:6', 3], ['1:2', 1]], 'newest first, a short last page down to UID 1');
  t.same([...rangePages(2, 4)].map((p) => p.set), ['1'], 'one UID left');
  t.same([...rangePages(1, 4)], [], 'done');
  const low = 1001, size = 7, seen = new Map<number, number>();
  const pages = [...rangePages(low, size)];
  for (let u = 0; u <= low + 1; u++) seen.set(u, pages.filter((p) => p.has(u)).length);
  t.ok([...seen].every(([u, n]) => (u >= 1 && u < low ? n === 1 : n === 0)), 'each UID in 1..low-1 in exactly one page, none outside');
  t.ok(pages.every((p, i) => i === 0 || p.floor < pages[i - 1]!.floor), 'floors fall page by page');
});

t.test('dense folders page by range, sparse ones SEARCH', async (t) => {
  t.ok(denseFolder(10_000, 10_000), 'no gaps');
  t.ok(denseFolder(5000, 10_000), 'half the UIDs left');
  t.notOk(denseFolder(4999, 10_000), 'fewer than half');
  t.notOk(denseFolder(10, 1_000_000), 'a sparse folder');
  t.notOk(denseFolder(0, 0), 'an empty folder');
});

t.test('stages and states', async (t) => {
  t.equal(stageOf(Object.assign(new Error('Authentication failed.'), { authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' })), 'login');
  t.equal(stageOf(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' })), 'dns');
  t.equal(stageOf(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })), 'tls');
  t.equal(stageOf(Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' })), 'tls');
  t.equal(stageOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'tcp');
  t.equal(stateAfterError(Object.assign(new Error('x'), { authenticationFailed: true })), 'auth_error');
  t.equal(stateAfterError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'connect_error');
  t.equal(errorText(Object.assign(new Error('Command failed'), { responseText: 'Authentication failed.' })), 'Authentication failed.', 'the server\'s words win');
  t.equal(errorText(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })), 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate');
  const o = { baseMs: 1000, maxMs: 8000, jitter: 0 };
  t.same([1, 2, 3, 4, 5].map((n) => reconnectDelay(n, o)), [1000, 2000, 4000, 8000, 8000], 'backoff doubles up to its cap');
});
