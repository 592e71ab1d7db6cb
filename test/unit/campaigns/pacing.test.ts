/* Pacing, send window and the reputation guard (pure), as tables. */
import t from 'tap';
import { allowance, inSendWindow, guardVerdict, sendWindowProblem, DEFAULT_SETTINGS, type SendWindow } from '../../../server/campaigns/pacing.js';

t.test('allowance: the portion, capped by what the sliding hour has left', async (t) => {
  const cases: Array<[number, number, number, number]> = [
    // maxPerHour, portion, released in window, expected
    [100, 10, 0, 10], [100, 10, 95, 5], [100, 10, 100, 0], [100, 10, 130, 0], [0, 10, 1_000_000, 10], [100, 0, 0, 0], [7, 10, 0, 7],
  ];
  for (const [maxPerHour, portionSize, released, want] of cases) t.equal(allowance({ maxPerHour, portionSize }, released), want, `${maxPerHour}/h, portion ${portionSize}, ${released} released`);
});

t.test('send window in a time zone, across midnight and DST', async (t) => {
  const office: SendWindow = { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00', timeZone: 'Europe/Berlin' };
  const night: SendWindow = { days: [5], from: '22:00', to: '02:00', timeZone: 'UTC' };
  const cases: Array<[string, SendWindow | null, string, boolean]> = [
    ['no window', null, '2026-12-05T03:00:00Z', true],
    ['Monday 09:30 Berlin (08:30Z, winter)', office, '2026-12-07T08:30:00Z', true],
    ['Monday 08:59 Berlin', office, '2026-12-07T07:59:00Z', false],
    ['Monday 17:00 Berlin is closed (to is exclusive)', office, '2026-12-07T16:00:00Z', false],
    ['Saturday noon', office, '2026-12-05T11:00:00Z', false],
    ['summer time: Monday 09:30 Berlin is 07:30Z', office, '2026-06-01T07:30:00Z', true],
    ['Friday 23:00 in a window from Friday 22:00', night, '2026-12-04T23:00:00Z', true],
    ['Saturday 01:00 still belongs to Friday night', night, '2026-12-05T01:00:00Z', true],
    ['Saturday 02:00 closed', night, '2026-12-05T02:00:00Z', false],
    ['Thursday 23:00 closed', night, '2026-12-03T23:00:00Z', false],
  ];
  for (const [name, w, at, want] of cases) t.equal(inSendWindow(Date.parse(at), w), want, name);
  t.equal(sendWindowProblem(office), null);
  t.match(sendWindowProblem({ ...office, days: [0] }), /weekdays/);
  t.match(sendWindowProblem({ ...office, from: '25:00' }), /HH:MM/);
  t.match(sendWindowProblem({ ...office, timeZone: 'Mars/Base' }), /time zone/);
});

t.test('reputation guard', async (t) => {
  const s = DEFAULT_SETTINGS;
  const cases: Array<[string, Parameters<typeof guardVerdict>[1], RegExp | null]> = [
    ['clean', { attempted: 1000, hard: 10, sent: 990, complaints: 0, senderBlocked: null }, null],
    ['6 % hard of the first 1,000', { attempted: 1000, hard: 60, sent: 940, complaints: 0, senderBlocked: null }, /hard bounces 60 of the first 1000/],
    ['too few attempts to judge', { attempted: 50, hard: 10, sent: 40, complaints: 0, senderBlocked: null }, null],
    ['a tenth of the sample is enough', { attempted: 100, hard: 6, sent: 94, complaints: 0, senderBlocked: null }, /hard bounces 6/],
    ['complaints over 0.1 %', { attempted: 1000, hard: 0, sent: 5000, complaints: 6, senderBlocked: null }, /complaints 6 of 5000/],
    ['complaints at 0.1 % exactly', { attempted: 1000, hard: 0, sent: 5000, complaints: 5, senderBlocked: null }, null],
    ['complaints before enough were sent', { attempted: 500, hard: 0, sent: 500, complaints: 3, senderBlocked: null }, null],
    ['sender blocked', { attempted: 3, hard: 0, sent: 2, complaints: 0, senderBlocked: 'blocked: 554 5.7.1 listed' }, /our sender blocked .*554/],
  ];
  for (const [name, r, want] of cases) {
    const v = guardVerdict(s, r);
    if (want) t.match(v, want, name); else t.equal(v, null, name);
  }
});
