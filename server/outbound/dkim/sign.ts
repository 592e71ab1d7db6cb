/*
 * A DKIM signature (RFC 6376, rsa-sha256, relaxed/relaxed) that oversigns: each identity
 * header (From, Sender, Reply-To, Subject…) is listed in h= once more than the message has
 * it, so a copy added later, above or below, breaks the signature (§8.15). nodemailer's
 * signer lists each name once and signs only its last copy, so it cannot do this.
 */
import { createHash, sign as rsaSign, type KeyObject } from 'node:crypto';
import { foldLines } from 'nodemailer/lib/mime-funcs';

export interface DkimKeyRef { domainName: string; keySelector: string; privateKey: KeyObject }

// nodemailer's default list (RFC 4871 §5.5 and List-Unsubscribe-Post, RFC 8058).
const SIGNED = ('from:sender:reply-to:subject:date:message-id:to:cc:mime-version:content-type:content-transfer-encoding:content-id:'
  + 'content-description:resent-date:resent-from:resent-sender:resent-to:resent-cc:resent-message-id:in-reply-to:references:'
  + 'list-id:list-help:list-unsubscribe:list-unsubscribe-post:list-subscribe:list-post:list-owner:list-archive').split(':');
// What a reader trusts the message by; listed even when absent, so none can be added.
const OVERSIGNED = new Set(['from', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'to', 'cc', 'list-unsubscribe', 'list-unsubscribe-post']);

/** Relaxed header canonicalization (§3.4.2) of a whole field line, "name: value" (folded or not). */
const relaxedField = (name: string, field: string) =>
  `${name}:${field.slice(field.indexOf(':') + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '')}`;

/** Relaxed body canonicalization (§3.4.4) hashed: no trailing space, runs of space as one, no trailing empty lines. */
function bodyHash(body: Buffer): string {
  let s = body.toString('latin1').replace(/[ \t]+(?=\r\n|$)/g, '').replace(/[ \t]+/g, ' ').replace(/(?:\r\n)+$/, '');
  if (s) s += '\r\n';
  return createHash('sha256').update(s, 'latin1').digest('base64');
}

/** The message with a DKIM-Signature field in front. */
export function dkimSign(raw: Buffer, k: DkimKeyRef): Buffer {
  const sep = raw.indexOf('\r\n\r\n');
  const headEnd = sep >= 0 ? sep + 2 : raw.length;
  const head = raw.toString('latin1', 0, headEnd);
  // Field lines with their folded continuations, bottom-up per name: §5.4.2 signs the last copy first.
  const byName = new Map<string, string[]>();
  for (const field of head.split(/\r\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    (byName.get(name) ?? byName.set(name, []).get(name)!).unshift(field);
  }
  const names: string[] = [];
  let signedHeaders = '';
  for (const name of SIGNED) {
    const copies = byName.get(name) ?? [];
    for (const field of copies) { names.push(name); signedHeaders += `${relaxedField(name, field)}\r\n`; }
    // An h= entry with no copy left stands for an empty one (§5.4.2): adding one changes the hash.
    if (OVERSIGNED.has(name)) names.push(name);
  }
  const tags = `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${k.domainName}; q=dns/txt; s=${k.keySelector}; bh=${bodyHash(raw.subarray(sep >= 0 ? sep + 4 : raw.length))}; h=${names.join(':')}`;
  const header = `${foldLines(`DKIM-Signature: ${tags}`, 76)};\r\n b=`;
  const signature = rsaSign('sha256', Buffer.from(signedHeaders + relaxedField('dkim-signature', header), 'latin1'), k.privateKey).toString('base64');
  return Buffer.concat([Buffer.from(`${header}${signature.replace(/(^.{73}|.{75}(?!$))/g, '$&\r\n ')}\r\n`, 'latin1'), raw]);
}
