/* /api/v1/apikeys: list, create (the key is shown once), revoke. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';
import { notFound } from '../../errors.js';

const ApiKeySchema = Type.Object({
  id: Type.Integer(), name: Type.String(), prefix: Type.String(), createdBy: Nullable(Type.Integer({ description: 'the user the key acts as' })),
  lastUsedAt: Nullable(Ms()), revokedAt: Nullable(Ms()), createdAt: Ms(),
});

export function apiKeysApi(app: Api, s: Services) {
  const tags = ['apikeys'];
  app.get('/apikeys', { schema: { tags, summary: 'List API keys', querystring: ListQuery, response: { 200: pageOf(ApiKeySchema) } } }, async (req) => camelPage(await s.auth.apiKeys.list(listArgs(req.query))));
  app.post('/apikeys', { schema: { tags, summary: 'Create an API key (returned once)', body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }), response: { 201: Type.Object({ id: Type.Integer(), prefix: Type.String(), key: Type.String() }), ...errors(400) } } },
    async (req, reply) => { reply.status(201); return s.auth.createApiKey(req.body.name, null); });
  app.delete('/apikeys/:id', { schema: { tags, summary: 'Revoke an API key', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    if (!(await s.auth.apiKeys.revoke(req.params.id, s.ctx.clock.now()))) throw notFound('Active API key');
    return reply.status(204).send(null);
  });
}
