/*
 * Shared setup of the IMAP sync tests: services on a test database, a Dovecot user, an
 * account on it, fast sync timings, and reads of what the inbound store holds.
 */
import type { Test } from 'tap';
import { buildTestServices } from '../../helpers/services.js';
import type { TestDb } from '../../helpers/db.js';
import type { Dovecot } from '../../helpers/dovecot.js';
import type { Services } from '../../../server/services.js';
import type { SyncOptions } from '../../../server/imap/session.js';
import type { Running } from '../../../server/feature.js';

export const ADMIN = { role: 'admin' as const, userId: null };
export const FAST: Partial<SyncOptions> = { leaseMs: 3000, tickMs: 250, pollMs: 30_000, pageSize: 100, batchSize: 40, backoff: { baseMs: 100, maxMs: 500, jitter: 0 } };
let users = 0;
export const freshUser = () => `u${process.pid}x${++users}x${Date.now() % 100000}`;

export async function services(t: Test, tdb: TestDb, nodeId = 'node-a'): Promise<Services> {
  return (await buildTestServices(t, tdb, { overrides: { nodeId } })).s;
}

export async function account(s: Services, dc: Dovecot, user: string, extra: Record<string, unknown> = {}) {
  return s.imap.create({ name: `acct ${user}`, kind: 'group', host: '127.0.0.1', port: dc.port, security: 'none', username: user, password: 'pass', verifyCert: false, ...extra }, ADMIN);
}

/** Starts a node's sync; stopped in teardown (unless the test stopped it). */
export async function startSync(t: Test, s: Services, o: Partial<SyncOptions> = {}): Promise<Running> {
  const r = await s.imap.start({ ...FAST, ...o });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await r.stop(); });
  return { stop: async () => { stopped = true; await r.stop(); } };
}

/** Inbound rows fetched for an account and how many distinct Message-IDs they carry. */
export async function stored(s: Services, accountId: number) {
  const k = s.ctx.db.knex;
  const rows = await k('imap_messages').where({ account_id: accountId, outcome: 'imported' }).select('message_id', 'inbound_id');
  const inbound = Number(((await k('inbound_messages').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const ids = rows.map((r: { message_id: string | null }) => r.message_id);
  return { imported: rows.length, inbound, distinct: new Set(ids).size, ids: new Set(ids) };
}

export async function until(t: Test, what: string, cond: () => Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await cond()) return true; await new Promise((r) => setTimeout(r, 50)); }
  t.fail(`timed out waiting for ${what}`);
  return false;
}
