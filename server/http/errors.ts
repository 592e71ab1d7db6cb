/*
 * Maps every error to the client's language: `{error:{code,message}}` JSON for the API
 * (5xx details hidden and logged), an HTML error page for the admin UI. An AppError that
 * carries `retryAfterSec` (throttling) adds a Retry-After header.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../errors.js';

export const isApiRequest = (req: FastifyRequest) => req.url.startsWith('/api/') || (req.headers.accept ?? '').startsWith('application/json');

export function apiError(reply: FastifyReply, status: number, code: string, message: string, fields?: unknown) {
  return reply.status(status).type('application/json').send({ error: { code, message, ...(fields ? { fields } : {}) } });
}

export function installErrorHandlers(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let status = 500, code = 'internal', message = 'Internal server error';
    let fields: unknown;
    if (isAppError(err)) {
      status = err.status; code = err.code; message = err.message; fields = err.fields;
      const retry = (err as { retryAfterSec?: unknown }).retryAfterSec;
      if (typeof retry === 'number') reply.header('retry-after', String(retry));
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413; code = 'payload_too_large'; message = 'The request body is too large for this route';
    } else if (err.validation) {
      status = 400; code = 'validation_failed';
      message = err.message;
      fields = err.validation.map((v) => ({ field: (v.instancePath || (v.params as { missingProperty?: string })?.missingProperty || '').replace(/^\//, '').replace(/\//g, '.'), message: v.message ?? 'invalid' }));
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode; code = err.code ? String(err.code).toLowerCase().replace(/^fst_err_/, '') : 'bad_request'; message = err.message;
    }
    if (status >= 500) {
      req.log.error({ evt: 'http.error', err }, 'request failed');
      // Even our own 5xx messages may carry paths or driver text: clients get the code only.
      message = status === 503 ? 'Service temporarily unavailable' : 'Internal server error';
      fields = undefined;
    }
    if (isApiRequest(req)) return apiError(reply, status, code, message, fields);
    return reply.status(status).type('text/html').send(errorPage(status, message));
  });
  app.setNotFoundHandler((req, reply) => {
    if (isApiRequest(req)) return apiError(reply, 404, 'not_found', `No route ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).type('text/html').send(errorPage(404, 'Page not found'));
  });
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function errorPage(status: number, message: string) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} · Postern</title><link rel="stylesheet" href="/admin/static/app.css"></head>` +
    `<body><main class="narrow"><h1>${status}</h1><p>${esc(message)}</p><p><a href="/admin">Back to Postern</a></p></main></body></html>`;
}
