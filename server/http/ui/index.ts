/*
 * The admin UI under /admin: session + CSRF plumbing, login/logout, then one plugin per
 * area. Every page except the login form requires a signed-in user.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { installSession } from './session.js';
import { loginUi } from './login.js';
import { dashboardUi, type CardSource } from './dashboard.js';
import type { MenuEntry } from './menu.js';
import { notFound } from '../../errors.js';
import { firstValues } from './forms.js';

export type UiPlugin = (app: FastifyInstance, s: Services) => void | Promise<void>;

/** The admin shell every page renders in: this app's menu and dashboard cards (no module globals). */
export interface AdminShell { menu: MenuEntry[]; cards: CardSource[] }
declare module 'fastify' {
  interface FastifyInstance { adminShell: AdminShell }
}

export async function uiRoutes(app: FastifyInstance, s: Services, o: { plugins?: UiPlugin[]; menu?: MenuEntry[]; cards?: CardSource[] } = {}) {
  app.decorate('adminShell', { menu: [{ area: 'overview', order: 0, href: '/admin', label: 'menu.dashboard' }, ...(o.menu ?? [])], cards: o.cards ?? [] });
  // Pages are per-user and must never be cached by a shared proxy; framing is refused.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    if (!reply.getHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (!reply.getHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    }
    return payload;
  });
  // Every `:id` in the admin UI is a row id: anything else is a missing page, never a query
  // with NaN in it (MySQL answers that with an error, which would surface as a 500).
  app.addHook('preValidation', async (req) => {
    // Pages read one value per query parameter: `?q=a&q=b` is `?q=a`, never an array in a query.
    req.query = firstValues(req.query);
    const id = (req.params as Record<string, string> | undefined)?.id;
    if (id !== undefined && !/^[1-9]\d{0,15}$/.test(id)) throw notFound('Page');
  });
  installSession(app, s);
  for (const p of [loginUi, dashboardUi, ...(o.plugins ?? [])]) await p(app, s);
}
