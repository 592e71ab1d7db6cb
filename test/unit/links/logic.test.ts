/*
 * Record linking's pure decisions, as tables: address roles, link rows (best role, a contact's
 * account), when a message notifies nobody, who is notified about what; and the notification
 * e-mail (sender choice, subject, no body copied).
 */
import t from 'tap';
import { addressRoles, linkRows, notifyTargets, quietReason, type Follow, type Holder } from '../../../server/routing/links/logic.js';
import { notificationMail, notificationSender } from '../../../server/notifications/email.js';

t.test('address roles: each address once, From before To before Cc, lower case', async (t) => {
  const cases: Array<[Parameters<typeof addressRoles>[0], Array<[string, string]>]> = [
    [{ from: 'Ann@X.example', to: 'b@y.example, "C, D" <c@y.example>', cc: 'ann@x.example' }, [['ann@x.example', 'from'], ['b@y.example', 'to'], ['c@y.example', 'to']]],
    [{ to: 'a@x.example', cc: 'a@x.example, e@z.example.' }, [['a@x.example', 'to'], ['e@z.example', 'cc']]],
    [{ from: null, to: 'undisclosed-recipients:;' }, []],
  ];
  for (const [h, want] of cases) t.same([...addressRoles(h)], want, JSON.stringify(h));
});

t.test('link rows: best role per record, the account of a linked contact', async (t) => {
  const roles = addressRoles({ from: 'alice@c.example', to: 'support@ours.example', cc: 'bob@c.example, lead@l.example' });
  const holders: Holder[] = [
    { type: 'contact', id: 1, address: 'alice@c.example', accountId: 10 },
    { type: 'contact', id: 2, address: 'bob@c.example', accountId: 10 },
    { type: 'account', id: 10, address: 'bob@c.example', accountId: null },
    { type: 'lead', id: 5, address: 'lead@l.example', accountId: null },
    { type: 'user', id: 7, address: 'support@ours.example', accountId: null },
    { type: 'contact', id: 3, address: 'elsewhere@c.example', accountId: 11 },
  ];
  t.same(linkRows(holders, roles), [
    { recordType: 'contact', recordId: 1, role: 'from' },
    { recordType: 'user', recordId: 7, role: 'to' },
    { recordType: 'account', recordId: 10, role: 'cc' },
    { recordType: 'contact', recordId: 2, role: 'cc' },
    { recordType: 'lead', recordId: 5, role: 'cc' },
  ], 'the account holds a Cc address itself: cc wins over account-of-contact; a holder of no message address is left out');
  t.same(linkRows([{ type: 'contact', id: 1, address: 'alice@c.example', accountId: 10 }], roles), [
    { recordType: 'contact', recordId: 1, role: 'from' }, { recordType: 'account', recordId: 10, role: 'account-of-contact' },
  ]);
  t.same(linkRows([], roles), []);
});

t.test('quiet: no notification, automatic mail, old mail fetched over IMAP or imported in bulk', async (t) => {
  const now = Date.UTC(2026, 11, 6, 12);
  const day = 86_400_000;
  const base = { listener: 'mx', receivedAt: now, oldMs: day };
  const cases: Array<[Partial<Parameters<typeof quietReason>[0]>, string | null]> = [
    [{}, null],
    [{ kind: 'normal' }, null],
    [{ noNotify: true }, 'no-notify'],
    [{ kind: 'auto-reply' }, 'automatic'],
    [{ kind: 'bounce' }, 'automatic'],
    [{ kind: 'complaint' }, 'automatic'],
    [{ listener: 'imap', date: new Date(now - 2 * day).toUTCString() }, 'old-mail'],
    [{ listener: 'imap', date: new Date(now - 3_600_000).toUTCString() }, null],
    [{ listener: 'imap', date: 'not a date' }, null],
    [{ listener: 'mx', date: new Date(now - 30 * day).toUTCString() }, null],
    [{ listener: 'imap', bulk: true, date: new Date(now - 3_600_000).toUTCString() }, 'old-mail'],
    [{ listener: 'imap', bulk: true }, 'old-mail'],
    [{ listener: 'imap', bulk: false, date: new Date(now - 3_600_000).toUTCString() }, null],
    [{ listener: 'imap', bulk: true, noNotify: true }, 'no-notify'],
  ];
  for (const [o, want] of cases) t.equal(quietReason({ ...base, ...o }), want, JSON.stringify(o));
});

t.test('notify targets: once per follower, the case first, then the best-role record; never the sender', async (t) => {
  const links = linkRows([
    { type: 'contact', id: 1, address: 'alice@c.example', accountId: 10 },
    { type: 'lead', id: 5, address: 'lead@l.example', accountId: null },
  ], addressRoles({ from: 'alice@c.example', cc: 'lead@l.example' }));
  const follows: Follow[] = [
    { userId: 1, targetType: 'account', targetId: 10 }, { userId: 1, targetType: 'contact', targetId: 1 },
    { userId: 2, targetType: 'case', targetId: 9 }, { userId: 2, targetType: 'contact', targetId: 1 },
    { userId: 3, targetType: 'lead', targetId: 5 },
    { userId: 4, targetType: 'contact', targetId: 99 },
    { userId: 5, targetType: 'case', targetId: 8 },
    { userId: 6, targetType: 'contact', targetId: 1 },
  ];
  t.same(notifyTargets({ follows, caseId: 9, links, senderUserIds: new Set([6]) }), [
    { userId: 1, kind: 'record-mail', caseId: 9, recordType: 'contact', recordId: 1 },
    { userId: 2, kind: 'case-mail', caseId: 9, recordType: null, recordId: null },
    { userId: 3, kind: 'record-mail', caseId: 9, recordType: 'lead', recordId: 5 },
  ]);
  t.same(notifyTargets({ follows, caseId: null, links: [], senderUserIds: new Set() }), [], 'no links, no case: nobody');
});

t.test('notification e-mail: sender account and From, subject, no body', async (t) => {
  const acc = (o: Partial<{ id: number; allowed_from: string[]; is_default: boolean; active: boolean }>) =>
    ({ id: 1, allowed_from: [] as string[], is_default: false, active: true, message_type_id: null, ...o });
  const cases: Array<[ReturnType<typeof acc>[], string | undefined, [number, string] | null]> = [
    [[acc({ id: 1 }), acc({ id: 2, is_default: true, allowed_from: ['ours.example'] })], undefined, [2, 'postern@ours.example']],
    [[acc({ id: 3, is_default: true, allowed_from: ['@ours.example', 'noreply@ours.example'] })], undefined, [3, 'noreply@ours.example']],
    [[acc({ id: 4, is_default: true })], undefined, [4, 'postern@local.example']],
    [[acc({ id: 5, is_default: true })], 'alerts@ours.example', [5, 'alerts@ours.example']],
    [[acc({ id: 6, is_default: true, active: false })], undefined, null],
  ];
  for (const [accounts, configured, want] of cases) {
    const r = notificationSender(accounts, { configured, localDomain: 'local.example', host: 'mx.host' });
    t.same(r ? [r.account.id, r.from] : null, want, JSON.stringify({ accounts: accounts.map((a) => a.id), configured }));
  }
  t.equal(notificationSender([acc({ id: 7 })], { host: 'mx.host' })?.from, 'postern@mx.host', 'no local domain: the host name');
  const m = notificationMail({
    target: 'contact', title: 'Alice\r\nBcc: x@evil', subject: 'Printer\nbroken', sender: 'alice@c.example', url: 'https://p.example/admin/inbound/5',
  });
  t.equal(m.subject, '[Postern] New mail on contact Alice Bcc: x@evil');
  t.notMatch(m.subject, /[\r\n]/);
  t.match(m.text, 'Subject: Printer broken');
  t.match(m.text, 'From: alice@c.example');
  t.match(m.text, 'https://p.example/admin/inbound/5');
});
