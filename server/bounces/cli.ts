/*
 * `postern bounce classify FILE…`: one JSON line per bounced recipient
 * {"file","recipient","status","action","class","reason"}; a non-bounce gives one line with
 * class "none" per person it concerns (complainers, the auto-replier).
 */
import { readFile } from 'node:fs/promises';
import { classifyMessage } from './classify.js';

const NONE_REASON: Record<string, string | null> = { complaint: 'feedback', 'auto-reply': 'vacation', 'delivery-notification': 'delivered', 'challenge-response': 'challenge', normal: null };

export async function bounceClassifyCommand(files: string[], out: NodeJS.WritableStream): Promise<number> {
  let code = 0;
  for (const file of files) {
    let raw: Buffer;
    try { raw = await readFile(file); } catch (e) {
      out.write(`${JSON.stringify({ file, error: (e as Error).message })}\n`);
      code = 1;
      continue;
    }
    const c = classifyMessage(raw);
    if (c.kind === 'bounce' && c.recipients.length) {
      for (const r of c.recipients) out.write(`${JSON.stringify({ file, recipient: r.recipient, status: r.status, action: r.action, class: r.class, reason: r.reason, replycode: r.replyCode, side: r.side })}\n`);
      continue;
    }
    const who = c.kind === 'complaint' ? (c.feedback?.recipients.length ? c.feedback.recipients : [null]) : [c.about ?? null];
    for (const recipient of who) {
      out.write(`${JSON.stringify({ file, recipient, status: null, action: null, class: 'none', reason: NONE_REASON[c.kind] ?? null, kind: c.kind, ...(c.feedback ? { feedback_type: c.feedback.type, effect: c.feedback.effect } : {}) })}\n`);
    }
  }
  return code;
}
