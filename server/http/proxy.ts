/*
 * Which X-Forwarded-For entries to believe, as Fastify's `trustProxy`. Config says false,
 * a hop count, or trusted proxy addresses; Fastify itself refuses a bare number (it cannot
 * check the peer), so a hop count becomes a function trusting that many hops from the socket.
 */
import type { TrustProxy } from '../config.js';

export type FastifyTrust = false | string[] | ((address: string, hop: number) => boolean);

export function fastifyTrustProxy(tp: TrustProxy): FastifyTrust {
  if (typeof tp === 'number') {
    const hops = tp;
    // hop 0 is the socket peer; trusting it means taking the last X-Forwarded-For entry.
    return hops > 0 ? (_address, hop) => hop < hops : false;
  }
  return tp;
}
