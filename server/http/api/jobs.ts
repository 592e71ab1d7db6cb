/* /api/v1/jobs: scheduled jobs — list, read, edit schedule / active flag, run now. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { errors, Nullable, Ms } from './schemas.js';
import { camelKeys } from '../../lib/case.js';

const JobSchema = Type.Object({
  name: Type.String(), description: Type.String(), cron: Type.String(), active: Type.Boolean(),
  lastStartedAt: Nullable(Ms()), lastFinishedAt: Nullable(Ms()), lastStatus: Nullable(Type.String()),
  lastError: Nullable(Type.String()), lastErrorAt: Nullable(Ms()), nextRunAt: Nullable(Ms()),
  runningBy: Nullable(Type.String({ description: 'the node running it now' })), runCount: Type.Integer(),
});
const Name = Type.Object({ name: Type.String({ maxLength: 64 }) });

export function jobsApi(app: Api, s: Services) {
  const tags = ['jobs'];
  app.get('/jobs', { schema: { tags, summary: 'Scheduled jobs', response: { 200: Type.Object({ items: Type.Array(JobSchema), total: Type.Integer() }) } } },
    async () => { const items = (await s.scheduler.list()).map((j) => camelKeys(j)); return { items, total: items.length }; });
  app.get('/jobs/:name', { schema: { tags, summary: 'One job', params: Name, response: { 200: JobSchema, ...errors(404) } } }, async (req) => camelKeys(await s.scheduler.get(req.params.name)));
  app.patch('/jobs/:name', {
    schema: { tags, summary: 'Change the schedule (cron, 5 or 6 fields) or the active flag', params: Name,
      body: Type.Object({ cron: Type.Optional(Type.String({ maxLength: 100 })), active: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: JobSchema, ...errors(400, 404) } },
  }, async (req) => camelKeys(await s.scheduler.update(req.params.name, req.body)));
  app.post('/jobs/:name/run', { schema: { tags, summary: 'Run now on this node', params: Name, response: { 200: Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }), ...errors(404, 409) } } },
    async (req) => s.scheduler.runNow(req.params.name));
}
