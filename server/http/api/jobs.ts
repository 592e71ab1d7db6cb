/* /api/v1/jobs: scheduled jobs — list, read, edit schedule / active flag, run now. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { errors } from './schemas.js';

const N = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
const JobSchema = Type.Object({
  name: Type.String(), description: Type.String(), cron: Type.String(), active: Type.Boolean(),
  last_started_at: N(Type.Integer()), last_finished_at: N(Type.Integer()), last_status: N(Type.String()),
  last_error: N(Type.String()), last_error_at: N(Type.Integer()), next_run_at: N(Type.Integer()),
  running_by: N(Type.String()), run_count: Type.Integer(),
});
const Name = Type.Object({ name: Type.String({ maxLength: 64 }) });

export function jobsApi(app: Api, s: Services) {
  const tags = ['jobs'];
  app.get('/jobs', { schema: { tags, summary: 'Scheduled jobs', response: { 200: Type.Object({ items: Type.Array(JobSchema), total: Type.Integer() }) } } },
    async () => { const items = await s.scheduler.list(); return { items, total: items.length }; });
  app.get('/jobs/:name', { schema: { tags, summary: 'One job', params: Name, response: { 200: JobSchema, ...errors(404) } } }, async (req) => s.scheduler.get(req.params.name));
  app.patch('/jobs/:name', {
    schema: { tags, summary: 'Change the schedule (cron, 5 or 6 fields) or the active flag', params: Name,
      body: Type.Object({ cron: Type.Optional(Type.String({ maxLength: 100 })), active: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: JobSchema, ...errors(400, 404) } },
  }, async (req) => s.scheduler.update(req.params.name, req.body));
  app.post('/jobs/:name/run', { schema: { tags, summary: 'Run now on this node', params: Name, response: { 200: Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }), ...errors(404, 409) } } },
    async (req) => s.scheduler.runNow(req.params.name));
}
