/*
 * Composition root: the only file that wires modules together. Opens the database, runs
 * migrations, builds the services, then starts the configured roles (http, smtp, worker,
 * scheduler) and stops them in reverse order on shutdown.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createLogger, type Log } from './log.js';
import { openDb } from './db/connect.js';
import { migrateLatest } from './db/migrate.js';
import { systemClock, type Clock, type Ctx } from './context.js';
import { buildHttp } from './http/server.js';
import { buildServices } from './services.js';
import { serviceDecls, type Feature, type Running } from './feature.js';
import { adminFeature } from './auth/feature.js';
import { suppressionFeature } from './suppression/feature.js';
import { schedulerFeature } from './scheduler/feature.js';
import { inboundFeature } from './inbound/feature.js';
import { outboundFeature } from './outbound/feature.js';
import { composeFeature } from './outbound/compose/feature.js';
import { templatesFeature } from './outbound/templates/feature.js';
import { queueAdminFeature } from './outbound/queueAdmin/feature.js';
import { submissionFeature } from './outbound/submission/feature.js';
import { targetListsFeature } from './targetLists/feature.js';
import { recordsFeature } from './records/feature.js';
import { campaignsFeature } from './campaigns/feature.js';
import { trackingFeature } from './tracking/feature.js';
import { webhooksFeature } from './webhooks/feature.js';
import { operationsFeature } from './operations/feature.js';
import { imapFeature } from './imap/feature.js';
import { statusFeature } from './status/feature.js';
import { filtersFeature } from './routing/filters/feature.js';
import { casesFeature } from './routing/cases/feature.js';
import { autoReplyFeature } from './routing/autoReply/feature.js';
import { inboxFeature } from './routing/inbox/feature.js';
import { linksFeature } from './routing/links/feature.js';

/** Every capability, in start order. A new feature is one folder, one line here, one constructor in services.ts. */
export const FEATURES: Feature[] = [
  adminFeature, schedulerFeature, inboundFeature, outboundFeature, suppressionFeature,
  composeFeature, templatesFeature, queueAdminFeature, submissionFeature, recordsFeature, targetListsFeature, campaignsFeature, trackingFeature,
  operationsFeature, imapFeature, statusFeature, filtersFeature, casesFeature, inboxFeature, linksFeature, autoReplyFeature,
  // Last: route hooks run in this order, and `message.received` reports what routing decided (its case; nothing for skipped mail).
  webhooksFeature,
];

export interface AppOptions { log?: Log; clock?: Clock; features?: Feature[] }
export interface AdminCredentials { username: string; password: string; generated: boolean }

export async function createApp(config: Config, opts: AppOptions = {}) {
  const log = opts.log ?? createLogger(config.log.level);
  const db = await openDb(config.database.url, { log, poolMax: config.database.poolMax });
  try {
    const applied = await migrateLatest(db.knex);
    if (applied.length) log.info({ evt: 'db.migrated', applied }, 'migrations applied');
  } catch (e) {
    await db.close();
    throw e;
  }
  const ctx: Ctx = { config, db, log, clock: opts.clock ?? systemClock, nodeId: config.nodeId };
  const features = opts.features ?? FEATURES;
  const services = buildServices(ctx, serviceDecls(features));

  const running: Array<{ name: string; r: Running }> = [];
  let http: FastifyInstance | undefined;
  let admin: AdminCredentials | null = null;

  return {
    ctx, services,
    get http() { return http; },
    get admin() { return admin; },
    /** Runs start-up work and starts the configured roles. */
    async start() {
      admin = await services.auth.bootstrapAdmin(config.adminPassword);
      for (const f of features) await f.bootstrap?.(services);
      await services.scheduler.ensureJobs();
      const roles = new Set(config.roles);
      try {
        if (roles.has('http')) {
          http = await buildHttp(services, {
            api: features.flatMap((f) => f.api ?? []),
            ui: features.flatMap((f) => f.ui ?? []),
            publicRoutes: features.flatMap((f) => f.publicRoutes ?? []),
            rawRoutes: features.flatMap((f) => f.rawRoutes ?? []),
            menu: features.flatMap((f) => f.menu ?? []),
            cards: features.flatMap((f) => f.cards ?? []),
          });
          await http.listen({ host: config.host, port: config.http.port });
          const h = http;
          running.push({ name: 'http', r: { stop: () => h.close() } });
        }
        for (const role of ['smtp', 'worker', 'scheduler'] as const) {
          if (!roles.has(role)) continue;
          for (const f of features) {
            const start = f.start?.[role];
            if (start) running.push({ name: `${f.name}:${role}`, r: await start(services) });
          }
        }
        if (roles.has('scheduler')) {
          await services.scheduler.start();
          running.push({ name: 'scheduler', r: { stop: () => services.scheduler.stop() } });
        }
      } catch (e) {
        await this.stop();
        throw e;
      }
      log.info({ evt: 'app.started', roles: [...roles], node: ctx.nodeId }, 'Postern started');
    },
    /** Stops roles in reverse order (each finishes in-flight work), then closes the DB. */
    async stop() {
      const timeout = config.shutdownTimeoutMs;
      while (running.length) {
        const { name, r } = running.pop()!;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeout); });
        const res = await Promise.race([r.stop().then(() => 'ok' as const, (e: unknown) => { log.error({ evt: 'app.stop_failed', part: name, err: e }, 'stop failed'); return 'ok' as const; }), timedOut]);
        clearTimeout(timer);
        if (res === 'timeout') log.warn({ evt: 'app.stop_timeout', part: name }, 'stop timed out');
      }
      await db.close();
      log.info({ evt: 'app.stopped' }, 'Postern stopped');
    },
    httpAddress(): string | null {
      const a = http?.server.address();
      return a && typeof a === 'object' ? `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : null;
    },
  };
}
export type App = Awaited<ReturnType<typeof createApp>>;
