/*
 * Relay of a stored submission (outbound_messages.inbound_id): the app's own message is
 * sent as it came, never re-composed. This prepares those bytes: CRLF line endings only
 * (no bare CR or LF leaves), Bcc and any Return-Path removed (the envelope sender is our
 * VERP address; the receiving MTA writes Return-Path from it), a Message-ID added only
 * when the app sent none. DKIM is added by the delivery core's signer over these bytes.
 */
import { normalizeLineEndings } from '../../lib/headers.js';

export interface RawRelay { raw: Buffer; messageId: string; removed: string[] }

const DROP = new Set(['bcc', 'return-path']);

/** Splits at the first empty line; accepts LF-only input. */
function split(raw: Buffer): { head: string; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n'), lf = raw.indexOf('\n\n');
  const [at, len] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : lf >= 0 ? [lf, 2] : [raw.length, 0];
  return { head: raw.subarray(0, at).toString('latin1'), body: raw.subarray(at + len) };
}

/** Bare CR or LF → CRLF, byte-wise (8-bit bodies stay intact). */
export const toCrlf = normalizeLineEndings;

export function prepareRelayRaw(raw: Buffer, o: { messageIdDomain: string; newId: () => string }): RawRelay {
  const { head, body } = split(raw);
  // Unfold into logical header fields (a continuation line starts with WSP).
  const fields: string[] = [];
  for (const line of head.split(/\r\n|\r|\n/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += `\r\n${line}`;
    else if (line) fields.push(line);
  }
  const removed: string[] = [];
  const kept = fields.filter((f) => {
    const name = f.slice(0, f.indexOf(':')).trim().toLowerCase();
    if (DROP.has(name)) { removed.push(name); return false; }
    return true;
  });
  const midField = kept.find((f) => /^message-id\s*:/i.test(f));
  let messageId = midField ? midField.slice(midField.indexOf(':') + 1).trim() : '';
  if (!/^<[^<>\s]+@[^<>\s]+>$/.test(messageId)) {
    messageId = `<${o.newId()}@${o.messageIdDomain}>`;
    if (midField) kept.splice(kept.indexOf(midField), 1);
    kept.push(`Message-ID: ${messageId}`);
  }
  const out = Buffer.concat([Buffer.from(`${kept.join('\r\n')}\r\n\r\n`, 'latin1'), toCrlf(body)]);
  return { raw: out, messageId, removed };
}
