/*
 * The services of a Postern app without HTTP or SMTP: a fresh, migrated test database
 * (SQLite or MariaDB, see db.ts), the config as startTestApp loads it, a silent logger and
 * buildServices() fed by the features' declarations (queues, jobs, hooks). Tests drive the
 * domain directly: `s.inboundPipeline.runOnce('w1')`, `s.delivery.runOnce()`, `s.compose.send(…)`.
 */
import type { Test } from 'tap';
import { loadConfig, type Config } from '../../server/config.js';
import { FEATURES } from '../../server/app.js';
import { buildServices, type Services } from '../../server/services.js';
import { serviceDecls, type Feature } from '../../server/feature.js';
import { silentLogger } from '../../server/log.js';
import { systemClock, type Clock, type Ctx } from '../../server/context.js';
import { createTestDb, type TestDb } from './db.js';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

export interface TestServices { s: Services; ctx: Ctx; tdb: TestDb; config: Config }
export interface TestServicesOptions {
  /** Config overrides on top of the test defaults (as startTestApp takes them). */
  overrides?: Record<string, unknown>;
  /** Defaults to FEATURES; add a test feature to declare hooks, jobs or queues. */
  features?: Feature[];
  clock?: Clock;
  /** Runs each feature's bootstrap (the sandbox account, config domains and mailboxes). Default true. */
  bootstrap?: boolean;
}

/** `db`: a database kind (a fresh database, dropped in teardown) or one a caller already has (e.g. from eachDb). */
export async function buildTestServices(t: Test, db: 'sqlite' | 'mysql' | TestDb, o: TestServicesOptions = {}): Promise<TestServices> {
  const tdb = typeof db === 'string' ? await createTestDb(db) : db;
  if (typeof db === 'string') t.teardown(() => tdb.cleanup());
  const config = loadConfig({
    env: {},
    persistSecret: false,
    overrides: {
      roles: ['worker'], secret: TEST_SECRET, database: { url: tdb.url }, http: { port: 0 }, smtp: { port: 0, submissionPort: 0 },
      log: { level: 'silent' }, shutdownTimeoutMs: 5000, ...o.overrides,
    },
  });
  const ctx: Ctx = { config, db: tdb.db, log: silentLogger(), clock: o.clock ?? systemClock, nodeId: config.nodeId };
  const features = o.features ?? FEATURES;
  const s = buildServices(ctx, serviceDecls(features));
  if (o.bootstrap !== false) for (const f of features) await f.bootstrap?.(s);
  return { s, ctx, tdb, config };
}
