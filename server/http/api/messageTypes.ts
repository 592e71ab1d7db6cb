/* /api/v1/message-types: labels that classify outbound mail (a default per upstream account). */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';

export const MessageTypeSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), description: Type.String(), createdAt: Ms(), updatedAt: Ms(),
  accountCount: Type.Optional(Type.Integer({ description: 'accounts using it as their default' })),
});
const Body = Type.Object({ name: Type.String({ maxLength: 64 }), description: Type.Optional(Type.String({ maxLength: 300 })) });

export function messageTypesApi(app: Api, s: Services) {
  const tags = ['message types'];
  const m = s.messageTypes;
  app.get('/message-types', { schema: { tags, summary: 'Message types', querystring: ListQuery, response: { 200: pageOf(MessageTypeSchema) } } }, async (req) => camelPage(await m.list(listArgs(req.query))));
  app.get('/message-types/:id', { schema: { tags, summary: 'One message type', params: IdParams, response: { 200: MessageTypeSchema, ...errors(404) } } }, async (req) => camelKeys(await m.get(req.params.id)));
  app.post('/message-types', { schema: { tags, summary: 'Create a message type', body: Body, response: { 201: MessageTypeSchema, ...errors(400, 409) } } }, async (req, reply) => {
    reply.status(201);
    return camelKeys(await m.create(req.body));
  });
  app.patch('/message-types/:id', { schema: { tags, summary: 'Rename or describe a message type', params: IdParams, body: Type.Partial(Body), response: { 200: MessageTypeSchema, ...errors(400, 404) } } }, async (req) => camelKeys(await m.update(req.params.id, req.body)));
  app.delete('/message-types/:id', { schema: { tags, summary: 'Delete a message type (accounts defaulting to it get none)', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await m.remove(req.params.id);
    return reply.status(204).send(null);
  });
}
