/*
 * The mailer log's pure rules: an entry as a row (clipped, unknown vocabularies kept visible),
 * SMTP refusals and mass email state changes as entries, the filter of a query with its
 * errors, the CSV record (formula guard) and the NDJSON line; the delivery reports (deferred
 * and failed logged with the reply, sent only as a webhook event, re-claimed rows not at all)
 * and account health changes.
 */
import t from 'tap';
import { toRow, refusalEntry, massStateEntry, filterFrom, csvRecord, ndjsonLine, CSV_HEADER } from '../../../server/operations/mailerLogEntry.js';
import { deliveryReports, accountHealthEntry } from '../../../server/operations/mailerLogDelivery.js';
import type { RowResult } from '../../../server/db/repos/outbound/results.js';

t.test('toRow clips and normalizes', async (t) => {
  const r = toRow({ level: 'warn', source: 'delivery', event: 'delivery.deferred', message: 'x'.repeat(5000), reply: 'y'.repeat(3000), address: 'Bob@Example.COM', queueId: 7, accountId: 0 }, 1000);
  t.equal(r.at, 1000, 'the clock when no time is given');
  t.equal(r.message.length, 2000);
  t.equal(r.reply!.length, 1000);
  t.equal(r.address, 'bob@example.com');
  t.equal(r.queue_id, 7);
  t.equal(r.account_id, null, 'no id is not an id');
  const odd = toRow({ level: 'loud' as never, source: 'moon' as never, event: '', message: 'm', at: 5 }, 1000);
  t.same([odd.level, odd.source, odd.event, odd.at], ['error', 'job', 'unknown', 5], 'a caller bug stays visible, never dropped');
});

t.test('SMTP refusals', async (t) => {
  const e = refusalEntry({ listener: 'mx', stage: 'rcpt', code: 550, text: '5.1.1 No such user here', ip: '192.0.2.1', from: 'a@x.example', rcpt: 'nobody@ours.example' });
  t.match(e, { level: 'warn', source: 'inbound', event: 'inbound.rcpt_refused', reply: '550 5.1.1 No such user here', address: 'nobody@ours.example' });
  t.match(e.message, /MX refused at RCPT for <nobody@ours\.example> \(192\.0\.2\.1\): 5\.1\.1 No such user here/);
  t.equal(refusalEntry({ listener: 'mx', stage: 'data', code: 451, text: '4.3.0 Temporary storage failure', ip: '::1' }).level, 'error', 'our own trouble');
  t.equal(refusalEntry({ listener: 'submission', stage: 'mail', code: 451, text: '4.7.1 Rate limit', ip: '::1', from: 's@x' }).level, 'info', 'a try-later');
  t.equal(refusalEntry({ listener: 'submission', stage: 'auth', code: 535, text: '5.7.8 Authentication credentials invalid', ip: '::1' }).event, 'inbound.auth_failed');
});

t.test('mass email states', async (t) => {
  t.match(massStateEntry({ id: 3, campaignId: 1, from: 'in_process', to: 'failed', action: 'failed', reason: 'template gone' }),
    { level: 'error', source: 'mass_email', event: 'mass_email.failed', massEmailId: 3, message: 'Mass email #3 failed (in_process → failed): template gone' });
  t.equal(massStateEntry({ id: 3, campaignId: 1, from: 'in_process', to: 'paused', action: 'paused' }).level, 'warn');
  t.equal(massStateEntry({ id: 3, campaignId: 1, from: 'pending', to: 'in_process', action: 'started' }).level, 'info');
});

t.test('filters', async (t) => {
  t.same(filterFrom({ level: 'error', source: 'delivery', accountId: '4', from: '2026-01-02T03:04', to: 1767326400000, q: '  busy ' }).filter,
    { level: 'error', source: 'delivery', accountId: 4, from: Date.UTC(2026, 0, 2, 3, 4), to: 1767326400000, q: 'busy' }, 'a datetime-local value is UTC');
  t.same(filterFrom({ level: '', source: undefined, q: '' }), { filter: {}, errors: [] }, 'empty fields are no filter');
  const bad = filterFrom({ level: 'loud', source: 'moon', accountId: '-1', from: 'yesterday' });
  t.same(bad.errors.map((e) => e.field), ['level', 'source', 'accountId', 'from']);
  t.same(bad.filter, {});
});

t.test('CSV and NDJSON', async (t) => {
  const row = { id: 9, at: Date.UTC(2026, 0, 1), level: 'warn', source: 'delivery', event: 'delivery.deferred', message: '=HYPERLINK("x")', reply: '450 4.2.1 "busy", try later\nline 2',
    account_id: 2, mailbox_id: null, address: 'a@x.example', inbound_id: null, queue_id: 5, mass_email_id: null };
  const rec = csvRecord(row);
  t.equal(rec.length, CSV_HEADER.length);
  t.equal(rec[1], '2026-01-01T00:00:00.000Z');
  t.equal(rec[5], '\'=HYPERLINK("x")', 'a formula is guarded');
  t.equal(rec[8], '', 'null is an empty cell');
  const line = ndjsonLine(row);
  t.ok(line.endsWith('}\n') && line.split('\n').length === 2, 'one line, the newline inside escaped');
  t.match(JSON.parse(line), { id: 9, time: '2026-01-01T00:00:00.000Z', queueId: 5, mailboxId: null, reply: row.reply });
});

const result = (id: number, kind: string, code: number | null, response: string, attempts = 1): RowResult => ({
  id, token: 'w', accountId: 2, recipient: `r${id}@x.example`, messageId: `<m${id}@ours>`, sent: kind === 'sent',
  patch: kind === 'paused' ? { state: 'queued' } : { state: kind, attempts }, attempt: { at: 100 + id, result: kind, code, response, duration_ms: 1 },
});

t.test('delivery reports', async (t) => {
  const done = [
    { result: result(1, 'sent', 250, '250 OK queued as X'), applied: true },
    { result: result(2, 'deferred', 450, '450 4.2.1 Mailbox busy', 2), applied: true },
    { result: result(3, 'failed', 550, '550 5.1.1 User unknown'), applied: true },
    { result: result(4, 'failed', 450, '450 4.2.1 Still busy', 9), applied: true },
    { result: result(5, 'deferred', 421, '421 too many'), applied: false },
    { result: result(6, 'paused', 535, '535 auth'), applied: true },
    { result: result(7, 'suppressed', null, 'blocked'), applied: true },
  ];
  const rows = [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id, message_id: 40 + id, mass_email_id: id === 3 ? '12' : null }));
  const r = deliveryReports(done, rows, 'Relay');
  t.same(r.entries.map((e) => [e.event, e.level, e.queueId]), [['delivery.deferred', 'warn', 2], ['delivery.failed', 'error', 3], ['delivery.expired', 'error', 4]], 'sent, paused, suppressed and re-claimed rows are not logged');
  t.match(r.entries[0], { reply: '450 4.2.1 Mailbox busy', accountId: 2, address: 'r2@x.example', at: 102, message: 'Deferred by Relay (attempt 2): 450 4.2.1 Mailbox busy' });
  t.equal(r.entries[1]!.massEmailId, 12);
  t.same([...r.events.keys()], ['delivery.sent', 'delivery.deferred', 'delivery.failed']);
  t.same(r.events.get('delivery.failed')!.map((x) => x.data.queueId), [3, 4]);
  t.same(r.events.get('delivery.failed')![0], {
    key: 'q:3:1:failed',
    data: { queueId: 3, messageId: '<m3@ours>', outboundMessageId: 43, address: 'r3@x.example', accountId: 2, massEmailId: 12, attempt: 1, code: 550, response: '550 5.1.1 User unknown' },
  });
  t.notOk('massEmailId' in r.events.get('delivery.sent')![0]!.data, 'only when there is one');
});

t.test('account health changes', async (t) => {
  const healthy = { id: 1, name: 'Relay', last_error_at: null, last_success_at: 50 };
  const failing = { id: 1, name: 'Relay', last_error_at: 60, last_success_at: 50 };
  t.match(accountHealthEntry(healthy, { id: 1, lastError: { text: '421 slow down', at: 70 } }), { event: 'account.failing', level: 'warn', reply: '421 slow down' });
  t.equal(accountHealthEntry(failing, { id: 1, lastError: { text: 'again', at: 70 } }), null, 'still failing: no new entry');
  t.match(accountHealthEntry(failing, { id: 1, lastSuccessAt: 80 }), { event: 'account.recovered', level: 'info' });
  t.equal(accountHealthEntry(healthy, { id: 1, lastSuccessAt: 80 }), null);
  t.equal(accountHealthEntry(failing, { id: 1 }), null, 'no news');
  t.equal(accountHealthEntry(healthy, { id: 1, lastError: { text: 'x', at: 70 }, lastSuccessAt: 75 }), null, 'a success after the error in the same batch');
});
