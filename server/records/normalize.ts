/*
 * The normal form of an email address, the key for dedupe, exclusion, opt-out, suppression and
 * record linking: trimmed, validated by the one mailbox parser (lib/addresses parseMailbox, with
 * SMTPUTF8), lower-cased, the domain in ASCII (IDNA/punycode, no trailing dot). It is exactly
 * the key the suppression list and the outbound queue use (parseMailbox's address, lower-cased).
 * Pure (a small memo of recent answers: CSV import asks for each address twice, once to report
 * the bad row by line, once in the records service).
 */
import { parseMailbox } from '../lib/addresses.js';

/**
 * Dots in an unquoted local part: none first, last or doubled (RFC 5321 dot-string). parseMailbox
 * lets such parts through with SMTPUTF8; no valid address has one, so they are refused here.
 */
const BAD_DOTS = /^\.|\.\.|\.$/;

function compute(raw: string): string | null {
  const p = parseMailbox(raw, { smtputf8: true });
  if (!p.ok) return null;
  if (p.local.charCodeAt(0) !== 34 /* " */ && BAD_DOTS.test(p.local)) return null;
  return p.address.toLowerCase();
}

// Two generations of MEMO answers each: bounded, and an answer lives for at least MEMO more calls.
const MEMO = 8192;
let recent = new Map<string, string | null>();
let older = new Map<string, string | null>();

/** `' John@Exämple.COM '` → `john@xn--exmple-cua.com`; null when it is not an address. */
export function normalizeEmail(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  if (raw.length > 512) return compute(raw); // not kept: the memo holds short strings only
  let n = recent.get(raw);
  if (n !== undefined) return n;
  n = older.get(raw);
  n ??= compute(raw);
  if (recent.size >= MEMO) { older = recent; recent = new Map(); }
  recent.set(raw, n);
  return n;
}
