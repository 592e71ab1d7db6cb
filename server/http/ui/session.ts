/*
 * Admin UI request plumbing: the session cookie (HttpOnly, SameSite=Lax, Secure behind TLS),
 * CSRF tokens bound to a per-browser cookie and to the session, rotated at login and logout
 * and checked on every state-changing request, flash messages, the `requireUser` /
 * `requireAdmin` guards, and no large body from anyone who is not signed in.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import type { User } from '../../db/repos/users.js';
import { AppError } from '../../errors.js';
import { deriveKey } from '../../lib/keys.js';
import { BODY_LIMITS } from '../limits.js';

export const SID = 'postern_sid';
const CSRF = 'postern_csrf';
const FLASH = 'postern_flash';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest { user: User | null; csrfToken: string }
}

export function isSecure(req: FastifyRequest, s: Services) {
  return req.protocol === 'https' || s.ctx.config.publicUrl.startsWith('https:');
}

export function cookieOpts(req: FastifyRequest, s: Services, maxAgeSec?: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: isSecure(req, s), ...(maxAgeSec ? { maxAge: maxAgeSec } : {}) };
}

const newCsrfSeed = () => randomBytes(24).toString('base64url');

/**
 * A new CSRF cookie: at login and logout, so a token seen before (say, planted through a
 * shared or fixated cookie) is worthless once the session changes.
 */
export function rotateCsrf(req: FastifyRequest, reply: FastifyReply, s: Services) {
  reply.setCookie(CSRF, newCsrfSeed(), cookieOpts(req, s));
}

export function installSession(app: FastifyInstance, s: Services) {
  const key = deriveKey(s.ctx.config.secret, 'csrf');
  // Bound to the session too: a token from another session (or from before this login)
  // does not verify, even with the same CSRF cookie.
  const tokenFor = (seed: string, sid: string) => createHmac('sha256', key).update(`${seed}\0${sid}`).digest('base64url');
  app.decorateRequest('user', null);
  app.decorateRequest('csrfToken', '');
  // The session is known before the body is read: an upload route (a large body limit)
  // turns away anyone not signed in without buffering what they send.
  app.addHook('onRequest', async (req, reply) => {
    req.user = await s.auth.sessionUser(req.cookies[SID]);
    if (!req.user && req.routeOptions.bodyLimit > BODY_LIMITS.default && !SAFE.has(req.method)) {
      reply.header('connection', 'close');
      return requireUser(req, reply);
    }
  });
  app.addHook('preHandler', async (req, reply) => {
    let seed = req.cookies[CSRF];
    if (!seed || !/^[A-Za-z0-9_-]{20,64}$/.test(seed)) {
      seed = newCsrfSeed();
      reply.setCookie(CSRF, seed, cookieOpts(req, s));
    }
    req.csrfToken = tokenFor(seed, req.user ? req.cookies[SID]! : '');
    if (!SAFE.has(req.method)) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const sent = String(body._csrf ?? req.headers['x-csrf-token'] ?? '');
      const a = Buffer.from(sent), b = Buffer.from(req.csrfToken);
      if (!req.cookies[CSRF] || a.length !== b.length || !timingSafeEqual(a, b)) {
        throw new AppError('csrf_failed', 'The form expired or came from another site. Reload the page and try again.');
      }
    }
  });
}

export function flash(reply: FastifyReply, kind: 'ok' | 'error', message: string) {
  reply.setCookie(FLASH, JSON.stringify({ kind, message }), { path: '/admin', httpOnly: true, sameSite: 'lax', signed: true });
}

export function takeFlash(req: FastifyRequest, reply: FastifyReply): { kind: string; message: string } | null {
  const raw = req.cookies[FLASH];
  if (!raw) return null;
  reply.clearCookie(FLASH, { path: '/admin' });
  const u = req.unsignCookie(raw);
  if (!u.valid || !u.value) return null;
  try { return JSON.parse(u.value) as { kind: string; message: string }; } catch { return null; }
}

export async function requireUser(req: FastifyRequest, reply: FastifyReply) {
  if (!req.user) {
    const next = encodeURIComponent(req.url);
    return reply.redirect(`/admin/login?next=${next}`, 303);
  }
}

export async function requireAdmin(req: FastifyRequest, reply: FastifyReply) {
  if (!req.user) return requireUser(req, reply);
  if (req.user.role !== 'admin') throw new AppError('forbidden', 'Only admins can do this');
}
