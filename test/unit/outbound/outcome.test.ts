/* What an upstream's answer means for a queue row: the whole table. */
import t from 'tap';
import { outcomeOf, upstreamQueueId, type SendError } from '../../../server/outbound/queue/outcome.js';

const cases: Array<[string, SendError, { kind: string; tooMany?: boolean; code?: number | null }]> = [
  ['550 user unknown', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <a@b>: User unknown', message: 'x' }, { kind: 'failed', code: 550 }],
  ['554 after DATA', { code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 spam', message: 'x' }, { kind: 'failed', code: 554 }],
  ['450 mailbox busy', { code: 'EENVELOPE', responseCode: 450, response: '450 4.2.1 busy', message: 'x' }, { kind: 'deferred', tooMany: false, code: 450 }],
  ['421 too many connections', { code: 'ECONNECTION', responseCode: 421, response: '421 4.7.0 Too many connections', message: 'x' }, { kind: 'deferred', tooMany: true }],
  ['451 4.7.x rate limited', { code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 Rate limited, try later', message: 'x' }, { kind: 'deferred', tooMany: true }],
  ['451 4.7.x not about rate', { code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 Greylisted', message: 'x' }, { kind: 'deferred', tooMany: false }],
  ['451 4.3.0 "too many" without a 4.7 code', { code: 'EENVELOPE', responseCode: 451, response: '451 4.3.0 too many errors', message: 'x' }, { kind: 'deferred', tooMany: false }],
  ['connection refused', { code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:25' }, { kind: 'deferred', code: null }],
  ['timeout', { code: 'ETIMEDOUT', message: 'Connection timeout' }, { kind: 'deferred', code: null }],
  ['535 auth failed', { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials', message: 'Invalid login' }, { kind: 'paused' }],
  ['530 auth required', { responseCode: 530, response: '530 5.7.0 Authentication required', message: 'x' }, { kind: 'paused' }],
  ['EAUTH without a code', { code: 'EAUTH', message: 'Missing credentials for "PLAIN"' }, { kind: 'paused' }],
  ['self-signed certificate', { code: 'ESOCKET', message: 'self-signed certificate' }, { kind: 'paused' }],
  ['TLS wrong version', { code: 'ETLS', message: 'wrong version number' }, { kind: 'paused' }],
];
for (const [name, err, want] of cases) t.test(name, async (t) => t.match(outcomeOf(err), want));

t.test('a paused outcome names the cause', async (t) => {
  t.match(outcomeOf({ code: 'EAUTH', responseCode: 535, response: '535 no', message: 'x' }), { reason: /^authentication failed: 535 no/ });
  t.match(outcomeOf({ code: 'ETLS', message: 'handshake failure' }), { reason: /^TLS problem: handshake failure/ });
});

t.test('the upstream queue id from a 250 reply', async (t) => {
  const table: Array<[string, string | null]> = [
    ['250 2.0.0 Ok: queued as 4Xyz12AbC', '4Xyz12AbC'], ['250 OK id=1rXyZ-000abc-Q1', '1rXyZ-000abc-Q1'], ['250 2.0.0 OK  1700000000 abc123 - gsmtp', null], ['250 OK queued as U7', 'U7'],
  ];
  for (const [reply, want] of table) t.equal(upstreamQueueId(reply), want, reply);
});
