/*
 * Pure IMAP sync logic, no I/O: the Message-ID and dedupe key of a fetched message, compact
 * UID sets, the pages of a newest-first first sync, reconnect backoff, the account
 * state an error leads to, the test-connection stage an error belongs to, and the managed
 * upstream account an account's own SMTP side becomes.
 */
import { hash } from 'node:crypto';
import { nextDelayMs, type BackoffOptions } from '../lib/backoff.js';
import type { ImapAccountRow, ImapState } from '../db/repos/imap/accounts.js';
import type { ManagedSmtp } from '../outbound/accounts/service.js';

/** The header block of a raw message (everything before the first empty line), unfolded. */
export function headerBlock(raw: Buffer): string {
  const max = Math.min(raw.length, 256 * 1024);
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0 || end > max) { const lf = raw.indexOf('\n\n'); end = lf >= 0 && lf <= max ? lf : max; }
  return raw.subarray(0, end).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
}

/** One compiled pattern per header name (the IMAP sync asks two a message; see HeldInbound in session.ts for the figure). */
const headerPatterns = new Map<string, RegExp>();
export function headerValue(headers: string, name: string): string | null {
  let re = headerPatterns.get(name);
  if (!re) { re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im'); headerPatterns.set(name, re); }
  const m = re.exec(headers);
  return m ? m[1]!.trim() : null;
}

/** The Message-ID without its angle brackets, or null (from the header block, see headerBlock). */
export function messageIdOf(headers: string): string | null {
  const v = headerValue(headers, 'message-id');
  if (!v) return null;
  const m = /<([^>]*)>/.exec(v);
  return (m ? m[1]! : v).trim().slice(0, 500) || null;
}

/** The envelope sender as the last MTA recorded it (Return-Path), or ''. */
export function returnPathOf(headers: string): string {
  const v = headerValue(headers, 'return-path');
  const m = v ? /<([^>]*)>/.exec(v) : null;
  return (m ? m[1]! : v ?? '').trim().slice(0, 320);
}

/** The same message under another UID (a UIDVALIDITY change, a copy) has the same key: Message-ID and the bytes. */
export function dedupeKey(messageId: string | null, raw: Buffer): string {
  // One-shot hashes: no Hash object a message (createHash twice cost 4.6–11 µs a message, hash 4.1–4.8).
  return hash('sha256', `${messageId ?? ''}\u0000${hash('sha256', raw, 'hex')}`, 'hex');
}

/** A UID list as a compact IMAP sequence set: [1,2,3,7,9,10] → "1:3,7,9:10". */
export function seqSet(uids: readonly number[]): string {
  const s = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? String(s[i]) : `${s[i]}:${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** One page of a first sync: the UIDs to fetch (an IMAP set), which of what comes back belong to it, where the cursor goes once it is stored. */
export interface BackfillPage { set: string; floor: number; has(uid: number): boolean }

/**
 * The first sync's pages among `candidates` (the UIDs a SEARCH found below `low`, within the
 * age limit), newest first, `size` UIDs each. Sorted once: sorting all of them again for each
 * page was 42 ms of self time for two pages of 10,000 in a bench/imap profile (cold code; 1–2
 * ms once warm).
 */
export function* searchedPages(candidates: readonly number[], low: number, size: number): Generator<BackfillPage> {
  const uids = candidates.filter((u) => u < low).sort((a, b) => b - a);
  for (let i = 0; i < uids.length; i += size) {
    const page = uids.slice(i, i + size);
    const wanted = new Set(page);
    yield { set: seqSet(page), floor: page[page.length - 1]!, has: (u) => wanted.has(u) };
  }
}

/**
 * The first sync's pages of a dense folder without a SEARCH: UID ranges of `size` below `low`,
 * newest first, down to UID 1. Every UID below `low` is in exactly one range, so nothing is
 * skipped whatever the gaps; a gap only makes its page smaller.
 */
export function* rangePages(low: number, size: number): Generator<BackfillPage> {
  for (let top = low - 1; top >= 1; top -= size) {
    const floor = Math.max(1, top - size + 1);
    yield { set: floor === top ? String(top) : `${floor}:${top}`, floor, has: (u) => u >= floor && u <= top };
  }
}

/**
 * Whether the first sync pages by UID ranges rather than SEARCH (EXISTS messages under UIDs up
 * to `top`): at least half the UIDs still hold a message, so the ranges take at most twice the
 * pages a SEARCH would, each one round trip, and the SEARCH of all UIDs is saved (10,000 UIDs:
 * 8–60 ms before the first page could start, 1–8 ms of it parsing on the main thread).
 */
export const denseFolder = (exists: number, top: number) => top > 0 && exists * 2 >= top;

export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000, jitter: 0.5 };
export const reconnectDelay = (failures: number, o: BackoffOptions = RECONNECT_BACKOFF, random?: () => number) => nextDelayMs(failures, o, random);

export type Stage = 'dns' | 'tcp' | 'tls' | 'login' | 'select';
interface ErrLike { code?: unknown; message?: unknown; authenticationFailed?: unknown; serverResponseCode?: unknown; responseText?: unknown; response?: unknown }

/** What the server (or the TLS layer) said, in its own words. */
export function errorText(e: unknown): string {
  const x = (e ?? {}) as ErrLike;
  const text = typeof x.responseText === 'string' && x.responseText ? x.responseText : typeof x.response === 'string' && x.response ? x.response : String(x.message ?? e);
  const code = typeof x.code === 'string' && !text.includes(x.code) ? `${x.code}: ` : '';
  return `${code}${text}`.slice(0, 1000);
}

const TLS_RE = /ssl|tls|certificate|self[- ]signed|CERT_|DEPTH_ZERO|UNABLE_TO_VERIFY|ERR_SSL|HOSTNAME|altname/i;

/** The stage of a connection error (connect and login; select is named by the caller). */
export function stageOf(e: unknown): Exclude<Stage, 'select'> {
  const x = (e ?? {}) as ErrLike;
  const code = typeof x.code === 'string' ? x.code : '';
  const msg = String(x.message ?? '');
  if (x.authenticationFailed || x.serverResponseCode === 'AUTHENTICATIONFAILED' || /AUTHENTICATE|LOGIN|credentials|authentication/i.test(code + msg) && !TLS_RE.test(code + msg)) return 'login';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(msg)) return 'dns';
  if (TLS_RE.test(code) || TLS_RE.test(msg)) return 'tls';
  return 'tcp';
}

/** The account state after a failed connection attempt. */
export const stateAfterError = (e: unknown): ImapState => (stageOf(e) === 'login' ? 'auth_error' : 'connect_error');

const ADDRESS_RE = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/**
 * The managed upstream account of an account's own SMTP side, or null (no own SMTP server, or
 * no address to send as). It may send only as the account's address: its mailbox address, else
 * (a personal account without one) its login when that is an address. Inactive with the account.
 */
export function managedSmtpOf(a: Pick<ImapAccountRow, 'id' | 'name' | 'mailbox_address' | 'username' | 'smtp_account_id' | 'smtp_host' | 'smtp_port' | 'smtp_security'
  | 'smtp_username' | 'verify_cert' | 'active' | 'kind'>, smtpPassword: string | null): ManagedSmtp | null {
  if (a.smtp_account_id || !a.smtp_host || !a.smtp_port) return null;
  const login = a.username.trim().toLowerCase();
  const address = a.mailbox_address ?? (a.kind === 'personal' && ADDRESS_RE.test(login) ? login : null);
  if (!address) return null;
  return {
    name: `IMAP: ${a.name}`, host: a.smtp_host, port: a.smtp_port, security: a.smtp_security ?? 'starttls', username: a.smtp_username, password: smtpPassword,
    verifyCert: a.verify_cert, allowedFrom: [address], active: a.active,
  };
}
