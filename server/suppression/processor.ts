/*
 * Bounce processing for an inbound message the pipeline detected as a bounce or complaint:
 * classify it, find the outbound rows it is provably about (the signed VERP address it
 * arrived at, else signed tokens of ours in the returned message), merge one bounce event
 * per (row, recipient, source), and apply the policy. Reports without such evidence are
 * kept as unmatched events and block nobody. Sender-side refusals go on the account.
 */
import type { Ctx } from '../context.js';
import type { SuppressionService } from './service.js';
import type { Directory } from '../inbound/directory.js';
import { classifyMessage, type ClassifiedMessage } from '../bounces/classify.js';
import { parseMessage, type Part } from '../lib/mime.js';
import { bounceEventsRepo, type QueueRef } from '../db/repos/bounceEvents.js';
import { accountsRepo } from '../db/repos/accounts.js';
import { parseVerpAddress } from '../lib/verp.js';
import { verifyFields } from '../lib/tokens.js';
import { deriveKey } from '../lib/keys.js';
import { returnedFields, signedRowIds, type TokenVerifiers } from './evidence.js';

export interface BounceMessage {
  inboundId: number;
  raw: Buffer;
  /** Outbound queue row ids decoded from the VERP addresses this message was sent to. */
  verpQueueIds: number[];
  /** The pipeline's classification of this message, so it is not classified twice. */
  classified?: ClassifiedMessage;
  /** The message already parsed, when the caller has it. */
  root?: Part;
}
export interface BounceOutcome { kind: string; events: number; blocked: string[]; unmatched: number }

async function verifiers(s: BounceDeps): Promise<TokenVerifiers> {
  const verp = { key: deriveKey(s.ctx.config.secret, 'verp'), prefix: s.ctx.config.outbound.verpPrefix, bounceDomains: await s.directory.bounceDomains() };
  const optout = deriveKey(s.ctx.config.secret, 'optout');
  return {
    verp: (a) => { const r = parseVerpAddress(verp, a); return r.ok ? r.id : null; },
    optout: (tok) => verifyFields(optout, tok, 1)?.[0] ?? null,
  };
}

/**
 * The rows a report is provably about. The VERP address it was delivered to wins (the
 * directory verified it at RCPT); otherwise signed tokens in the returned message. A token
 * names one row, so one recipient: nothing else in a report can name whom to block.
 */
async function evidenceRows(s: BounceDeps, m: BounceMessage, c: ClassifiedMessage): Promise<QueueRef[]> {
  const events = bounceEventsRepo(s.ctx.db);
  let ids = m.verpQueueIds;
  if (!ids.length) ids = signedRowIds(returnedFields(m.root ?? parseMessage(m.raw), c.original), await verifiers(s)).slice(0, 20);
  return (await Promise.all(ids.map((id) => events.queueById(id)))).filter((r) => r !== undefined);
}

/** The row a reported address belongs to: the one mailed to it, or the only one there is (a forwarded address). */
const rowFor = (rows: QueueRef[], reported: Array<string | null | undefined>) =>
  rows.find((v) => reported.includes(v.recipient.toLowerCase())) ?? (rows.length === 1 ? rows[0] : undefined);

/** What bounce processing uses: the context, the suppression list and the bounce domains (to verify tokens). */
export interface BounceDeps { ctx: Ctx; suppressions: SuppressionService; directory: Pick<Directory, 'bounceDomains'> }

export async function processBounceMessage(s: BounceDeps, m: BounceMessage): Promise<BounceOutcome> {
  const events = bounceEventsRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'suppression' });
  const now = s.ctx.clock.now();
  const c = m.classified ?? classifyMessage(m.raw, { root: m.root });
  const out: BounceOutcome = { kind: c.kind, events: 0, blocked: [], unmatched: 0 };
  if (c.kind !== 'bounce' && c.kind !== 'complaint') return out; // auto-replies, notifications: never bounces
  const rows = await evidenceRows(s, m, c);

  if (c.kind === 'complaint') {
    const row = rowFor(rows, c.feedback?.recipients ?? []);
    const address = (row?.recipient ?? c.feedback?.recipient ?? '').toLowerCase();
    if (!row) {
      out.unmatched++;
      log.info({ evt: 'bounce.unmatched', inboundId: m.inboundId, source: 'arf', reported: address || null }, 'complaint without evidence of our mail: kept, nobody blocked');
    }
    if (!address) return out;
    await events.upsert({ queue_id: row?.id ?? null, recipient: address, source: 'arf', status: null, action: null, class: 'none', reason: 'feedback', side: 'recipient', reply_code: null, diagnostic: c.feedback?.type ?? null, inbound_id: m.inboundId, account_id: row?.account_id ?? null, at: now });
    out.events++;
    // A reported recipient alone is what a forger writes: only a proven row blocks.
    if (row && c.feedback?.effect === 'suppress-recipient') {
      await s.suppressions.recordComplaint({ address, feedbackType: c.feedback.type, inboundId: m.inboundId, queueId: row.id });
      out.blocked.push(address);
    }
    return out;
  }

  for (const r of c.recipients) {
    // The row says exactly whom we mailed (a DSN may name a forwarded address).
    const row = rowFor(rows, [r.recipient]);
    const address = (row?.recipient ?? r.recipient).toLowerCase();
    if (!row) {
      out.unmatched++;
      log.info({ evt: 'bounce.unmatched', inboundId: m.inboundId, source: 'dsn', reported: address }, 'bounce without evidence of our mail: kept, nobody blocked');
    }
    const ev = await events.upsert({
      queue_id: row?.id ?? null, recipient: address, source: 'dsn', status: r.status, action: r.action, class: r.class, reason: r.reason,
      side: r.side, reply_code: r.replyCode ? Number(r.replyCode) : null, diagnostic: r.diagnostic?.slice(0, 4000) ?? null,
      inbound_id: m.inboundId, account_id: row?.account_id ?? null, at: now,
    });
    out.events++;
    if (!ev.created) continue; // the same DSN again: counted once
    if (!row) continue; // only mail we provably sent can bounce, or count against an account
    if (r.side === 'sender') {
      if (row.account_id) await accountsRepo(s.ctx.db).noteRefusal(row.account_id, `${r.reason} (${r.status}): ${r.diagnostic ?? ''}`, now);
      continue;
    }
    const { blocked } = await s.suppressions.recordBounce({ address, class: r.class, reason: r.reason, side: r.side, eventId: ev.id, inboundId: m.inboundId, queueId: row.id });
    if (blocked) out.blocked.push(address);
  }
  return out;
}
