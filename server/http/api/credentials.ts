/* /api/v1/smtp-credentials: app credentials for the submission port (the secret is shown once). */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';

const Credential = Type.Object({
  id: Type.Integer(), name: Type.String(), username: Type.String(), allowedSenders: Type.Array(Type.String()), ratePerMinute: Type.Integer(),
  lastUsedAt: Nullable(Ms()), revokedAt: Nullable(Ms()), createdAt: Ms(),
});
const Input = Type.Object({
  name: Type.String({ maxLength: 100 }), allowedSenders: Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100 }), ratePerMinute: Type.Optional(Type.Integer()),
}, { additionalProperties: false });

export function credentialsApi(app: Api, s: Services) {
  const tags = ['smtp-credentials'];
  app.get('/smtp-credentials', { schema: { tags, summary: 'App credentials for the submission port', querystring: ListQuery, response: { 200: pageOf(Credential) } } }, async (req) => camelPage(await s.credentials.repo.list(listArgs(req.query))));
  app.post('/smtp-credentials', { schema: { tags, summary: 'Create a credential (the password is returned once)', body: Input, response: { 201: Type.Object({ id: Type.Integer(), username: Type.String(), password: Type.String() }), ...errors(400) } } },
    async (req, reply) => { reply.status(201); return s.credentials.create(req.body); });
  app.patch('/smtp-credentials/:id', { schema: { tags, summary: 'Change name, allowed senders or rate', params: IdParams, body: Type.Partial(Input), response: { 200: Type.Object({ id: Type.Integer() }), ...errors(400, 404) } } },
    async (req) => ({ id: (await s.credentials.update(req.params.id, req.body)).id }));
  app.delete('/smtp-credentials/:id', { schema: { tags, summary: 'Revoke', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } },
    async (req, reply) => { await s.credentials.revoke(req.params.id); return reply.status(204).send(null); });
}
