/*
 * Opt-out tokens: a List-Unsubscribe link names one queue row with an HMAC-signed token, so
 * it unsubscribes exactly the person it was sent to and nobody else. Opting out blocks the
 * address for every later mailing (reason `unsubscribe`).
 */
import type { Ctx } from '../context.js';
import type { SuppressionService } from '../suppression/service.js';
import { verifyFields } from '../lib/tokens.js';
import { deriveKey } from '../lib/keys.js';
import { bounceEventsRepo } from '../db/repos/bounceEvents.js';

export function optOutService(s: { ctx: Ctx; suppressions: SuppressionService }) {
  const key = deriveKey(s.ctx.config.secret, 'optout');
  const rows = bounceEventsRepo(s.ctx.db);
  return {
    /** The address a token stands for, or null for a forged or unknown token. */
    async resolve(token: string): Promise<string | null> {
      const f = verifyFields(key, token, 1);
      if (!f) return null;
      return (await rows.queueById(f[0]!))?.recipient ?? null;
    },
    async unsubscribe(token: string): Promise<string | null> {
      const address = await this.resolve(token);
      if (!address) return null;
      await s.suppressions.block(address, { source: 'optout', reason: 'unsubscribe' });
      s.ctx.log.child({ mod: 'optout' }).info({ evt: 'optout.unsubscribed' }, 'recipient unsubscribed');
      return address;
    },
  };
}
