/*
 * The JSON API under /api/v1: Bearer API-key authentication for every route, then one
 * plugin per resource. Routes declare TypeBox schemas, which also build /api/docs.
 */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../../services.js';
import { apiError } from '../errors.js';
import { apiRouteAllowed, type Principal } from '../../auth/access.js';

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
export type ApiPlugin = (app: Api, s: Services) => void | Promise<void>;

export async function apiRoutes(app: Api, s: Services, plugins: ApiPlugin[] = []) {
  const access = s.access;
  app.addHook('onRequest', async (req, reply) => {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    const key = m ? await s.auth.apiKeyValid(m[1]!) : null;
    if (!key) {
      reply.header('www-authenticate', 'Bearer realm="postern"');
      return apiError(reply, 401, 'unauthorized', 'A valid API key is required (Authorization: Bearer pst_…)');
    }
    req.apiKey = key;
    // A key acts as the user who created it (auth/access.ts): an agent's key reaches mail routes only.
    req.principal = await access.keyPrincipal(key.createdBy);
    if (!apiRouteAllowed(req.principal, req.method, req.routeOptions.url)) return apiError(reply, 403, 'forbidden', 'This API key belongs to an agent: only the mail routes are open to it');
  });
  for (const p of plugins) await p(app, s);
}

declare module 'fastify' {
  interface FastifyRequest { apiKey?: { id: number; name: string }; principal?: Principal }
}
