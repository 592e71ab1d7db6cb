/*
 * The normal form of an email address, the key for dedupe, exclusion, opt-out, suppression and
 * record linking: trimmed, lower-cased, the domain in ASCII (IDNA/punycode). Pure.
 */
import { normalizeDomain } from '../lib/addresses.js';

const LOCAL = /^[^\s@<>()[\]\\,;:"]{1,64}$/;

/** `' John@Exämple.COM '` → `john@xn--exmple-cua.com`; null when it is not an address. */
export function normalizeEmail(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim().replace(/^<|>$/g, '');
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1 || s.length > 320) return null;
  const local = s.slice(0, at).toLowerCase();
  const domain = normalizeDomain(s.slice(at + 1));
  if (!domain || !LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  return `${local}@${domain}`;
}
