/* Login and logout pages: throttled password login (429 + Retry-After) that starts a session cookie. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { isAppError } from '../../errors.js';
import { render, tr } from './render.js';
import { SID, cookieOpts, rotateCsrf } from './session.js';
import { LoginThrottled } from '../../auth/throttle.js';
import { BODY_LIMITS } from '../limits.js';

/** Only same-site relative paths are followed after login (no open redirect). */
const safeNext = (n: unknown) => (typeof n === 'string' && /^\/admin(\/|$|\?)/.test(n) && !n.startsWith('//') ? n : '/admin');

export function loginUi(app: FastifyInstance, s: Services) {
  app.get('/login', async (req, reply) => {
    if (req.user) return reply.redirect('/admin', 303);
    return render(req, reply, 'pages/login.eta', { title: tr(req).t('login.title'), next: safeNext((req.query as Record<string, string>).next), bare: true });
  });
  // Anyone can post here: a login form is a few hundred bytes, so a big body is refused
  // before it is read (it would otherwise be buffered and parsed on the event loop).
  app.post('/login', { bodyLimit: BODY_LIMITS.small }, async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const next = safeNext(b.next);
    try {
      const user = await s.auth.login(String(b.username ?? ''), String(b.password ?? ''), req.ip);
      const sid = await s.auth.startSession(user.id);
      reply.setCookie(SID, sid, cookieOpts(req, s, s.ctx.config.http.sessionTtlHours * 3600));
      rotateCsrf(req, reply, s);
      return reply.redirect(next, 303);
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e instanceof LoginThrottled) reply.header('retry-after', String(e.retryAfterSec));
      reply.status(e.status);
      return render(req, reply, 'pages/login.eta', { title: tr(req).t('login.title'), next, bare: true, error: e.message, values: { username: b.username ?? '' } });
    }
  });
  app.post('/logout', async (req, reply) => {
    await s.auth.endSession(req.cookies[SID]);
    reply.clearCookie(SID, { path: '/' });
    rotateCsrf(req, reply, s);
    return reply.redirect('/admin/login', 303);
  });
}
