/* /api/v1/users: list, read, create, update, delete admin-UI users. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { notFound } from '../../errors.js';

export const UserSchema = Type.Object({
  id: Type.Integer(), username: Type.String(), email: Nullable(Type.String()), name: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('agent')]), active: Type.Boolean(),
  lastLoginAt: Nullable(Ms()), createdAt: Ms(), updatedAt: Ms(),
  teamIds: Type.Optional(Type.Array(Type.Integer())),
});

const UserInput = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64 }), email: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
  name: Type.Optional(Type.String({ maxLength: 200 })), role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('agent')])),
  active: Type.Optional(Type.Boolean()), password: Type.String({ minLength: 1, maxLength: 512 }),
  teamIds: Type.Optional(Type.Array(Type.Integer())),
}, { additionalProperties: false });

export function usersApi(app: Api, s: Services) {
  const tags = ['users'];
  app.get('/users', { schema: { tags, summary: 'List users', querystring: Type.Intersect([ListQuery, Type.Object({ role: Type.Optional(Type.String()), active: Type.Optional(Type.Boolean()) })]), response: { 200: pageOf(UserSchema) } } },
    async (req) => { const { role, active, ...q } = req.query; return camelPage(await s.auth.users.list({ ...listArgs(q), filters: { role, active } })); });
  app.get('/users/:id', { schema: { tags, summary: 'Get a user', params: IdParams, response: { 200: UserSchema, ...errors(404) } } }, async (req) => {
    const u = await s.auth.users.get(req.params.id);
    if (!u) throw notFound('User');
    return { ...camelKeys(u), teamIds: (await s.auth.users.teamsOf(u.id)).map((t) => Number(t.id)) };
  });
  app.post('/users', { schema: { tags, summary: 'Create a user', body: UserInput, response: { 201: UserSchema, ...errors(400) } } }, async (req, reply) => {
    reply.status(201);
    return camelKeys(await s.auth.createUser(req.body));
  });
  app.patch('/users/:id', { schema: { tags, summary: 'Update a user', params: IdParams, body: Type.Partial(UserInput), response: { 200: UserSchema, ...errors(400, 404, 409) } } },
    async (req) => camelKeys(await s.auth.updateUser(req.params.id, req.body)));
  app.delete('/users/:id', { schema: { tags, summary: 'Delete a user', params: IdParams, response: { 204: Type.Null(), ...errors(404, 409) } } }, async (req, reply) => {
    await s.auth.deleteUser(req.params.id);
    return reply.status(204).send(null);
  });
}
