/* /api/v1/teams: teams and their members. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { notFound } from '../../errors.js';

export const TeamSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), description: Type.String(), createdAt: Ms(), updatedAt: Ms(),
  memberCount: Type.Optional(Type.Integer()), memberIds: Type.Optional(Type.Array(Type.Integer())),
});
const TeamInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }), description: Type.Optional(Type.String({ maxLength: 500 })),
  memberIds: Type.Optional(Type.Array(Type.Integer())),
}, { additionalProperties: false });

export function teamsApi(app: Api, s: Services) {
  const tags = ['teams'];
  const teams = s.teams;
  app.get('/teams', { schema: { tags, summary: 'List teams', querystring: ListQuery, response: { 200: pageOf(TeamSchema) } } }, async (req) => camelPage(await s.auth.teams.list(listArgs(req.query))));
  app.get('/teams/:id', { schema: { tags, summary: 'Get a team with its members', params: IdParams, response: { 200: TeamSchema, ...errors(404) } } }, async (req) => {
    const t = await s.auth.teams.get(req.params.id);
    if (!t) throw notFound('Team');
    return { ...camelKeys(t), memberIds: (await s.auth.teams.members(t.id)).map((u) => u.id) };
  });
  app.post('/teams', { schema: { tags, summary: 'Create a team', body: TeamInput, response: { 201: TeamSchema, ...errors(400) } } }, async (req, reply) => {
    reply.status(201);
    return camelKeys(await teams.create(req.body));
  });
  app.patch('/teams/:id', { schema: { tags, summary: 'Update a team', params: IdParams, body: Type.Partial(TeamInput), response: { 200: TeamSchema, ...errors(400, 404) } } },
    async (req) => camelKeys(await teams.update(req.params.id, req.body)));
  app.delete('/teams/:id', { schema: { tags, summary: 'Delete a team', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    if (!(await s.auth.teams.remove(req.params.id))) throw notFound('Team');
    return reply.status(204).send(null);
  });
}
