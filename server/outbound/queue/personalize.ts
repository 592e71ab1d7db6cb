/*
 * Per-recipient header lines spliced into a message composed once (pure). Each bulk copy
 * gets a To line with its recipient and its own one-click unsubscribe pair (RFC 8058): List-Unsubscribe with an https and a
 * mailto link, and List-Unsubscribe-Post. Lines are folded at the comma to stay within
 * RFC 5322's 78 characters where a link allows it.
 */

/** The two unsubscribe header lines (each ending CRLF). */
export function unsubscribeHeaders(https: string, mailto: string): string {
  if (/[\r\n]/.test(https + mailto)) throw new Error('header values must not contain CR or LF');
  const one = `List-Unsubscribe: <${https}>, <mailto:${mailto}>`;
  const value = one.length <= 78 ? one : `List-Unsubscribe: <${https}>,\r\n <mailto:${mailto}>`;
  return `${value}\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`;
}

/** A To line naming one recipient (an address the queue already validated). */
export function toHeader(address: string): string {
  if (/[\r\n<>,]/.test(address)) throw new Error('not a single address');
  return `To: ${address}\r\n`;
}

/** `raw` with `lines` (CRLF-terminated header lines) added at the end of its header block. */
export function insertHeaders(raw: Buffer, lines: string): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  const at = end < 0 ? raw.length : end + 2;
  const head = end < 0 && !raw.subarray(-2).equals(Buffer.from('\r\n')) ? `\r\n${lines}` : lines;
  return Buffer.concat([raw.subarray(0, at), Buffer.from(head, 'latin1'), raw.subarray(at)]);
}
