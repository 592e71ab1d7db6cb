/*
 * The inbox's pure part, table-driven: which mailboxes a message lands in (recipient kinds, a
 * case reply address in its case's mailbox, duplicates once), what each copy gets from the
 * matched filters (global for all, a mailbox's for itself only, later folder wins, tags add up
 * and are normalised), the fallback to the shared state, name normal forms and bulk flags.
 */
import t from 'tap';
import { mailboxesOf, landings, folderName, tagOf, tagsOf, flagsOf, FOLDER_MAX, type RecipientIn, type MatchedFilter } from '../../../server/routing/inbox/decide.js';

const r = (kind: string, mailbox_id: number | null, target_id: number | null = null): RecipientIn => ({ kind, mailbox_id, target_id });

t.test('mailboxesOf: delivering kinds only, case replies to the case mailbox, each mailbox once', async (t) => {
  const cases = new Map<number, number | null>([[7, 30], [8, null]]);
  for (const [name, rs, want] of [
    ['a mailbox', [r('mailbox', 1)], [1]],
    ['catch-all', [r('catchall', 2)], [2]],
    ['verp, postmaster and relay land nowhere', [r('verp', null, 5), r('postmaster', null), r('relay', 3)], []],
    ['a case reply address lands in the case\'s mailbox', [r('case', 1, 7)], [30]],
    ['a case without a mailbox: the address\'s base mailbox', [r('case', 1, 8)], [1]],
    ['an unknown case: the address\'s base mailbox', [r('case', 4, 99)], [4]],
    ['two recipients of one mailbox: once, in recipient order', [r('mailbox', 2), r('mailbox', 1), r('catchall', 2)], [2, 1]],
    ['a recipient without a mailbox', [r('mailbox', null)], []],
  ] as const) t.same(mailboxesOf(rs as unknown as RecipientIn[], cases), want, name);
});

t.test('landings: each mailbox folds the global filters and its own, in the order they matched', async (t) => {
  const f = (id: number, mailbox_id: number | null, actions: MatchedFilter['actions']): MatchedFilter => ({ id, mailbox_id, actions });
  const filters = [
    f(1, null, { markRead: true, tags: ['Urgent '] }),
    f(2, 10, { folder: '  Billing   Mail ', tags: ['invoice'] }),
    f(3, 20, { folder: 'Sales' }),
    f(4, null, { folder: 'Later' }),
  ];
  for (const [name, matched, boxes, want] of [
    ['nothing matched', [], [10], [{ mailboxId: 10, folder: null, read: false, tags: [] }]],
    ['a global filter applies to every mailbox', [1], [10, 20], [{ mailboxId: 10, folder: null, read: true, tags: ['urgent'] }, { mailboxId: 20, folder: null, read: true, tags: ['urgent'] }]],
    ['a mailbox filter applies to its mailbox only', [1, 2, 3], [10, 20, 30], [
      { mailboxId: 10, folder: 'Billing Mail', read: true, tags: ['urgent', 'invoice'] },
      { mailboxId: 20, folder: 'Sales', read: true, tags: ['urgent'] },
      { mailboxId: 30, folder: null, read: true, tags: ['urgent'] },
    ]],
    ['a later folder replaces an earlier one', [2, 4], [10], [{ mailboxId: 10, folder: 'Later', read: false, tags: ['invoice'] }]],
  ] as const) {
    t.same(landings(boxes as unknown as number[], { matchedFilters: [...matched] }, filters), want, name);
  }
  t.same(landings([10, 20], { matchedFilters: [1, 99], folder: 'Shared', markRead: true, tags: ['A', 'a', ' b '] }, filters),
    [{ mailboxId: 10, folder: 'Shared', read: true, tags: ['a', 'b'] }, { mailboxId: 20, folder: 'Shared', read: true, tags: ['a', 'b'] }],
    'a matched filter no longer stored: the shared state for every mailbox');
  t.same(landings([10], {}, []), [{ mailboxId: 10, folder: null, read: false, tags: [] }], 'no routing state at all');
});

t.test('names and tags: normal forms, caps', async (t) => {
  for (const [raw, want] of [['  Mail  from\tbank ', 'Mail from bank'], ['', ''], ['   ', ''], ['x'.repeat(300), 'x'.repeat(FOLDER_MAX)]] as const) t.equal(folderName(raw), want, JSON.stringify(raw).slice(0, 30));
  for (const [raw, want] of [[' Urgent ', 'urgent'], ['VIP  Customer', 'vip customer'], ['y'.repeat(80), 'y'.repeat(50)], [' ', '']] as const) t.equal(tagOf(raw), want, raw.slice(0, 20));
  t.same(tagsOf(['B', 'b', '', ' a ']), ['b', 'a'], 'deduplicated after normalising, empties dropped');
});

t.test('bulk actions: flags for read/archive, none for move and tags', async (t) => {
  for (const [a, want] of [['read', { read: true }], ['unread', { read: false }], ['archive', { archived: true }], ['unarchive', { archived: false }], ['move', null], ['tag', null], ['untag', null]] as const) {
    t.same(flagsOf(a), want, a);
  }
});
