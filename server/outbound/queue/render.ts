/*
 * What goes on the wire for a queued message: composed once per message (MIME ~0.8 ms,
 * DESIGN) and reused for every recipient row of it; only the envelope differs per row
 * (VERP return path); bulk mail is composed per recipient for its own unsubscribe link. A
 * stable Message-ID; List-Unsubscribe headers on bulk mail; a stored
 * submission is relayed as it came (line endings normalised, Bcc dropped).
 */
import { createHmac } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Services } from '../../services.js';
import { outboundQueueRepo } from '../../db/repos/outboundQueue.js';
import { inboundStoreRepo } from '../../db/repos/inboundStore.js';
import { normalizeLineEndings } from '../../lib/headers.js';
import { prepareRelayRaw } from '../render/raw.js';
import { makeVerpAddress } from '../../lib/verp.js';
import { deriveKey } from '../../lib/keys.js';
import { signFields } from '../../lib/tokens.js';

export interface Rendered { raw: Buffer; messageId: string; subject: string | null; fromDomain: string }

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();

export function createRenderer(s: Services) {
  const repo = outboundQueueRepo(s.ctx.db);
  const cache = new Map<number, Promise<Rendered>>();
  const verpKey = deriveKey(s.ctx.config.secret, 'verp');
  const optoutKey = deriveKey(s.ctx.config.secret, 'optout');
  const midKey = deriveKey(s.ctx.config.secret, 'message-id');

  async function compose(messageId: number, queueId: number): Promise<Rendered> {
    const m = await repo.message(messageId);
    const fromDomain = domainOf(m.from_addr);
    // Derived, not random: every render of a message — per recipient, on any node, on a retry — has the same Message-ID.
    const idPart = `pm${messageId}.${createHmac('sha256', midKey).update(String(messageId)).digest('hex').slice(0, 12)}`;
    const mid = `<${idPart}@${fromDomain}>`;
    if (m.inbound_id) {
      // A submission is relayed as the app wrote it (server/outbound/render/raw.ts).
      const relay = prepareRelayRaw(await inboundStoreRepo(s.ctx.db).readRaw(Number(m.inbound_id)), { messageIdDomain: fromDomain, newId: () => idPart });
      return { raw: relay.raw, messageId: relay.messageId, subject: m.subject, fromDomain };
    }
    const rows = await repo.recipientsOf(messageId);
    const headers: Record<string, string> = m.headers ? JSON.parse(m.headers) : {};
    if (m.bulk) {
      // One-click unsubscribe (RFC 8058): an https link that takes POST, and a mailto. The
      // token names this recipient's queue row, so bulk mail is composed per recipient.
      const token = signFields(optoutKey, [queueId]);
      headers['List-Unsubscribe'] = `<${s.ctx.config.publicUrl.replace(/\/$/, '')}/u/${token}>, <mailto:unsubscribe+${token}@${fromDomain}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    const attachments = (await repo.attachments(messageId)).map((a: any) => ({ filename: a.filename, contentType: a.content_type, content: Buffer.isBuffer(a.content) ? a.content : Buffer.from(a.content) }));
    const mail = new MailComposer({
      from: m.from_name ? { name: m.from_name, address: m.from_addr } : m.from_addr,
      to: rows.filter((r: any) => r.rcpt_kind === 'to').map((r: any) => r.recipient), cc: rows.filter((r: any) => r.rcpt_kind === 'cc').map((r: any) => r.recipient),
      replyTo: m.reply_to ?? undefined, subject: m.subject, html: m.html ?? undefined, text: m.text ?? undefined, messageId: mid, headers, attachments,
    });
    const raw: Buffer = await new Promise((res, rej) => mail.compile().build((e: Error | null, b: Buffer) => (e ? rej(e) : res(b))));
    return { raw: normalizeLineEndings(raw), messageId: mid, subject: m.subject, fromDomain };
  }

  return {
    /** Rows of one message rendered at the same moment share one composition (and one Message-ID). */
    render(messageId: number, queueId: number, bulk: boolean): Promise<Rendered> {
      if (bulk) return compose(messageId, queueId);
      const hit = cache.get(messageId);
      if (hit) return hit;
      const p = compose(messageId, queueId);
      p.catch(() => cache.delete(messageId));
      if (cache.size > 200) cache.delete(cache.keys().next().value!);
      cache.set(messageId, p);
      return p;
    },
    /** The envelope sender for one queue row: its VERP address on the bounce domain, if one is set up. */
    async envelopeFrom(queueId: number, fallback: string): Promise<string> {
      const bounce = (await s.directory.bounceDomains())[0];
      return bounce ? makeVerpAddress({ key: verpKey, prefix: s.ctx.config.outbound.verpPrefix, bounceDomain: bounce, id: queueId }) : fallback;
    },
  };
}
