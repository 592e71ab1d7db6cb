/*
 * Header field values of a campaign message: RFC 2047 encoded words (B or Q, whichever is
 * shorter, never splitting a character), display-name phrases (RFC 5322 atoms, quoted
 * strings or encoded words), folding within 78 characters, and the RFC 5322 date. Pure.
 */

const FOLD = 78;
/** An encoded word is at most 75 characters (RFC 2047 §2); "=?UTF-8?B?" + "?=" is 12 of them. */
const WORD_MAX = 75;
const WORD_OVERHEAD = 12;

/** Q in a phrase allows only these literally (RFC 2047 §5 (3)); the same set is safe in a Subject. */
const Q_LITERAL = /[A-Za-z0-9!*+\-/]/;

const qChar = (ch: string) => {
  if (ch === ' ') return '_';
  if (ch.length === 1 && Q_LITERAL.test(ch)) return ch;
  let s = '';
  for (const b of Buffer.from(ch, 'utf8')) s += `=${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  return s;
};

/**
 * `text` as encoded words joined by folding whitespace (CRLF SP); the first word fits in
 * `firstRoom` characters, the others in a continuation line. Whitespace between encoded words
 * is dropped by readers, so splitting anywhere between characters loses nothing.
 */
export function encodeWords(text: string, firstRoom: number): string {
  const chars = Array.from(text);
  const bytes = Buffer.byteLength(text, 'utf8');
  const qLen = chars.reduce((n, ch) => n + qChar(ch).length, 0);
  // Q keeps mostly-ASCII text readable in raw form; B when it is clearly shorter.
  const useQ = qLen <= Math.ceil(bytes / 3) * 6;
  const words: string[] = [];
  let room = Math.min(firstRoom, WORD_MAX) - WORD_OVERHEAD;
  if (useQ) {
    let cur = '';
    for (const ch of chars) {
      const q = qChar(ch);
      if (cur && cur.length + q.length > room) { words.push(`=?UTF-8?Q?${cur}?=`); cur = ''; room = WORD_MAX - WORD_OVERHEAD; }
      cur += q;
    }
    words.push(`=?UTF-8?Q?${cur}?=`);
  } else {
    let cur: string[] = [];
    let curBytes = 0;
    for (const ch of chars) {
      const n = Buffer.byteLength(ch, 'utf8');
      if (cur.length && Math.ceil((curBytes + n) / 3) * 4 > room) {
        words.push(`=?UTF-8?B?${Buffer.from(cur.join(''), 'utf8').toString('base64')}?=`);
        cur = []; curBytes = 0; room = WORD_MAX - WORD_OVERHEAD;
      }
      cur.push(ch); curBytes += n;
    }
    words.push(`=?UTF-8?B?${Buffer.from(cur.join(''), 'utf8').toString('base64')}?=`);
  }
  return words.join('\r\n ');
}

/** Printable ASCII that no reader could take for an encoded word. */
const plainAscii = (s: string) => /^[\x20-\x7e]*$/.test(s) && !s.includes('=?');

/**
 * An unstructured value (Subject) after `name: `, folded before a space to stay within 78
 * characters; encoded words when it is not plain ASCII or has a word too long to fold.
 */
export function unstructured(name: string, value: string): string {
  const prefix = name.length + 2;
  if (plainAscii(value)) {
    const folded = foldAtSpaces(value, prefix);
    if (folded !== null) return folded;
  }
  return encodeWords(value, FOLD - prefix);
}

/** `value` with CRLF inserted before spaces so every line is ≤ 78 (the first after `prefix` characters), or null when a word is too long. */
function foldAtSpaces(value: string, prefix: number): string | null {
  if (prefix + value.length <= FOLD) return value;
  const lines: string[] = [];
  let rest = value;
  let room = FOLD - prefix;
  while (rest.length > room) {
    // Break before the last space that leaves this line within its room (and the line not empty).
    const at = rest.lastIndexOf(' ', room);
    if (at <= 0) return null;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
    room = FOLD;
  }
  lines.push(rest);
  return lines.join('\r\n');
}

const ATOM_OR_SPACE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

/** A display name as an RFC 5322 phrase: as is, quoted when it has specials, encoded words when not ASCII. */
export function phrase(name: string, room: number): string {
  if (ATOM_OR_SPACE.test(name) && !name.includes('=?') && !/^ | $| {2}/.test(name)) return name;
  if (plainAscii(name)) return `"${name.replace(/["\\]/g, '\\$&')}"`;
  return encodeWords(name, room);
}

/** `Name <address>` or the bare address; the name encoded as a phrase. */
export function mailbox(name: string | undefined, address: string, prefix: number): string {
  if (!name) return address;
  return `${phrase(name, FOLD - prefix)} <${address}>`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** RFC 5322 date-time in UTC: `Tue, 04 Mar 2025 09:05:00 +0000`. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError('invalid date');
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} `
    + `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
