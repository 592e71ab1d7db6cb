/* Which roles go to the worker child process, and how long the parent waits before restarting it. */
import t from 'tap';
import { restartDelayMs, workerSplit } from '../../../server/cli/workerChild.js';
import type { Role } from '../../../server/config.js';

const all: Role[] = ['smtp', 'http', 'worker', 'scheduler'];
const cases: Array<[string, Role[], 'separate' | 'inline', string, ReturnType<typeof workerSplit>]> = [
  ['every role, a file database: worker and scheduler go to a child', all, 'separate', './data/p.sqlite', { parentRoles: ['smtp', 'http'], childRoles: ['worker', 'scheduler'] }],
  ['MySQL too', all, 'separate', 'mysql://u@db/p', { parentRoles: ['smtp', 'http'], childRoles: ['worker', 'scheduler'] }],
  ['http + worker', ['http', 'worker'], 'separate', 'p.sqlite', { parentRoles: ['http'], childRoles: ['worker'] }],
  ['smtp + worker', ['smtp', 'worker'], 'separate', 'p.sqlite', { parentRoles: ['smtp'], childRoles: ['worker'] }],
  ['inline keeps every role here', all, 'inline', './data/p.sqlite', { parentRoles: all, childRoles: [] }],
  ['a worker-only node has no door to protect', ['worker'], 'separate', 'p.sqlite', { parentRoles: ['worker'], childRoles: [] }],
  ['worker + scheduler: no listener', ['worker', 'scheduler'], 'separate', 'p.sqlite', { parentRoles: ['worker', 'scheduler'], childRoles: [] }],
  ['no worker role: the scheduler stays too', ['smtp', 'http', 'scheduler'], 'separate', 'p.sqlite', { parentRoles: ['smtp', 'http', 'scheduler'], childRoles: [] }],
  ['an in-memory database exists only in its process', all, 'separate', ':memory:', { parentRoles: all, childRoles: [] }],
  ['nor a shared-cache memory URI', all, 'separate', 'file:x?mode=memory&cache=shared', { parentRoles: all, childRoles: [] }],
];
for (const [name, roles, mode, url, want] of cases) t.test(name, async (t) => t.same(workerSplit(roles, mode, url), want));

t.test('restart delay doubles from 1 s and stops at 30 s', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});
