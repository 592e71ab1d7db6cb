/*
 * Starts a real Postern app for a test: fresh database (SQLite or MySQL), ephemeral ports,
 * chosen roles, a known admin password and an API key. Stopped in teardown.
 */
import type { Test } from 'tap';
import { loadConfig, type Config, type Role } from '../../server/config.js';
import { createApp, FEATURES, type App } from '../../server/app.js';
import { silentLogger } from '../../server/log.js';
import type { Feature } from '../../server/feature.js';
import type { Clock } from '../../server/context.js';
import { createTestDb, type TestDb } from './db.js';

export const ADMIN_PASSWORD = 'correct horse battery';

export interface TestApp { app: App; tdb: TestDb; config: Config; url: string; apiKey: string; api(path: string, init?: RequestInit): Promise<Response> }

export async function startTestApp(t: Test, o: { kind?: 'sqlite' | 'mysql'; tdb?: TestDb; roles?: Role[]; overrides?: Record<string, unknown>; features?: Feature[]; clock?: Clock } = {}): Promise<TestApp> {
  const tdb = o.tdb ?? (await createTestDb(o.kind ?? 'sqlite'));
  const config = loadConfig({
    env: {},
    persistSecret: false,
    overrides: {
      roles: o.roles ?? ['http'], secret: 'test-secret-0123456789abcdef', adminPassword: ADMIN_PASSWORD,
      database: { url: tdb.url }, http: { port: 0 }, smtp: { port: 0, submissionPort: 0 },
      log: { level: 'silent' }, shutdownTimeoutMs: 5000, ...o.overrides,
    },
  });
  const app = await createApp(config, { log: silentLogger(), features: o.features ?? FEATURES, clock: o.clock });
  await app.start();
  t.teardown(async () => { await app.stop(); if (!o.tdb) await tdb.cleanup(); });
  const url = app.httpAddress() ?? '';
  const { key } = await app.services.auth.createApiKey('test', null);
  const api = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, {
    ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
  return { app, tdb, config, url, apiKey: key, api };
}
