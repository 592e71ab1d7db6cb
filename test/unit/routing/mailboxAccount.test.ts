/*
 * The account a mailbox replies through: the one naming the address (a mailbox's own SMTP side)
 * beats one naming its domain, which beats one allowing any From; inactive accounts never count;
 * the default account wins a tie only within the same rank. Also the managed account an IMAP
 * account's own SMTP side becomes (imap/logic), and compose's account for a From (outbound/accounts/choose).
 */
import t from 'tap';
import { mailboxAccount, fromRank } from '../../../server/routing/mailboxAccount.js';
import { managedSmtpOf } from '../../../server/imap/logic.js';
import { accountForFrom } from '../../../server/outbound/accounts/choose.js';

const acc = (id: number, allowed_from: string[], o: { def?: boolean; active?: boolean } = {}) =>
  ({ id, allowed_from, is_default: o.def ?? false, active: o.active ?? true, message_type_id: null });

t.test('fromRank', async (t) => {
  const rows: Array<[string, string[], number]> = [
    ['support@ours.example', ['support@ours.example'], 3],
    ['Support@Ours.Example', ['support@ours.example'], 3],
    ['support@ours.example', ['ours.example'], 2],
    ['support@ours.example', ['sub.ours.example'], 0],
    ['support@ours.example', [], 1],
    ['support@ours.example', ['other@ours.example'], 0],
    ['support@ours.example', ['other@ours.example', 'ours.example'], 2],
    ['support@ours.example', ['theirs.example'], 0],
  ];
  for (const [addr, list, want] of rows) t.equal(fromRank(addr, list), want, `${addr} in [${list.join(', ')}]`);
});

t.test('mailboxAccount', async (t) => {
  const rows: Array<[string, ReturnType<typeof acc>[], number | undefined]> = [
    ['the exact address beats the default naming the domain', [acc(1, ['ours.example'], { def: true }), acc(2, ['support@ours.example'])], 2],
    ['the exact address beats the default allowing any From', [acc(1, [], { def: true }), acc(2, ['support@ours.example'])], 2],
    ['the domain beats the default allowing any From', [acc(1, [], { def: true }), acc(2, ['ours.example'])], 2],
    ['an inactive exact account does not count', [acc(1, ['ours.example'], { def: true }), acc(2, ['support@ours.example'], { active: false })], 1],
    ['the default wins a tie of the same rank', [acc(1, ['ours.example']), acc(2, ['ours.example'], { def: true })], 2],
    ['first of a tie without a default', [acc(1, ['ours.example']), acc(2, ['ours.example'])], 1],
    ['another address\'s account is no choice', [acc(1, ['sales@ours.example'])], undefined],
    ['another address\'s account, then any From', [acc(1, ['sales@ours.example']), acc(2, [])], 2],
    ['nothing active', [acc(1, [], { active: false })], undefined],
    ['a default of the wrong domain loses to any From', [acc(1, ['theirs.example'], { def: true }), acc(2, [])], 2],
  ];
  for (const [name, accounts, want] of rows) t.equal(mailboxAccount('support@ours.example', accounts)?.id, want, name);
});

t.test('managedSmtpOf', async (t) => {
  const base = {
    id: 7, name: 'Support', kind: 'group' as const, mailbox_address: 'support@ours.example', username: 'imap-login', smtp_account_id: null, smtp_host: 'smtp.example',
    smtp_port: 587, smtp_security: 'starttls', smtp_username: 'support@ours.example', verify_cert: true, active: true,
  };
  t.same(managedSmtpOf(base, 'pw'), {
    name: 'IMAP: Support', host: 'smtp.example', port: 587, security: 'starttls', username: 'support@ours.example', password: 'pw', verifyCert: true,
    allowedFrom: ['support@ours.example'], active: true,
  });
  t.equal(managedSmtpOf({ ...base, smtp_host: null }, 'pw'), null, 'no own SMTP server');
  t.equal(managedSmtpOf({ ...base, smtp_host: null, smtp_account_id: 3 }, null), null, 'an upstream account chosen instead');
  t.equal(managedSmtpOf({ ...base, mailbox_address: null }, 'pw'), null, 'a group account without its mailbox address sends as nothing');
  t.same(managedSmtpOf({ ...base, kind: 'personal', mailbox_address: null, username: 'Ann@Ours.Example' }, 'pw')?.allowedFrom, ['ann@ours.example'], 'a personal account: its login address');
  t.equal(managedSmtpOf({ ...base, kind: 'personal', mailbox_address: null, username: 'ann' }, 'pw'), null, 'a personal login that is no address');
  t.equal(managedSmtpOf({ ...base, active: false }, 'pw')?.active, false, 'inactive with the account');
  t.equal(managedSmtpOf({ ...base, smtp_security: null }, null)?.security, 'starttls', 'STARTTLS unless said otherwise');
});

t.test('accountForFrom (compose without an account)', async (t) => {
  const accounts = [acc(1, ['ours.example'], { def: true }), acc(2, ['support@ours.example']), acc(3, ['sales@ours.example'], { active: false }), acc(4, [])];
  const rows: Array<[string | null, number | undefined, string]> = [
    ['support@ours.example', 2, 'the account naming the From'],
    ['Support@Ours.Example', 2, 'case does not matter'],
    ['Support Team <support@ours.example>', 2, 'with a display name'],
    ['sales@ours.example', 1, 'an inactive own account does not count: the default'],
    ['info@ours.example', 1, 'others: the default, as before'],
    ['x@theirs.example', 1, 'the default even when it cannot send as it (compose then says why)'],
    [null, 1, 'no From yet'],
  ];
  for (const [from, want, name] of rows) t.equal(accountForFrom(from, accounts)?.id, want, name);
  t.equal(accountForFrom('a@b.example', [acc(1, [], { active: false }), acc(2, [])])?.id, 2, 'no active default: the first active');
});
