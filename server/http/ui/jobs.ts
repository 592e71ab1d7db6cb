/* Scheduled jobs pages: the list with last run and errors, the schedule form, "run now". */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser, requireAdmin } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';

const SORTS = ['name', 'last_started_at', 'next_run_at', 'last_status', 'run_count'] as const;

export function jobsUi(app: FastifyInstance, s: Services) {
  app.get('/jobs', { preHandler: requireUser }, async (req, reply) => {
    const q = req.query as Record<string, string>;
    const sort = (SORTS as readonly string[]).includes(q.sort ?? '') ? q.sort! : 'name';
    const dir = q.dir === 'desc' ? -1 : 1;
    const filter = q.status ?? '';
    const jobs = (await s.scheduler.list())
      .filter((j) => !filter || (filter === 'inactive' ? !j.active : j.last_status === filter))
      .sort((a, b) => {
        const x = (a as unknown as Record<string, string | number | null>)[sort] ?? '', y = (b as unknown as Record<string, string | number | null>)[sort] ?? '';
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    const sortHref = (col: string) => `/admin/jobs?sort=${col}&dir=${sort === col && dir === 1 ? 'desc' : 'asc'}${filter ? `&status=${filter}` : ''}`;
    return render(req, reply, 'pages/jobs/list.eta', { title: tr(req).t('jobs.list.title'), jobs, sort, dir, filter, sortHref });
  });
  const edit = async (req: FastifyRequest, reply: FastifyReply, name: string, extra: Record<string, unknown> = {}) => {
    const job = await s.scheduler.get(name);
    return render(req, reply, 'pages/jobs/edit.eta', { title: tr(req).t('jobs.edit.title', { name: job.name }), job, values: { cron: job.cron, active: job.active }, ...extra });
  };
  app.get('/jobs/:name', { preHandler: requireUser }, async (req, reply) => edit(req, reply, (req.params as { name: string }).name));
  app.post('/jobs/:name', { preHandler: requireAdmin }, async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const b = req.body as Body;
    const values = { cron: str(b, 'cron'), active: bool(b, 'active') };
    return formAction(reply, {
      act: () => s.scheduler.update(name, values),
      done: () => ({ to: '/admin/jobs', flash: tr(req).t('jobs.flash.saved', { name }) }),
      retry: (fe) => edit(req, reply, name, { values, ...fe }),
    });
  });
  app.post('/jobs/:name/run', { preHandler: requireAdmin }, async (req, reply) => {
    const name = (req.params as { name: string }).name;
    return formAction(reply, {
      act: () => s.scheduler.runNow(name),
      done: (r) => ({
        to: '/admin/jobs', kind: r.ok ? 'ok' : 'error',
        flash: r.ok ? tr(req).t('jobs.flash.ran', { name }) : tr(req).t('jobs.flash.failed', { name, error: String(r.error) }),
      }),
      retry: (fe) => back(reply, '/admin/jobs', fe.error),
    });
  });
}
