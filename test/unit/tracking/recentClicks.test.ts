/*
 * The recent-clicks memory behind the "every link within seconds" rule: distinct links of a
 * row within the window, older clicks forgotten, rows apart, bounded in rows.
 */
import t from 'tap';
import { recentClicks } from '../../../server/tracking/recentClicks.js';

t.test('distinct links of a row within the window', async (t) => {
  const r = recentClicks(10_000, 3);
  const rows: Array<[number, string, number, number]> = [
    // row, link, at, distinct links expected
    [1, 'u1', 0, 1], [1, 'u1', 100, 1], [1, 'a0', 200, 2], [1, 'a1', 9_000, 3],
    [2, 'u1', 9_100, 1], // another row counts apart
    [1, 'a2', 10_150, 3], // the clicks at 0 and 100 left the window; u1 is gone, a0 (200) stays
    [1, 'u1', 25_000, 1], // everything older than 10 s forgotten
  ];
  for (const [row, link, at, want] of rows) t.equal(r.add(row, link, at), want, `row ${row} ${link} at ${at} → ${want}`);
  r.add(3, 'x', 25_000); r.add(4, 'x', 25_000); // a fourth row pushes out the oldest (row 2)
  t.equal(r.add(2, 'a0', 25_001), 1, 'row 2 was forgotten (bounded)');
});
