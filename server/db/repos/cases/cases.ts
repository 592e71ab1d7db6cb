/*
 * Writes: cases, case_mailboxes, case_messages, case_message_ids, case_participants, case_rr_pointers.
 * Reads: those, mailboxes, mailbox_teams, team_users, users, inbound_messages (and, for routing, what
 * links/links.ts holdersStatement reads: email_addresses, record_emails, records).
 * Email-to-case storage. Every write a routed message makes is keyed by its inbound id (unique),
 * so routing it again changes nothing; the round-robin pointer moves under a row lock. Writes of
 * one message are few statements: rows of a table in one insert, the case's status in one update.
 */
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { columns, numOrNull, strOrNull, type DbRow } from '../../row.js';
import { inList, insertIgnore as insertIgnoreSql, readExec, transact, type Exec } from '../../exec.js';
import { holdersStatement, toHolder, type Holder } from '../links/links.js';

export type CaseStatus = 'new' | 'assigned' | 'pending' | 'closed';
export interface CaseRow {
  id: number; number: number; subject: string; status: CaseStatus; priority: string; mailbox_id: number | null; team_id: number | null;
  assigned_user_id: number | null; assigned_at: number | null; account_id: number | null; contact_id: number | null; lead_id: number | null;
  from_addr: string; inbound_id: number | null; parent_case_id: number | null; follow_up_of: number | null; closed_at: number | null;
  created_at: number; updated_at: number; mailboxIds?: number[];
}
export interface CaseMailboxSettings {
  id: number; address: string; create_cases: boolean; active: boolean; case_assignment: string; case_assign_user_id: number | null;
  case_reopen: string; case_reopen_days: number | null; teamIds: number[];
}
export interface CaseMessageRow {
  inbound_id: number; case_id: number; rung: string; reopened: boolean; at: number;
  subject: string | null; from_addr: string | null; kind: string | null; message_id: string | null;
}
export interface NewCase {
  subject: string; status: CaseStatus; mailbox_id: number | null; team_id: number | null; assigned_user_id: number | null; from_addr: string;
  inbound_id: number; parent_case_id: number | null; follow_up_of: number | null;
  account_id?: number | null; contact_id?: number | null; lead_id?: number | null;
}
/** Round-robin in a team: the case goes to its first active member after the team's pointer (ascending, wrapping). */
export interface RoundRobin { teamId: number }
/**
 * Opening a case with no threading read before it (the message names no case, reference or tag): the
 * transaction's first round trip also finds the case the message joined on an earlier run (routeReads'
 * prior) and the holders of `holdersOf`, from which `records` gives the new case's records.
 */
export interface DirectOpen { holdersOf: string[]; records(holders: Holder[]): { account_id?: number | null; contact_id?: number | null; lead_id?: number | null } }
type Opened = { id: number; created: boolean; assigned_user_id: number | null } | { held: true; count: number };
/** The case a message joined on an earlier run (open with `direct`). */
type JoinedBefore = { joined: { case_id: number; rung: string } };
/** The case a routed message joined on an earlier run (its case_messages row is keyed by the inbound id). */
const joinedSql = (cols: string) => `SELECT ${cols} FROM case_messages WHERE inbound_id = ? LIMIT 1`;
/** What one routed message records with its case. */
export interface Joined { inboundId: number; rung: string; reopened: boolean; participants: string[]; messageId: string | null; mailboxIds: number[] }

const ids = (v: unknown[]) => v.map((x) => Number(x));
const toCase = (r: DbRow): CaseRow => ({
  ...columns<CaseRow>(r), id: Number(r.id), number: Number(r.id), mailbox_id: numOrNull(r.mailbox_id), team_id: numOrNull(r.team_id),
  assigned_user_id: numOrNull(r.assigned_user_id), assigned_at: numOrNull(r.assigned_at), account_id: numOrNull(r.account_id), contact_id: numOrNull(r.contact_id),
  lead_id: numOrNull(r.lead_id), inbound_id: numOrNull(r.inbound_id), parent_case_id: numOrNull(r.parent_case_id), follow_up_of: numOrNull(r.follow_up_of),
  closed_at: numOrNull(r.closed_at), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});
type Statement = { sql: string; params: unknown[] };
const CASE_COLUMNS = ['subject', 'status', 'mailbox_id', 'team_id', 'assigned_user_id', 'assigned_at', 'account_id', 'contact_id', 'lead_id', 'from_addr',
  'inbound_id', 'parent_case_id', 'follow_up_of', 'created_at', 'updated_at'] as const;

export function casesRepo(db: Db) {
  const k = db.knex;
  const mysql = db.dialect === 'mysql';
  // Teams whose round-robin pointer row this process has seen made: the insert-ignore is not repeated per case.
  const pointerMade = new Set<number>();
  // The routing path (threading reads, opening and joining cases) runs plain SQL as cached prepared
  // statements (db/exec.ts): knex built and prepared each statement anew, ~64 % of the drain's CPU
  // (bench/routing-drain.sh profile, SQLite: knex 64 %, better-sqlite3 prepare 15 %).
  const read = <T>(fn: (x: Exec) => Promise<T>) => readExec(db, fn);
  const insertIgnore = (table: string, cols: readonly string[], rows: string[]) => insertIgnoreSql(db.dialect, table, cols, rows.join(', '));

  /**
   * The rows a message records with its case (one statement per table). `caseId` null: the case
   * inserted just before in the same batch (MySQL, `@case_id`), so opening a case needs no round trip for its id.
   */
  function recordStatements(caseId: number | null, j: Joined, now: number): Statement[] {
    const cid = caseId === null ? '@case_id' : '?';
    const v = caseId === null ? [] : [caseId];
    const out: Statement[] = [{ sql: insertIgnore('case_messages', ['inbound_id', 'case_id', 'rung', 'reopened', 'at'], [`(?, ${cid}, ?, ?, ?)`]), params: [j.inboundId, ...v, j.rung, j.reopened ? 1 : 0, now] }];
    const people = [...new Set(j.participants.map((a) => a.slice(0, 191)))];
    if (people.length) out.push({ sql: insertIgnore('case_participants', ['case_id', 'address'], people.map(() => `(${cid}, ?)`)), params: people.flatMap((a) => [...v, a]) });
    if (j.messageId) out.push({ sql: insertIgnore('case_message_ids', ['message_id', 'case_id', 'direction', 'at'], [`(?, ${cid}, ?, ?)`]), params: [j.messageId.slice(0, 191), ...v, 'in', now] });
    const boxes = [...new Set(j.mailboxIds)];
    if (boxes.length) out.push({ sql: insertIgnore('case_mailboxes', ['case_id', 'mailbox_id'], boxes.map(() => `(${cid}, ?)`)), params: boxes.flatMap((b) => [...v, b]) });
    return out;
  }

  return {
    async mailboxSettings(mailboxIds: number[]): Promise<CaseMailboxSettings[]> {
      if (!mailboxIds.length) return [];
      const rows = await k('mailboxes').whereIn('id', mailboxIds).select('id', 'address', 'create_cases', 'active', 'case_assignment', 'case_assign_user_id', 'case_reopen', 'case_reopen_days');
      const teams = await k('mailbox_teams').whereIn('mailbox_id', mailboxIds).select('mailbox_id', 'team_id').orderBy('team_id');
      return rows.map((r: DbRow) => ({
        id: Number(r.id), address: String(r.address), create_cases: Boolean(r.create_cases), active: Boolean(r.active), case_assignment: String(r.case_assignment),
        case_assign_user_id: numOrNull(r.case_assign_user_id), case_reopen: String(r.case_reopen), case_reopen_days: numOrNull(r.case_reopen_days),
        teamIds: teams.filter((t: DbRow) => Number(t.mailbox_id) === Number(r.id)).map((t: DbRow) => Number(t.team_id)),
      })).sort((a, b) => a.id - b.id);
    },
    async mailboxAddress(id: number): Promise<string | null> { const r = await k('mailboxes').where({ id }).first('address'); return r ? String(r.address) : null; },
    async get(id: number): Promise<CaseRow | undefined> {
      const r = await k('cases').where({ id }).first();
      if (!r) return undefined;
      return { ...toCase(r), mailboxIds: ids((await k('case_mailboxes').where({ case_id: id }).orderBy('mailbox_id')).map((x: DbRow) => x.mailbox_id)) };
    },
    /**
     * The threading ladder's reads of a routed message in ONE round trip (Exec.batch on MariaDB): the
     * case it joined already (a re-routed message), the cases of the Message-IDs it references, the cases
     * it names by id (reply address, signed Message-IDs, subject tags) or by a referenced Message-ID, and,
     * when `holdersOf`, the records and users holding its addresses (links/links.ts holdersStatement: the
     * links hook needs them too, the cases hook when it opens a case). Four reads before, each taken by
     * some of the messages: 1.6 round trips per routed message, 0.2 now with `direct` (bench/routing-drain.sh).
     */
    async routeReads(o: { inboundId: number; messageIds: string[]; caseIds: number[]; holdersOf?: string[] }): Promise<{
      prior: { case_id: number; rung: string } | undefined; indexed: Map<string, number>; known: Map<number, CaseRow>; holders: Holder[];
    }> {
      const mids = [...new Set(o.messageIds.map((m) => m.slice(0, 191)))];
      const want = [...new Set(o.caseIds)];
      const statements: Statement[] = [{ sql: joinedSql('case_id, rung'), params: [o.inboundId] }];
      if (mids.length) statements.push({ sql: `SELECT message_id, case_id FROM case_message_ids WHERE message_id IN (${inList(mids.length)})`, params: mids });
      // A UNION, not `id IN (…) OR id IN (SELECT …)`: MariaDB does not turn a subquery under OR into a join.
      const parts = [...(want.length ? [{ sql: `SELECT * FROM cases WHERE id IN (${inList(want.length)})`, params: want as unknown[] }] : []),
        ...(mids.length ? [{ sql: `SELECT c.* FROM case_message_ids m JOIN cases c ON c.id = m.case_id WHERE m.message_id IN (${inList(mids.length)})`, params: mids }] : [])];
      if (parts.length) statements.push({ sql: parts.map((x) => x.sql).join(' UNION ALL '), params: parts.flatMap((x) => x.params) });
      const who = o.holdersOf ? holdersStatement(o.holdersOf) : null;
      if (who) statements.push(who);
      const out = await read((x) => x.batch(statements));
      let i = 0;
      const [p] = out[i++]!.rows;
      const indexed = new Map(mids.length ? out[i++]!.rows.map((r) => [String(r.message_id), Number(r.case_id)]) : []);
      const known = new Map(parts.length ? out[i++]!.rows.map((r) => [Number(r.id), toCase(r)]) : []);
      return { prior: p ? { case_id: Number(p.case_id), rung: String(p.rung) } : undefined, indexed, known, holders: who ? out[i]!.rows.map(toHolder) : [] };
    },
    async participantsOf(caseIds: number[], address: string): Promise<Set<number>> {
      if (!caseIds.length) return new Set();
      const rows = await read((x) => x.all(`SELECT case_id FROM case_participants WHERE case_id IN (${inList(caseIds.length)}) AND address = ?`, [...caseIds, address.toLowerCase().slice(0, 191)]));
      return new Set(ids(rows.map((r) => r.case_id)));
    },
    async rememberMessageId(messageId: string, caseId: number, direction: 'in' | 'out', now: number) {
      await k('case_message_ids').insert({ message_id: messageId.slice(0, 191), case_id: caseId, direction, at: now }).onConflict('message_id').ignore();
    },
    /**
     * Opens the case of an inbound message once: a second call (re-routed message) returns the first case.
     * With `quota`, the sender's cases on this mailbox since `quota.since` are counted in the same
     * transaction as the insert, under a lock on the sender's row in case_sender_locks (MariaDB; SQLite
     * has one writer), so a burst of one sender's mail processed side by side (64 at a time, or on two
     * nodes) cannot all see the count below the quota: at most `quota.max` open, the rest answer `held`
     * with the count. Other senders take other rows: their cases open side by side (the mailbox row
     * locked before made every opening on the mailbox, and every inbox item's foreign-key check of it, wait).
     * `quota.followUpSince`: the new case's follow_up_of is the sender's newest case on this mailbox
     * since then (read in the same statement as the count).
     */
    async open<D extends DirectOpen | undefined = undefined>(c: NewCase, j: Joined, now: number,
      o: { quota?: { since: number; max: number; followUpSince?: number | null }; roundRobin?: RoundRobin; direct?: D } = {}):
      Promise<(Opened | (D extends DirectOpen ? JoinedBefore : never)) & { holders?: Holder[] }> {
      const { quota, roundRobin: rr, direct } = o;
      // Created outside the transaction: INSERT IGNORE inside it takes a gap lock that deadlocks two writers on InnoDB.
      // Once per team and process: the row is never removed while its team exists.
      if (rr && !pointerMade.has(rr.teamId)) {
        await k('case_rr_pointers').insert({ team_id: rr.teamId, last_user_id: null, updated_at: now }).onConflict('team_id').ignore();
        pointerMade.add(rr.teamId);
      }
      // Two round trips on MariaDB (Exec.batch): the sender's lock and the reads with the BEGIN, then the writes with the COMMIT.
      // (A `joined` answer comes only with `direct`.)
      return transact(db, async (x): Promise<(Opened | JoinedBefore) & { holders?: Holder[] }> => {
        const guard = quota && c.mailbox_id !== null && c.from_addr ? quota : undefined;
        const latestSince = guard?.followUpSince ?? null;
        const reads: Statement[] = [];
        // The lock comes first: InnoDB's snapshot starts at a transaction's first plain read, and the
        // count must see every case committed before the lock was granted. An upsert locks the row
        // (exclusive, also when it is there already) and makes it the first time, inside the
        // transaction: a second opening for the sender waits for the first one's commit.
        if (guard && mysql) {
          reads.push({ sql: 'INSERT INTO case_sender_locks (mailbox_id, address) VALUES (?, ?) ON DUPLICATE KEY UPDATE mailbox_id = mailbox_id',
            params: [c.mailbox_id, c.from_addr.slice(0, 191)] });
        }
        // The message's earlier case (a re-run), the sender's count and newest case (the follow-up hint), in one read;
        // `direct`: also the case the message joined (routeReads' prior) and, after it, the holders of its addresses.
        reads.push({
          sql: 'SELECT (SELECT id FROM cases WHERE inbound_id = ? LIMIT 1) AS prior'
            + (guard ? ', (SELECT COUNT(*) FROM cases WHERE from_addr = ? AND mailbox_id = ? AND created_at >= ?) AS n' : '')
            + (latestSince !== null ? ', (SELECT MAX(id) FROM cases WHERE from_addr = ? AND mailbox_id = ? AND created_at >= ?) AS latest' : '')
            + (direct ? `, (${joinedSql('case_id')}) AS joined, (${joinedSql('rung')}) AS joined_rung` : ''),
          params: [c.inbound_id, ...(guard ? [c.from_addr, c.mailbox_id, guard.since] : []), ...(latestSince !== null ? [c.from_addr, c.mailbox_id, latestSince] : []),
            ...(direct ? [c.inbound_id, c.inbound_id] : [])],
        });
        const at = reads.length - 1;
        const who = direct ? holdersStatement(direct.holdersOf) : null;
        if (who) reads.push(who);
        const got = await x.batch(reads);
        type Num = number | string | null;
        const first = got[at]!.rows[0] as { prior: Num; n?: Num; latest?: Num; joined?: Num; joined_rung?: string | null } | undefined;
        const holders = direct ? (who ? got[at + 1]!.rows.map(toHolder) : []) : undefined;
        // Joined a case before (a re-run): routing it again changes nothing (the COMMIT follows on its own).
        const joined = numOrNull(first?.joined);
        if (joined !== null) return { joined: { case_id: joined, rung: String(first?.joined_rung) }, holders };
        const prior = numOrNull(first?.prior);
        if (prior !== null) {
          await x.batch(recordStatements(prior, j, now), { last: true });
          // Not a new case: its assignee is not needed (nothing is handed on).
          return { id: prior, created: false, assigned_user_id: null, holders };
        }
        if (guard) {
          const count = Number(first?.n ?? 0);
          if (count >= guard.max) return { held: true as const, count, holders };
        }
        // `direct`: the new case's records from the holders just read (routing/holders.ts recordsOfSender).
        const rec = holders ? direct!.records(holders) : c;
        const row: Record<(typeof CASE_COLUMNS)[number], unknown> = {
          subject: c.subject.slice(0, 500), status: c.assigned_user_id ? 'assigned' : c.status, mailbox_id: c.mailbox_id, team_id: c.team_id, assigned_user_id: c.assigned_user_id ?? null,
          assigned_at: c.assigned_user_id ? now : null, account_id: rec.account_id ?? null, contact_id: rec.contact_id ?? null, lead_id: rec.lead_id ?? null,
          from_addr: c.from_addr,
          inbound_id: c.inbound_id, parent_case_id: c.parent_case_id, follow_up_of: latestSince !== null ? numOrNull(first?.latest) : c.follow_up_of,
          created_at: now, updated_at: now,
        };
        const insertCase = () => ({ sql: `INSERT INTO cases (${CASE_COLUMNS.join(', ')}) VALUES (${inList(CASE_COLUMNS.length)})`, params: CASE_COLUMNS.map((col) => row[col]) });
        // The pointer moves in the transaction that opens the case (a crash or a held message never
        // skips anyone), by one statement that locks it, takes the team's first active member after it
        // (ascending, wrapping: nextRoundRobin in routing/cases/assignment.ts) and moves it. The database
        // picks the member, so the pointer is locked only for the end of the last batch and the COMMIT
        // (it was from the first round trip on), and the members are read as they are then (no read of
        // them per case before the transaction). Two nodes still take turns exactly: each move reads the
        // pointer as the one before it left it. No active member: the pointer is cleared (the case is
        // unassigned; the rotation starts again from the lowest id).
        const active = 'SELECT MIN(u.id) FROM team_users tu JOIN users u ON u.id = tu.user_id WHERE tu.team_id = case_rr_pointers.team_id AND u.active = 1';
        const move = rr && {
          sql: `UPDATE case_rr_pointers SET last_user_id = COALESCE((${active} AND u.id > case_rr_pointers.last_user_id), (${active})), updated_at = ? WHERE team_id = ?`,
          params: [now, rr.teamId],
        };
        const picked = 'SELECT last_user_id FROM case_rr_pointers WHERE team_id = ?';
        if (mysql) {
          // One round trip: the case, its id in a session variable, the rows that name it, then the pointer
          // moved and the case given to the member it names (the pointer is locked only for these last
          // statements and the COMMIT: the only lock the openings of a team's cases all wait for), COMMIT.
          // MariaDB sets columns left to right with the new values: status and assigned_at see the new assignee.
          const give: Statement[] = move ? [move, {
            sql: "UPDATE cases SET assigned_user_id = (SELECT last_user_id FROM case_rr_pointers WHERE team_id = ?), status = IF(assigned_user_id IS NULL, status, 'assigned'),"
              + ' assigned_at = IF(assigned_user_id IS NULL, NULL, ?) WHERE id = @case_id',
            params: [rr.teamId, now],
          }, { sql: picked, params: [rr.teamId] }] : [];
          const r = await x.batch([insertCase(), { sql: 'SET @case_id = LAST_INSERT_ID()', params: [] }, ...recordStatements(null, j, now), ...give], { last: true });
          const assigned = move ? numOrNull(r[r.length - 1]!.rows[0]?.last_user_id) : c.assigned_user_id ?? null;
          return { id: r[0]!.lastId, created: true, assigned_user_id: assigned, holders };
        }
        // SQLite (one writer): the pointer moved and read back, then the case and its rows.
        let assigned = c.assigned_user_id ?? null;
        if (move) {
          const [, moved] = await x.batch([move, { sql: picked, params: [rr.teamId] }]);
          assigned = numOrNull(moved!.rows[0]?.last_user_id);
          Object.assign(row, { assigned_user_id: assigned, status: assigned ? 'assigned' : c.status, assigned_at: assigned ? now : null });
        }
        const id = (await x.batch([insertCase()]))[0]!.lastId;
        await x.batch(recordStatements(id, j, now));
        return { id, created: true, assigned_user_id: assigned, holders };
      }) as Promise<(Opened | (D extends DirectOpen ? JoinedBefore : never)) & { holders?: Holder[] }>;
    },
    /**
     * Joins a message to a case. The status goes back to work (`assigned` when someone holds the
     * case, else `new`) for a closed case when `reopen`, for a pending one (waiting for the customer) when `wake`.
     */
    async attach(caseId: number, j: Joined, o: { reopen: boolean; wake: boolean }, now: number) {
      // One round trip on MariaDB (Exec.batch with the BEGIN and the COMMIT; two before, with a read of the message's
      // row first: 0.12 round trips per routed message less, bench/routing-drain.sh). The message's row goes first, and
      // the case is changed only when that insert wrote it (a re-run: the rows only, already there). ROW_COUNT() on
      // MariaDB and changes() on SQLite answer the previous statement's count (the row is keyed by the inbound id).
      const [row, ...rest] = recordStatements(caseId, j, now);
      const fresh = mysql ? 'ROW_COUNT() = 1' : 'changes() = 1';
      const waking = [...(o.reopen ? ['closed'] : []), ...(o.wake ? ['pending'] : [])];
      const inWaking = `status IN (${inList(waking.length)})`;
      const update = !waking.length ? { sql: `UPDATE cases SET updated_at = ? WHERE id = ? AND ${fresh}`, params: [now, caseId] } : {
        // One update: a waking status goes back to work, any other stays. closed_at is set first because
        // MariaDB evaluates SET left to right with the new values (SQLite with the old ones: the same then).
        sql: `UPDATE cases SET closed_at = CASE WHEN ${inWaking} THEN NULL ELSE closed_at END,`
          + ` status = CASE WHEN ${inWaking} THEN (CASE WHEN assigned_user_id IS NULL THEN 'new' ELSE 'assigned' END) ELSE status END, updated_at = ? WHERE id = ? AND ${fresh}`,
        params: [...waking, ...waking, now, caseId],
      };
      await transact(db, (x) => x.batch([row!, update, ...rest], { last: true }));
    },
    /** Active members of a team, ascending ids. */
    async activeMembers(teamId: number): Promise<number[]> {
      return ids((await read((x) => x.all('SELECT users.id FROM team_users JOIN users ON users.id = team_users.user_id WHERE team_users.team_id = ? AND users.active = 1 ORDER BY users.id', [teamId]))).map((r) => r.id));
    },
    async userActive(userId: number): Promise<boolean> { const [r] = await read((x) => x.all('SELECT active FROM users WHERE id = ?', [userId])); return Boolean(r?.active); },
    /** Open cases and the last assignment time per user (users with none included). */
    async loads(userIds: number[]): Promise<Array<{ userId: number; open: number; lastAssignedAt: number | null }>> {
      if (!userIds.length) return [];
      const open = await k('cases').whereIn('assigned_user_id', userIds).whereNot('status', 'closed').select('assigned_user_id').count({ n: '*' }).groupBy('assigned_user_id');
      const last = await k('cases').whereIn('assigned_user_id', userIds).select('assigned_user_id').max({ at: 'assigned_at' }).groupBy('assigned_user_id');
      const o = new Map(open.map((r: DbRow) => [Number(r.assigned_user_id), Number(r.n)]));
      const l = new Map(last.map((r: DbRow) => [Number(r.assigned_user_id), numOrNull(r.at)]));
      return userIds.map((userId) => ({ userId, open: o.get(userId) ?? 0, lastAssignedAt: l.get(userId) ?? null }));
    },
    async list(q: ListQuery & { mailboxId?: number; scopeMailboxIds?: number[] }): Promise<Page<CaseRow>> {
      const base = k('cases').select('cases.*');
      if (q.mailboxId !== undefined) base.whereIn('cases.id', k('case_mailboxes').select('case_id').where('mailbox_id', q.mailboxId));
      if (q.scopeMailboxIds) base.whereIn('cases.id', k('case_mailboxes').select('case_id').whereIn('mailbox_id', q.scopeMailboxIds.length ? q.scopeMailboxIds : [0]));
      return listPage(base, { sortable: ['id', 'created_at', 'updated_at', 'status', 'subject'], defaultSort: 'id', defaultDir: 'desc', searchable: ['subject', 'from_addr'], filterable: ['status', 'assigned_user_id', 'priority'] }, q, toCase);
    },
    async inScope(caseId: number, mailboxIds: number[]): Promise<boolean> {
      return Boolean(await k('case_mailboxes').where({ case_id: caseId }).whereIn('mailbox_id', mailboxIds.length ? mailboxIds : [0]).first('case_id'));
    },
    async messages(caseId: number): Promise<CaseMessageRow[]> {
      const rows = await k('case_messages').leftJoin('inbound_messages', 'inbound_messages.id', 'case_messages.inbound_id').where('case_messages.case_id', caseId)
        .select('case_messages.*', 'inbound_messages.subject', 'inbound_messages.from_addr', 'inbound_messages.kind', 'inbound_messages.message_id')
        .orderBy([{ column: 'case_messages.at' }, { column: 'case_messages.inbound_id' }]);
      return rows.map((r: DbRow) => ({ inbound_id: Number(r.inbound_id), case_id: Number(r.case_id), rung: String(r.rung), reopened: Boolean(r.reopened), at: Number(r.at),
        subject: strOrNull(r.subject), from_addr: strOrNull(r.from_addr), kind: strOrNull(r.kind), message_id: strOrNull(r.message_id) }));
    },
    /** Case id and rung per inbound message, for the inbound views. */
    async ofInbounds(inboundIds: number[]): Promise<Map<number, { caseId: number; rung: string }>> {
      if (!inboundIds.length) return new Map();
      const rows = await k('case_messages').whereIn('inbound_id', inboundIds).select('inbound_id', 'case_id', 'rung');
      return new Map(rows.map((r: DbRow) => [Number(r.inbound_id), { caseId: Number(r.case_id), rung: String(r.rung) }]));
    },
    async update(id: number, patch: Partial<Pick<CaseRow, 'status' | 'assigned_user_id' | 'priority' | 'closed_at' | 'assigned_at'>>, now: number) {
      return (await k('cases').where({ id }).update({ ...patch, updated_at: now })) === 1;
    },
    /** An agent replied: the case waits for the customer (pending) unless it is closed; answers the status after. */
    async markReplied(id: number, now: number): Promise<CaseStatus | undefined> {
      await k('cases').where({ id }).update({ status: k.raw("CASE WHEN status = 'closed' THEN 'closed' ELSE 'pending' END"), updated_at: now });
      const r = await k('cases').where({ id }).first('status');
      return r ? (String(r.status) as CaseStatus) : undefined;
    },
  };
}
export type CasesRepo = ReturnType<typeof casesRepo>;
