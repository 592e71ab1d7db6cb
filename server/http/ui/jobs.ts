/* Scheduled jobs pages: the list with last run and errors, the schedule form, "run now". */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, bool, formErrors, type Body } from './forms.js';

const SORTS = ['name', 'last_started_at', 'next_run_at', 'last_status', 'run_count'] as const;

export function jobsUi(app: FastifyInstance, s: Services) {
  app.get('/jobs', { preHandler: requireUser }, async (req, reply) => {
    const q = req.query as Record<string, string>;
    const sort = (SORTS as readonly string[]).includes(q.sort ?? '') ? q.sort! : 'name';
    const dir = q.dir === 'desc' ? -1 : 1;
    const filter = q.status ?? '';
    const jobs = (await s.scheduler.list())
      .filter((j) => !filter || (filter === 'inactive' ? !j.active : j.last_status === filter))
      .sort((a, b) => { const x = (a as any)[sort] ?? '', y = (b as any)[sort] ?? ''; return (x < y ? -1 : x > y ? 1 : 0) * dir; });
    const sortHref = (col: string) => `/admin/jobs?sort=${col}&dir=${sort === col && dir === 1 ? 'desc' : 'asc'}${filter ? `&status=${filter}` : ''}`;
    return render(req, reply, 'pages/jobs/list.eta', { title: 'Scheduled jobs', jobs, sort, dir, filter, sortHref });
  });
  const edit = async (req: any, reply: any, name: string, extra: Record<string, unknown> = {}) => {
    const job = await s.scheduler.get(name);
    return render(req, reply, 'pages/jobs/edit.eta', { title: `Job ${job.name}`, job, values: { cron: job.cron, active: job.active }, ...extra });
  };
  app.get('/jobs/:name', { preHandler: requireUser }, async (req, reply) => edit(req, reply, (req.params as { name: string }).name));
  app.post('/jobs/:name', { preHandler: requireAdmin }, async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const b = req.body as Body;
    const values = { cron: str(b, 'cron'), active: bool(b, 'active') };
    try {
      await s.scheduler.update(name, values);
      flash(reply, 'ok', `Job ${name} saved`);
      return reply.redirect('/admin/jobs', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return edit(req, reply, name, { values, ...fe });
    }
  });
  app.post('/jobs/:name/run', { preHandler: requireAdmin }, async (req, reply) => {
    const name = (req.params as { name: string }).name;
    try {
      const r = await s.scheduler.runNow(name);
      flash(reply, r.ok ? 'ok' : 'error', r.ok ? `Job ${name} ran` : `Job ${name} failed: ${r.error}`);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      flash(reply, 'error', fe.error);
    }
    return reply.redirect('/admin/jobs', 303);
  });
}
