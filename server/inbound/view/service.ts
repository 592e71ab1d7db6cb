/*
 * What the inbound pages and API read of a stored message besides its row: the raw bytes
 * (whole or chunk by chunk) and its classified recipients. Adapters call this, never the
 * repository.
 */
import type { Ctx } from '../../context.js';
import { inboundStoreRepo } from '../../db/repos/inbound/store.js';

export type InboundView = ReturnType<typeof inboundViewService>;

export function inboundViewService(s: { ctx: Ctx }) {
  const store = inboundStoreRepo(s.ctx.db);
  return {
    /** The message as received (.eml). */
    readRaw: (id: number) => store.readRaw(id),
    /** The raw bytes in stored chunks (≤1 MiB each), for streaming. */
    rawChunks: (id: number) => store.rawChunks(id),
    recipients: (id: number) => store.recipients(id),
  };
}
