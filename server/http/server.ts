/*
 * Builds the Fastify app: plugins (forms, cookies, views, static, OpenAPI), error mapping,
 * metrics, /healthz, /metrics (optionally behind a Bearer token), HSTS behind https, the
 * JSON API under /api/v1 and the admin UI under /admin. Bodies are small unless a route says.
 * Routes, menu entries and dashboard cards come from the features (app.ts).
 */
import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import view from '@fastify/view';
import fstatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Eta } from 'eta';
import { fromRoot } from '../paths.js';
import type { Services } from '../services.js';
import { installErrorHandlers, apiError } from './errors.js';
import { BODY_LIMITS } from './limits.js';
import { fastifyTrustProxy } from './proxy.js';
import { clientIpOf, rawDispatch, type RawRoute } from './raw.js';
import { bearerMatches } from '../auth/tokens.js';
import { apiRoutes, type ApiPlugin } from './api/index.js';
import type { MenuEntry } from './ui/menu.js';
import type { CardSource } from './ui/dashboard.js';
import { ErrorBody } from './api/schemas.js';
import { uiRoutes, type UiPlugin } from './ui/index.js';
import { deriveKey } from '../lib/keys.js';

export interface HttpOptions {
  api?: ApiPlugin[]; ui?: UiPlugin[]; publicRoutes?: Array<(app: FastifyInstance, s: Services) => void | Promise<void>>;
  menu?: MenuEntry[]; cards?: CardSource[];
  /** Public endpoints answered in front of Fastify (raw.ts): the tracking pixel and links. */
  rawRoutes?: Array<(s: Services) => RawRoute[]>;
}

export async function buildHttp(s: Services, opts: HttpOptions = {}): Promise<FastifyInstance> {
  const { config, log } = s.ctx;
  const raw = (opts.rawRoutes ?? []).flatMap((r) => r(s));
  const ipOf = clientIpOf(config.http.trustProxy);
  const app = Fastify({
    // Fastify's own server set-up (timeouts as its options say), with the raw routes first.
    serverFactory: (handler, opts) => {
      const o = opts as { http?: ServerOptions | null; keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number };
      const server = createServer(o.http ?? {}, raw.length ? rawDispatch(raw, ipOf, handler as (req: IncomingMessage, res: ServerResponse) => void) : handler);
      server.keepAliveTimeout = o.keepAliveTimeout ?? 72_000;
      server.requestTimeout = o.requestTimeout ?? 0;
      server.setTimeout(o.connectionTimeout ?? 0);
      return server;
    },
    loggerInstance: log.child({ mod: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: fastifyTrustProxy(config.http.trustProxy),
    // Small by default; routes that take uploads raise it for themselves (limits.ts).
    bodyLimit: BODY_LIMITS.default,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  installErrorHandlers(app);
  s.metrics.instrument(app);
  if (config.publicUrl.startsWith('https:')) {
    // Served over https (behind a TLS proxy): browsers should never come back over plain http.
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('strict-transport-security', 'max-age=31536000');
      return payload;
    });
  }
  await app.register(formbody);
  await app.register(cookie, { secret: deriveKey(config.secret, 'cookie').toString('base64url') });
  await app.register(view, {
    engine: { eta: new Eta({ views: fromRoot('admin-ui', 'views'), cache: process.env.NODE_ENV !== 'development', autoEscape: true }) },
    root: fromRoot('admin-ui', 'views'),
    layout: 'layout.eta',
  });
  await app.register(fstatic, { root: fromRoot('admin-ui', 'static'), prefix: '/admin/static/', maxAge: '1h' });
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Postern API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from `postern apikey create` or the admin UI' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
    // The document describes the API only: admin pages and public links are not part of it.
    transform: ({ schema, url }) => ({ schema: url.startsWith('/api/v1/') ? schema : { ...schema, hide: true }, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await s.ctx.db.ping();
      return { status: 'ok', node: s.ctx.nodeId };
    } catch (e) {
      log.error({ evt: 'health.db_failed', err: e }, 'health check failed');
      return reply.status(503).send({ status: 'error', error: { code: 'db_unavailable', message: 'database unreachable' } });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const token = config.metrics.token;
    if (token && !bearerMatches(req.headers.authorization, token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      return apiError(reply, 401, 'unauthorized', 'The metrics token is required (Authorization: Bearer …)');
    }
    reply.type(s.metrics.registry.contentType);
    return s.metrics.registry.metrics();
  });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/admin', 302));
  app.get('/favicon.ico', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/admin/static/favicon.svg', 301));

  await app.register(async (api) => apiRoutes(api as never, s, opts.api), { prefix: '/api/v1' });
  await app.register(async (ui) => uiRoutes(ui, s, { plugins: opts.ui, menu: opts.menu, cards: opts.cards }), { prefix: '/admin' });
  for (const r of opts.publicRoutes ?? []) await app.register(async (pub) => r(pub, s));
  return app;
}
