/*
 * `postern bounce classify FILE…`: one JSON line per bounced recipient
 * {"file","recipient","status","action","class","reason"} (file = the basename); a non-bounce
 * gives one line with class "none" per person it concerns (complainers, the auto-replier).
 * An unreadable file gives a line with "error" and makes the exit code 1.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { classifyMessage } from './classify.js';

const NONE_REASON: Record<string, string | null> = { complaint: 'feedback', 'auto-reply': 'vacation', 'delivery-notification': 'delivered', 'challenge-response': 'challenge', normal: null, bounce: 'undefined' };

export async function bounceClassifyCommand(files: string[], out: NodeJS.WritableStream): Promise<number> {
  let code = 0;
  const line = (o: Record<string, unknown>) => out.write(`${JSON.stringify(o)}\n`);
  for (const path of files) {
    const file = basename(path);
    let raw: Buffer;
    try { raw = await readFile(path); } catch (e) {
      line({ file, recipient: null, status: null, action: null, class: null, reason: null, error: (e as Error).message });
      code = 1;
      continue;
    }
    const c = classifyMessage(raw);
    if (c.kind === 'bounce' && c.recipients.length) {
      for (const r of c.recipients) {
        line({ file, recipient: r.recipient, status: r.status, action: r.action, class: r.class, reason: r.reason, replycode: r.replyCode, side: r.side });
      }
      continue;
    }
    const who = c.kind === 'complaint' ? (c.feedback?.recipients.length ? c.feedback.recipients : [null]) : [c.about ?? null];
    for (const recipient of who) {
      line({ file, recipient, status: null, action: null, class: 'none', reason: NONE_REASON[c.kind] ?? null, kind: c.kind,
        ...(c.feedback ? { feedback_type: c.feedback.type, effect: c.feedback.effect } : {}) });
    }
  }
  return code;
}
