/*
 * The mailer status page (admins): every mail source with its state and a toggle, "test",
 * its settings and its mailer log; the scheduled jobs with "run now"; the queues. The
 * troubleshooting path on one page: test send → settings → job → log.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireAdmin, flash } from './session.js';
import { formAction, back } from './formAction.js';

const TO = '/admin/status';

export function statusUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  app.get('/status', pre, async (req, reply) => {
    const view = await s.status.overview();
    const groups = s.status.paths().map((path) => ({ path, rows: view.sources.filter((r) => r.path === path) }));
    return render(req, reply, 'pages/status/index.eta', { title: tr(req).t('status.title'), ...view, groups });
  });
  app.post('/status/:path/:id/:action', pre, async (req, reply) => {
    const { path, id, action } = req.params as { path: string; id: string; action: string };
    const { t } = tr(req);
    if (action === 'test') {
      const r = await s.status.test(path, Number(id));
      flash(reply, r.ok ? 'ok' : 'error', r.ok ? t('status.flash.testPassed', { message: r.message }) : t('status.flash.testFailed', { stage: r.stage, message: r.message }));
      return reply.redirect(TO, 303);
    }
    if (action !== 'enable' && action !== 'disable') return back(reply, TO, t('status.flash.unknownAction'));
    return formAction(reply, {
      act: () => s.status.setEnabled(path, Number(id), action === 'enable'),
      done: () => ({ to: TO, flash: t(action === 'enable' ? 'status.flash.enabled' : 'status.flash.disabled') }),
      retry: (fe) => back(reply, TO, fe.error),
    });
  });
  app.post('/status/jobs/:name/run', pre, async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const { t } = tr(req);
    return formAction(reply, {
      act: () => s.status.runJob(name),
      done: (r) => ({ to: TO, kind: r.ok ? 'ok' : 'error', flash: r.ok ? t('jobs.flash.ran', { name }) : t('jobs.flash.failed', { name, error: String(r.error) }) }),
      retry: (fe) => back(reply, TO, fe.error),
    });
  });
}
