/*
 * RFC 5321 mailbox parsing for a front door that must never relay: one strict parser that
 * rejects every routing trick (source routes, %-hack, bang paths, address literals, quoted
 * local parts hiding an @) and normalises the domain (lower case, IDNA, no trailing dot).
 */
import { domainToASCII } from 'node:url';

export type AddressProblem = 'syntax' | 'source-route' | 'percent-hack' | 'bang-path' | 'address-literal' | 'quoted-at' | 'too-long' | 'bad-domain';
export type ParsedMailbox =
  | { ok: true; local: string; domain: string; address: string }
  | { ok: false; code: AddressProblem; message: string };

const fail = (code: AddressProblem, message: string): ParsedMailbox => ({ ok: false, code, message });
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// RFC 5322 atext for dot-atom local parts.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export function normalizeDomain(raw: string): string | null {
  let d = raw.trim();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (!d || d.length > 253) return null;
  const ascii = domainToASCII(d.toLowerCase());
  if (!ascii) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  return ascii;
}

export function parseMailbox(input: string, opts: { smtputf8?: boolean } = {}): ParsedMailbox {
  let s = input.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  if (!s) return fail('syntax', 'empty address');
  if (/[\x00-\x1f\x7f]/.test(s)) return fail('syntax', 'control characters are not allowed');
  if (!opts.smtputf8 && /[^\x00-\x7f]/.test(s)) return fail('syntax', '8-bit addresses need SMTPUTF8');
  if (s.startsWith('@')) return fail('source-route', 'source routes are not accepted');
  if (Buffer.byteLength(s) > 254) return fail('too-long', 'address longer than 254 octets');
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return fail('syntax', 'an address needs local-part@domain');
  const local = s.slice(0, at), domainPart = s.slice(at + 1);
  if (domainPart.startsWith('[')) return fail('address-literal', 'address literals are not accepted');
  if (Buffer.byteLength(local) > 64) return fail('too-long', 'local part longer than 64 octets');
  if (local.startsWith('"')) {
    if (!local.endsWith('"') || local.length < 2) return fail('syntax', 'unterminated quoted local part');
    const inner = local.slice(1, -1);
    if (/[@%!]/.test(inner)) return fail('quoted-at', 'quoted local parts may not hide @, % or !');
    if (/(^|[^\\])"/.test(inner)) return fail('syntax', 'stray quote in local part');
  } else {
    if (local.includes('@')) return fail('syntax', 'more than one @');
    if (local.includes('%')) return fail('percent-hack', '% routing is not accepted');
    if (local.includes('!')) return fail('bang-path', 'bang paths are not accepted');
    if (!DOT_ATOM.test(local) && !(opts.smtputf8 && /^[^\s"(),:;<>@[\\\]]+$/.test(local))) return fail('syntax', 'invalid local part');
  }
  const domain = normalizeDomain(domainPart);
  if (!domain) return fail('bad-domain', `invalid domain "${domainPart}"`);
  return { ok: true, local, domain, address: `${local}@${domain}` };
}

/** Lower-cases the domain only: local parts are case-sensitive by the RFC, but we compare them case-insensitively. */
export function normalizeAddress(input: string): string | null {
  const p = parseMailbox(input);
  return p.ok ? p.address.toLowerCase() : null;
}

export const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Exact match after normalisation: no suffix match, so `ours.example.evil.test` is not `ours.example`. */
export function matchesDomainList(domain: string, list: Iterable<string>): boolean {
  const d = normalizeDomain(domain);
  if (!d) return false;
  for (const x of list) if (normalizeDomain(x) === d) return true;
  return false;
}
export const isSameDomain = (a: string, b: string) => { const x = normalizeDomain(a); return x !== null && x === normalizeDomain(b); };

/**
 * Whether a peer's IP (as a socket reports it) is on loopback: 127.0.0.0/8, ::1 and the
 * IPv4-mapped 127 range. Only these may use AUTH on the submission port without TLS.
 */
export function isLoopbackIp(ip: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip) || ip === '::1' || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(ip);
}
