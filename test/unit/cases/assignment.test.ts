/* Assignment choices: round-robin order after a pointer, less-busy with its tie rules. */
import t from 'tap';
import { nextRoundRobin, lessBusy } from '../../../server/routing/cases/assignment.js';

t.test('round-robin', async (t) => {
  const rows: Array<[number[], number | null, number | null]> = [
    [[3, 1, 2], null, 1], [[1, 2, 3], 1, 2], [[1, 2, 3], 3, 1], [[1, 2, 3], 9, 1], [[1, 5, 9], 4, 5], [[], 1, null], [[2, 2], 2, 2],
  ];
  for (const [members, last, want] of rows) t.equal(nextRoundRobin(members, last), want, `${members} after ${last}`);
  // Fairness: 100 turns over 3 members are 34/33/33.
  const n = new Map<number, number>();
  let last: number | null = null;
  for (let i = 0; i < 100; i++) { last = nextRoundRobin([4, 7, 9], last); n.set(last!, (n.get(last!) ?? 0) + 1); }
  t.same([...n.values()], [34, 33, 33]);
});

t.test('less-busy', async (t) => {
  const rows: Array<[string, Parameters<typeof lessBusy>[0], number | null]> = [
    ['fewest open', [{ userId: 1, open: 2, lastAssignedAt: 1 }, { userId: 2, open: 1, lastAssignedAt: 9 }], 2],
    ['a member with none counts', [{ userId: 1, open: 1, lastAssignedAt: 1 }, { userId: 2, open: 0, lastAssignedAt: null }], 2],
    ['tie: longest since last assignment', [{ userId: 1, open: 1, lastAssignedAt: 50 }, { userId: 2, open: 1, lastAssignedAt: 10 }], 2],
    ['tie: never assigned first', [{ userId: 1, open: 0, lastAssignedAt: 10 }, { userId: 2, open: 0, lastAssignedAt: null }], 2],
    ['full tie: lowest id', [{ userId: 3, open: 0, lastAssignedAt: null }, { userId: 2, open: 0, lastAssignedAt: null }], 2],
    ['nobody', [], null],
  ];
  for (const [name, loads, want] of rows) t.equal(lessBusy(loads), want, name);
});
