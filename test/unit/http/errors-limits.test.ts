/*
 * Error mapping for limits (issue #9): an oversize body is a 413 `payload_too_large` in the
 * API's JSON shape, and an AppError carrying `retryAfterSec` (a throttle) adds Retry-After.
 */
import t from 'tap';
import Fastify from 'fastify';
import { installErrorHandlers } from '../../../server/http/errors.js';
import { LoginThrottled } from '../../../server/auth/throttle.js';

t.test('413 and Retry-After', async (t) => {
  const app = Fastify({ logger: false, bodyLimit: 100 });
  installErrorHandlers(app);
  app.post('/api/v1/echo', async (req) => req.body);
  app.get('/api/v1/throttled', async () => { throw new LoginThrottled(2500); });
  t.teardown(() => app.close());
  const big = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { x: 'y'.repeat(200) } });
  t.equal(big.statusCode, 413);
  t.same(big.json(), { error: { code: 'payload_too_large', message: 'The request body is too large for this route' } });
  const r = await app.inject({ url: '/api/v1/throttled' });
  t.equal(r.statusCode, 429);
  t.equal(r.headers['retry-after'], '3');
  t.equal(r.json().error.code, 'rate_limited');
});
