/* Which database servers Postern accepts: SKIP LOCKED needs MySQL 8+ or MariaDB 10.6+. */
import t from 'tap';
import { mysqlVersionOk } from '../../../server/db/connect.js';

const cases: Array<[string, boolean, string]> = [
  ['8.0.36', true, 'MySQL'],
  ['8.4.0-log', true, 'MySQL'],
  ['5.7.44', false, 'MySQL'],
  ['10.11.19-MariaDB-0+deb12u1', true, 'MariaDB'],
  ['10.6.0-MariaDB', true, 'MariaDB'],
  ['10.5.23-MariaDB', false, 'MariaDB'],
  ['11.4.2-MariaDB', true, 'MariaDB'],
  ['5.5.5-10.3.39-MariaDB', false, 'MariaDB'],
];
for (const [v, ok, product] of cases) {
  t.test(v, async (t) => t.same(mysqlVersionOk(v), { ok, product }));
}
