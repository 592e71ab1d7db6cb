/*
 * Submission relay source: mail an app submitted on the submission port (stored by the
 * SMTP listener as an inbound message with `relay` recipients) becomes one outbound
 * message (`source='submission'`, `inbound_id`) and one queue row per envelope recipient.
 * The delivery core relays the stored raw bytes as they are (adding DKIM and the VERP
 * Return-Path); nothing is re-composed. Unique keys `submission:<inbound id>:<rcpt>` make a
 * re-run of the pipeline step queue nothing twice.
 */
import type { EnqueueDeps, EnqueueFn, EnqueueResult } from '../enqueue.js';
import type { AccountsService } from '../accounts/service.js';
import { inboundStoreRepo } from '../../db/repos/inbound/store.js';
import { addressOf, fromAllowed } from '../compose/compose.js';

export type SubmissionRelay = ReturnType<typeof submissionRelay>;
export interface RelayDeps extends EnqueueDeps { accounts: Pick<AccountsService, 'senderAccounts'> }
export type RelayOutcome = { relayed: false; reason: string } | ({ relayed: true } & EnqueueResult);

/** From address and subject out of the header block (only when the pipeline did not parse them). */
async function headersOf(head: Buffer): Promise<{ from: string | null; subject: string }> {
  const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
  // mailparser (~7 MB of heap) loads on first use: only nodes relaying submissions need it.
  const { simpleParser } = await import('mailparser');
  const parsed = await simpleParser(end >= 0 ? head.subarray(0, end + 2) : head, {
    skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true,
  });
  const from = parsed.from?.value?.[0]?.address ?? null;
  return { from: from ? addressOf(from) : null, subject: parsed.subject ?? '' };
}

/** Reads stored chunks only until the header block ends (or 256 KB): the body is never loaded. */
async function headBytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks) {
    parts.push(c); n += c.length;
    const all = Buffer.concat(parts);
    if (all.indexOf('\r\n\r\n') >= 0 || all.indexOf('\n\n') >= 0 || n > 256 * 1024) return all;
  }
  return Buffer.concat(parts);
}

export function submissionRelay(s: RelayDeps, enqueue: EnqueueFn) {
  const store = inboundStoreRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'outbound.submission' });

  return {
    async relay(inboundId: number): Promise<RelayOutcome> {
      const m = await store.get(inboundId);
      if (!m || m.listener !== 'submission') return { relayed: false, reason: 'not a submission' };
      const rcpts = (await store.recipients(inboundId)).filter((r) => r.kind === 'relay').map((r) => r.address);
      if (!rcpts.length) return { relayed: false, reason: 'no relay recipients' };
      let from = m.from_addr ? addressOf(m.from_addr) : null;
      let subject = m.subject ?? null;
      if (!from || subject === null) {
        const h = await headersOf(await headBytes(store.rawChunks(inboundId)));
        from ??= h.from;
        subject ??= h.subject;
      }
      const sender = from ?? addressOf(String(m.mail_from ?? '')) ?? String(m.mail_from ?? '');
      // The account that may send as this From (the default account first), else the default.
      const accounts = (await s.accounts.senderAccounts()).filter((a) => a.active).sort((a, b) => Number(b.is_default) - Number(a.is_default));
      // An account that names this sender's domain or address beats one that allows anyone (like the sandbox).
      const account = accounts.find((a) => a.allowed_from.length > 0 && fromAllowed(sender, a.allowed_from))
        ?? accounts.find((a) => fromAllowed(sender, a.allowed_from)) ?? accounts[0];
      if (!account) return { relayed: false, reason: 'no active upstream account' };
      const r = await enqueue(s, {
        message: {
          source: 'submission', account_id: account.id, message_type_id: account.message_type_id, from_addr: sender.slice(0, 320), from_name: '',
          reply_to: null, subject: (subject ?? '').slice(0, 2000), html: null, text: null, headers: null, bulk: false, created_by: null,
          send_at: null,
          inbound_id: inboundId,
        },
        recipients: rcpts.map((address) => ({ address, kind: 'to' as const })),
        uniqueKeyPrefix: `submission:${inboundId}`,
      });
      log.info({ evt: 'outbound.submission_queued', inboundId, messageId: r.messageId, queued: r.queued, duplicates: r.duplicates, account: account.id },
        'submission queued for relay');
      return { relayed: true, ...r };
    },
  };
}
