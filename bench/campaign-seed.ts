/*
 * Shared by bench/campaign-expand.ts and bench/campaign-send.ts: seeds a campaign audience
 * with set-based SQL (a number table, then one INSERT … SELECT per table) through the app's
 * knex, on SQLite or MariaDB. With N members in the target lists:
 *   records 1..A accounts (15 %), A+1..A+C contacts (60 %, each with an account), A+C+1..N
 *   leads (25 %), N+1..N+XL leads (2 %) that only sit in an excluding list;
 *   one address per record (email_addresses.id = record id), except: every 100th account has
 *   none (no_address), every 20th lead holds a contact's address (duplicate across lists),
 *   the excluding leads hold a target contact's address (primary) and, every second one, a
 *   target lead's address (secondary: exclusion reads every address of a record);
 *   1 contact in 100 a former employee, 1 address in 200 opted out, 1 in 250 blocked
 *   (suppressions), 1 contact member in 500 opted out of its list;
 *   target lists: accounts, contacts, leads; excluding lists: the XL leads and XC = 1 % of N
 *   contacts that are members of the contact list.
 * `mix: false` makes every member a contact in one list, each with one of 100 accounts (N+1..N+100),
 * and with `clean: true` nobody is opted out, blocked or a former employee (the send bench: N recipients).
 */
import type { Db } from '../server/db/connect.js';

export interface Seeded { targets: number[]; excluding: number[]; members: number; records: number }
export interface SeedLists { create(l: { name: string }): Promise<{ id: number }> }

const log = (m: string) => process.stderr.write(`${m}\n`);

export async function seedAudience(db: Db, lists: SeedLists, N: number, o: { mix?: boolean; clean?: boolean; analyze?: boolean } = {}): Promise<Seeded> {
  const k = db.knex;
  const sqlite = db.dialect === 'sqlite';
  const cat = (...p: string[]) => (sqlite ? p.join(' || ') : `CONCAT(${p.join(', ')})`);
  const now = Date.now();
  const mix = o.mix ?? true;
  const clean = o.clean ?? false;
  const A = mix ? Math.round(N * 0.15) : 0;
  const C = mix ? Math.round(N * 0.6) : N;
  const XL = mix ? Math.round(N * 0.02) : 100; // !mix: the contacts' accounts
  const XC = mix ? Math.round(N * 0.01) : 0;
  const R = N + XL;
  const t0 = performance.now();

  // A number table 1..R (a real table: MariaDB's pool would not see a TEMPORARY one on another connection).
  await k.raw('DROP TABLE IF EXISTS bench_k');
  await k.raw('DROP TABLE IF EXISTS bench_seq');
  await k.raw('CREATE TABLE bench_k (n INTEGER NOT NULL PRIMARY KEY)');
  await k.raw('CREATE TABLE bench_seq (n INTEGER NOT NULL PRIMARY KEY)');
  for (let i = 0; i < 2000; i += 250) await k.raw(`INSERT INTO bench_k (n) VALUES ${Array.from({ length: 250 }, (_, j) => `(${i + j})`).join(',')}`);
  await k.raw(`INSERT INTO bench_seq (n) SELECT a.n + b.n * 1000 + 1 FROM bench_k a CROSS JOIN bench_k b WHERE a.n < 1000 AND b.n < ${Math.ceil(R / 1000)} AND a.n + b.n * 1000 + 1 <= ${R}`);
  if (R > 2_000_000) throw new Error('N too large for the number table');

  const type = mix ? `CASE WHEN n <= ${A} THEN 'account' WHEN n <= ${A + C} THEN 'contact' ELSE 'lead' END` : `CASE WHEN n <= ${N} THEN 'contact' ELSE 'account' END`;
  const person = mix ? `n > ${A}` : `n <= ${N}`;
  await k.raw(`INSERT INTO records (id, type, external_id, first_name, last_name, name, former_employee, account_id, attributes, created_at, updated_at)
    SELECT n, ${type}, ${cat("'x'", 'n')},
      CASE WHEN ${person} THEN ${cat("'First'", 'n')} ELSE NULL END, CASE WHEN ${person} THEN ${cat("'Last'", 'n')} ELSE NULL END,
      CASE WHEN ${person} THEN ${cat("'First'", 'n', "' Last'", 'n')} ELSE ${cat("'Company '", 'n')} END,
      CASE WHEN n > ${A} AND n <= ${A + C} AND n % 100 = 7 AND ${clean ? '0 = 1' : '1 = 1'} THEN 1 ELSE 0 END,
      ${mix ? `CASE WHEN n > ${A} AND n <= ${A + C} THEN (n % ${A}) + 1 ELSE NULL END` : `CASE WHEN n <= ${N} THEN ${N} + (n % 100) + 1 ELSE NULL END`},
      CASE WHEN n % 2 = 1 THEN '{"tier":"gold"}' ELSE '{"tier":"silver"}' END, ${now}, ${now}
    FROM bench_seq`);
  await k.raw(`INSERT INTO email_addresses (id, address, domain, opted_out, opted_out_at, created_at, updated_at)
    SELECT n, ${cat("'r'", 'n', "'@d'", '(n % 50)', "'.example'")}, ${cat("'d'", '(n % 50)', "'.example'")},
      CASE WHEN n % 200 = 3 AND ${clean ? '0 = 1' : '1 = 1'} THEN 1 ELSE 0 END, CASE WHEN n % 200 = 3 AND ${clean ? '0 = 1' : '1 = 1'} THEN ${now} ELSE NULL END, ${now}, ${now}
    FROM bench_seq WHERE n <= ${N}`);
  await k.raw(`INSERT INTO record_emails (record_id, email_id, is_primary, position)
    SELECT n, CASE WHEN n > ${A + C} AND n <= ${N} AND n % 20 = 0 THEN ${A} + (n - ${A + C}) WHEN n > ${N} THEN ${A} + (n - ${N}) * 25 ELSE n END, 1, 0
    FROM bench_seq WHERE NOT (n <= ${A} AND n % 100 = 50) AND ${mix ? '1 = 1' : `n <= ${N}`}`);
  if (mix) {
    await k.raw(`INSERT INTO record_emails (record_id, email_id, is_primary, position)
      SELECT n, ${A + C} + (n - ${N}) * 3 + 1, 0, 1 FROM bench_seq WHERE n > ${N} AND n % 2 = 0`);
  }
  if (!clean) await k.raw(`INSERT INTO suppressions (address, domain, blocked, reason, class, source, first_seen, last_seen, blocked_at, created_at, updated_at)
    SELECT address, domain, 1, 'userunknown', 'hard', 'bounce', ${now}, ${now}, ${now}, ${now}, ${now} FROM email_addresses WHERE id % 250 = 11`);

  const list = async (name: string, memberType: string, where: string, idExpr = 'n', optedOut = '0') => {
    const l = await lists.create({ name });
    await k.raw(`INSERT INTO target_list_members (list_id, member_type, member_id, opted_out, added_at)
      SELECT ${l.id}, '${memberType}', ${idExpr}, ${optedOut}, ${now} FROM bench_seq WHERE ${where}`);
    return l.id;
  };
  const targets: number[] = [];
  const excluding: number[] = [];
  if (mix) {
    targets.push(await list('Bench contacts', 'contact', `n > ${A} AND n <= ${A + C}`, 'n', 'CASE WHEN n % 500 = 1 THEN 1 ELSE 0 END'));
    targets.push(await list('Bench leads', 'lead', `n > ${A + C} AND n <= ${N}`));
    targets.push(await list('Bench accounts', 'account', `n <= ${A}`));
    excluding.push(await list('Bench excluded leads', 'lead', `n > ${N}`));
    excluding.push(await list('Bench excluded contacts', 'contact', `n <= ${XC}`, `${A + 7} + 50 * (n - 1)`));
  } else {
    targets.push(await list('Bench contacts', 'contact', `n <= ${N}`, 'n', clean ? '0' : 'CASE WHEN n % 500 = 1 THEN 1 ELSE 0 END'));
  }
  await k.raw('DROP TABLE bench_seq');
  await k.raw('DROP TABLE bench_k');
  if (!sqlite) {
    // Explicit ids: move the auto-increment counters on (MariaDB does; SQLite uses max(rowid)).
    for (const t of ['records', 'email_addresses']) await k.raw(`ALTER TABLE ${t} AUTO_INCREMENT = ${R + 1}`);
  }
  if (o.analyze) await k.raw(sqlite ? 'ANALYZE' : 'ANALYZE TABLE records, email_addresses, record_emails, target_list_members, suppressions');
  log(`seeded ${N} members (${R} records, ${A} accounts, ${C} contacts, ${N - A - C} leads, ${XL} + ${XC} excluding) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { targets, excluding, members: N, records: R };
}
