/* The CLI's argv parsing. */
import t from 'tap';
import { parseArgs } from '../../../server/cli/args.js';

const cases: Array<[string[], ReturnType<typeof parseArgs>]> = [
  [['serve'], { words: ['serve'], flags: {} }],
  [['serve', '--roles', 'http,smtp'], { words: ['serve'], flags: { roles: 'http,smtp' } }],
  [['serve', '--roles=http'], { words: ['serve'], flags: { roles: 'http' } }],
  [['user', 'create', '--username', 'bob', '--help'], { words: ['user', 'create'], flags: { username: 'bob', help: true } }],
  [['apikey', 'create', '-h'], { words: ['apikey', 'create'], flags: { help: true } }],
  [['x', '--flag'], { words: ['x'], flags: { flag: true } }],
  [['x', '--a', '--b', 'v'], { words: ['x'], flags: { a: true, b: 'v' } }],
  [['bounce', 'classify', 'a.eml', 'b.eml'], { words: ['bounce', 'classify', 'a.eml', 'b.eml'], flags: {} }],
];
for (const [argv, want] of cases) t.test(argv.join(' '), async (t) => t.same(parseArgs(argv), want));
