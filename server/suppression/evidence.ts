/*
 * Evidence that a report is about mail we sent, as a pure function: the signed tokens of
 * ours (VERP return paths, opt-out tokens) found in the header fields of the message a
 * DSN or ARF report returns. Only a signed token counts: queue ids, Message-IDs and
 * reported recipients can be written by anyone, so they are no evidence. No I/O: the
 * caller passes the verifiers (HMAC keys, bounce domains).
 */
import { parseHeaders, walk, type Part } from '../lib/mime.js';
import { ADDR_RE, type OriginalMessage } from '../bounces/dsn.js';

/** Each returns the queue row id a signed token names, or null for anything not ours. */
export interface TokenVerifiers { verp(address: string): number | null; optout(token: string): number | null }

const HEADER_PARTS = new Set(['text/rfc822-headers', 'text/rfc822-header', 'message/rfc822-headers', 'text/global-headers']);
/** Our List-Unsubscribe carries the opt-out token in the https link and the mailto local part. */
const OPTOUT_RE = /\/u\/([A-Za-z0-9_-]{16,200})|unsubscribe\+([A-Za-z0-9_-]{16,200})@/g;

/**
 * Every header field of every returned message: message/rfc822 parts (nested ones too),
 * headers-only parts, and the inline copy a text bounce quotes (found by the classifier).
 * All fields, not just the first of each name: MTAs put the envelope sender in
 * Return-Path, Received (envelope-from), X-Envelope-From and others, in any order.
 */
export function returnedFields(root: Part, original?: OriginalMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const p of walk(root)) {
    if (p === root) continue;
    if ((p.contentType === 'message/rfc822' || p.contentType === 'message/global') && p.parts[0]) out.push(...p.parts[0].headers.list);
    else if (HEADER_PARTS.has(p.contentType)) out.push(...parseHeaders(p.body.replace(/^\s*\n/, '').split(/\n[ \t]*\n/)[0] ?? '').list);
  }
  if (original) {
    out.push(...Object.entries(original.headers));
    if (original.returnPath) out.push(['return-path', original.returnPath]);
  }
  return out;
}

/** Queue row ids named by verified tokens in these fields, in order of appearance, each once. */
export function signedRowIds(fields: Array<[string, string]>, v: TokenVerifiers): number[] {
  const ids = new Set<number>();
  const seen = new Set<string>();
  const check = (candidate: string, verify: (x: string) => number | null) => {
    if (seen.has(candidate)) return;
    seen.add(candidate);
    const id = verify(candidate);
    if (id !== null) ids.add(id);
  };
  for (const [name, value] of fields) {
    for (const m of value.matchAll(ADDR_RE)) check(m[0], v.verp);
    if (name === 'list-unsubscribe') for (const m of value.matchAll(OPTOUT_RE)) check(m[1] ?? m[2]!, v.optout);
    if (seen.size > 1000) break; // hostile input: enough candidates looked at
  }
  return [...ids];
}
