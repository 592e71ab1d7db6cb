/* The access rules, table-driven: principals, scopes, From checks and choices, agent API routes. */
import t from 'tap';
import { principalOf, scopeFrom, inboundScope, outboundScope, senders, fromProblem, fromChoices, apiRouteAllowed, type MailScope } from '../../../server/auth/access.js';

const linked = [{ id: 1, address: 'Team@Ours.example', active: true }, { id: 2, address: 'ann@ours.example', active: true }, { id: 3, address: 'old@ours.example', active: false }];
const agent = scopeFrom({ role: 'agent', userId: 7 }, linked);

t.test('principalOf: role of an active user; an inactive admin is no admin', async (t) => {
  t.same(principalOf({ id: 1, role: 'admin', active: true }), { role: 'admin', userId: 1 });
  t.same(principalOf({ id: 2, role: 'agent', active: true }), { role: 'agent', userId: 2 });
  t.same(principalOf({ id: 3, role: 'admin', active: false }), { role: 'agent', userId: 3 });
});

t.test('scopeFrom: admins everything; agents their linked mailboxes (sending only from active ones)', async (t) => {
  t.same(scopeFrom({ role: 'admin', userId: null }, linked), { all: true });
  t.same(agent, { all: false, userId: 7, mailboxIds: [1, 2, 3], addresses: ['team@ours.example', 'ann@ours.example', 'old@ours.example'], sendFrom: ['team@ours.example', 'ann@ours.example'] });
  t.same(scopeFrom({ role: 'agent', userId: 7 }, linked, false), { all: false, userId: 7, mailboxIds: [], addresses: [], sendFrom: [] }, 'an inactive user reaches nothing');
  t.equal(inboundScope({ all: true }), undefined);
  t.same(inboundScope(agent), { mailboxIds: [1, 2, 3] });
  t.equal(outboundScope({ all: true }), undefined);
  t.same(outboundScope(agent), { userId: 7, fromAddrs: ['team@ours.example', 'ann@ours.example', 'old@ours.example'] });
  t.equal(senders({ all: true }), null);
  t.same(senders(agent), ['team@ours.example', 'ann@ours.example']);
});

t.test('fromProblem: admins by the account list ([] = any); agents need their address and a list naming it', async (t) => {
  const named = { name: 'named', allowed_from: ['ours.example'] }, open = { name: 'open', allowed_from: [] }, other = { name: 'other', allowed_from: ['theirs.example'] };
  const lim = senders(agent);
  for (const [from, limit, acct, want] of [
    ['x@anywhere.example', null, open, null],
    ['x@ours.example', null, named, null],
    ['x@theirs.example', null, named, /may not send as/],
    ['ann@ours.example', lim, named, null],
    ['ANN@ours.example', lim, named, null],
    ['team@ours.example', lim, named, null],
    ['old@ours.example', lim, named, /You may not send as/],
    ['boss@ours.example', lim, named, /You may not send as/],
    ['ann@ours.example', lim, open, /no allowed From list/],
    ['ann@ours.example', lim, other, /may not send as/],
    ['ann@ours.example', [], named, /You may not send as/],
  ] as const) {
    const got = fromProblem(from, limit as string[] | null, acct as { name: string; allowed_from: string[] });
    if (want === null) t.equal(got, null, `${from} via ${acct.name}`); else t.match(got, want, `${from} via ${acct.name}`);
  }
});

t.test('fromChoices: an agent\'s addresses some active account allows', async (t) => {
  const accounts = [{ name: 'a', allowed_from: ['ann@ours.example'], active: true }, { name: 'b', allowed_from: ['ours.example'], active: false }, { name: 'c', allowed_from: [], active: true }];
  t.equal(fromChoices({ all: true }, accounts), null, 'admins type any From');
  t.same(fromChoices(agent, accounts), ['ann@ours.example']);
  t.same(fromChoices(agent, [{ ...accounts[1]!, active: true }]), ['team@ours.example', 'ann@ours.example']);
  t.same(fromChoices({ all: false, userId: 1, mailboxIds: [], addresses: [], sendFrom: [] } as MailScope, accounts), []);
});

t.test('apiRouteAllowed: agent keys reach the mail routes and read what compose needs', async (t) => {
  const a = { role: 'agent', userId: 7 } as const;
  for (const [method, route, want] of [
    ['GET', '/api/v1/inbound', true], ['GET', '/api/v1/inbound/:id/raw', true], ['POST', '/api/v1/inbound/:id/reprocess', true],
    ['GET', '/api/v1/queue/counts', true], ['POST', '/api/v1/queue/:id/retry', true], ['POST', '/api/v1/messages', true],
    ['GET', '/api/v1/mailboxes', true], ['PATCH', '/api/v1/mailboxes/:id', false], ['GET', '/api/v1/templates/:id', true],
    ['GET', '/api/v1/users', false], ['POST', '/api/v1/apikeys', false], ['GET', '/api/v1/accounts', false], ['GET', '/api/v1/inboundx', false],
    ['GET', '/api/v1/suppressions', false], ['POST', '/api/v1/filters', true], ['POST', '/api/v1/filters/:id/dry-run', true],
    ['GET', '/api/v1/inbox', true], ['GET', '/api/v1/notifications', true], ['GET', '/api/v1/filtersx', false],
    ['POST', '/api/v1/mailboxes/:id/folders', true], ['PATCH', '/api/v1/mailboxes/:id/folders/:folderId', true],
    ['DELETE', '/api/v1/mailboxes/:id/folders/:folderId', true], ['DELETE', '/api/v1/mailboxes/:id', false], ['POST', '/api/v1/mailboxes/:id/foldersx', false],
  ] as const) t.equal(apiRouteAllowed(a, method, route), want, `${method} ${route}`);
  t.equal(apiRouteAllowed({ role: 'admin', userId: null }, 'DELETE', '/api/v1/users/:id'), true);
  t.equal(apiRouteAllowed(a, 'GET', undefined), true, 'no route: the 404 handler answers');
});
