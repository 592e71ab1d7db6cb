/* My settings: every signed-in user sets their own locale and time zone. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render } from './render.js';
import { requireUser } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';
import { LOCALES, messages, DEFAULT_LOCALE, DEFAULT_TIME_ZONE } from '../../i18n/catalog.js';

export function settingsUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireUser };
  const show = (req: Parameters<typeof render>[0], reply: Parameters<typeof render>[1], data: Record<string, unknown>) => {
    const v = (data.values ?? {}) as { locale?: string; timeZone?: string };
    const m = messages(v.locale, v.timeZone);
    return render(req, reply, 'pages/settings/form.eta', {
      title: m.t('settings.title'), locales: LOCALES, timeZones: Intl.supportedValuesOf('timeZone'),
      example: m.fmt.dateTime(s.ctx.clock.now()), ...data,
    });
  };
  app.get('/settings', pre, async (req, reply) => show(req, reply, {
    values: { locale: req.user!.locale ?? DEFAULT_LOCALE, timeZone: req.user!.time_zone ?? DEFAULT_TIME_ZONE },
  }));
  app.post('/settings', pre, async (req, reply) => {
    const b = req.body as Body;
    const input = { locale: str(b, 'locale'), timeZone: str(b, 'timeZone') };
    return formAction(reply, {
      act: () => s.prefs.save(req.user!.id, input),
      // The flash shows on the next page, already in the new locale.
      done: () => ({ to: '/admin/settings', flash: messages(input.locale).t('settings.saved') }),
      retry: (fe) => show(req, reply, { values: input, ...fe }),
    });
  });
}
