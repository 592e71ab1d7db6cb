/*
 * Every sample in ../shared/fixtures is a test: per-field accuracy must not fall below what
 * the classifier reaches today. These are a development set; the rules aim at real-world
 * bounces in general, so no rule names a fixture.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { accuracy, FIXTURES } from '../../helpers/bounce-fixtures.js';

t.test('fixture accuracy per field', async (t) => {
  t.ok(existsSync(FIXTURES), `fixtures must be at ${FIXTURES}`);
  const { fields, misses } = await accuracy();
  const floor: Record<string, number> = {
    'kind=bounce': 1, recipient: 1, 'no extra recipients': 0.97, class: 0.93, reason: 0.8, 'status first digit': 0.97, status: 0.9, action: 0.95,
    'non-bounce is not a bounce': 1, 'non-bounce kind': 1, 'complaint effect': 1, complainer: 1,
  };
  for (const [field, min] of Object.entries(floor)) {
    const f = fields[field];
    t.ok(f, `${field} was scored`);
    if (f) t.ok(f.ok / f.n >= min, `${field}: ${f.ok}/${f.n} (${((100 * f.ok) / f.n).toFixed(1)}%) ≥ ${min * 100}%`);
  }
  t.comment(misses.join('\n'));
});
