/*
 * The threading headers of a reply sent from a case (pure, no I/O): In-Reply-To, References
 * (the thread's Message-IDs oldest first, capped to the first and the last N as RFC 5322 §3.6.4
 * practice), the subject `Re: [#N] topic` once, and Outlook's Thread-Topic and Thread-Index
 * (MS-OXOMSG PidTagConversationIndex: a 22-byte header plus 5 bytes per reply level).
 */
import { createHash } from 'node:crypto';

/** How many of the newest References are kept after the first one (the thread's root). */
export const REFERENCES_KEPT = 20;

/** Reply/forward prefixes of common clients (English, German, Nordic, Dutch, French, Spanish…), as one or more. */
const PREFIX = /^\s*((re|fwd?|aw|wg|sv|vs|antw|tr|rif|res|enc|odp|r)\s*(\[\d+\]|\(\d+\))?\s*:\s*)+/i;
const TAG = /\s*\[#\d{1,9}\]\s*/g;

/** The conversation topic: the subject without reply/forward prefixes and without our `[#N]` tags. */
export function threadTopic(subject: string | null | undefined): string {
  let s = (subject ?? '').replace(/[\r\n]+/g, ' ');
  // Prefixes and tags interleave ("Re: [#4] AW: Printer"): strip both until nothing changes.
  for (let prev = ''; prev !== s;) { prev = s; s = s.replace(TAG, ' ').replace(PREFIX, '').trim(); }
  return s.replace(/\s{2,}/g, ' ');
}

/** The reply's subject: `Re: [#N] topic`, with one `Re:` and one tag whatever the subject carried. */
export function replySubject(subject: string | null | undefined, caseNumber: number): string {
  const topic = threadTopic(subject);
  return `Re: [#${caseNumber}]${topic ? ` ${topic}` : ''}`.slice(0, 998);
}

const bracket = (id: string) => `<${id.trim().replace(/^<|>$/g, '')}>`;
const idsIn = (v: string | null | undefined) => [...(v ?? '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);

/**
 * In-Reply-To and References of a reply to `parentId`: the parent's own References, then the
 * thread's other known Message-IDs (oldest first), then the parent; each once. Capped to the
 * first (the root) and the last `kept`, the ones a client needs to place the reply.
 */
export function referencesFor(o: { parentId: string | null; parentReferences?: string | null; thread: string[]; kept?: number }):
{ inReplyTo: string | null; references: string[] } {
  const parent = o.parentId ? o.parentId.trim().replace(/^<|>$/g, '') : null;
  const seen = new Set<string>();
  const all: string[] = [];
  for (const id of [...idsIn(o.parentReferences), ...o.thread.map((x) => x.trim().replace(/^<|>$/g, '')), ...(parent ? [parent] : [])]) {
    if (!id || /[\s<>]/.test(id) || id === parent) continue;
    if (!seen.has(id)) { seen.add(id); all.push(id); }
  }
  if (parent) all.push(parent);
  const kept = o.kept ?? REFERENCES_KEPT;
  const capped = all.length > kept + 1 ? [all[0]!, ...all.slice(-kept)] : all;
  return { inReplyTo: parent ? bracket(parent) : null, references: capped.map(bracket) };
}

/* ---- Thread-Index (PidTagConversationIndex) ---- */

/** 100 ns ticks between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const EPOCH_DIFF = 116_444_736_000_000_000n;
const filetime = (ms: number) => BigInt(Math.floor(ms)) * 10_000n + EPOCH_DIFF;
const HEADER = 22, LEVEL = 5;

/** A stable conversation GUID for a case (the same for every reply that starts the index afresh). */
export function caseGuid(seed: string): Buffer {
  const g = createHash('sha256').update(`thread-index:${seed}`).digest().subarray(0, 16);
  // RFC 4122 version 4 / variant bits, so it reads as a well-formed GUID.
  g[6] = (g[6]! & 0x0f) | 0x40; g[8] = (g[8]! & 0x3f) | 0x80;
  return Buffer.from(g);
}

/** The 22-byte header: reserved 0x01, the 40 high bits of the FILETIME (big-endian), the GUID. */
export function threadIndexHeader(atMs: number, guid: Buffer): Buffer {
  if (guid.length !== 16) throw new RangeError('a conversation GUID has 16 bytes');
  const b = Buffer.alloc(HEADER);
  b[0] = 0x01;
  const ft = filetime(atMs) >> 24n;
  for (let i = 0; i < 5; i++) b[1 + i] = Number((ft >> BigInt(8 * (4 - i))) & 0xffn);
  guid.copy(b, 6);
  return b;
}

export interface DecodedThreadIndex { startMs: number; guid: string; levels: Array<{ deltaMs: number; atMs: number }> }

/** Reads a Thread-Index value; null when it is not base64 of 22 + 5k bytes with the reserved byte set. */
export function decodeThreadIndex(value: string | null | undefined): DecodedThreadIndex | null {
  const v = (value ?? '').replace(/\s+/g, '');
  if (!v || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return null;
  const b = Buffer.from(v, 'base64');
  if (b.length < HEADER || (b.length - HEADER) % LEVEL !== 0 || b[0] !== 0x01) return null;
  let ft = 0n;
  for (let i = 0; i < 5; i++) ft = (ft << 8n) | BigInt(b[1 + i]!);
  const start = ft << 24n;
  const startMs = Number((start - EPOCH_DIFF) / 10_000n);
  const levels: DecodedThreadIndex['levels'] = [];
  for (let o = HEADER; o < b.length; o += LEVEL) {
    const word = b.readUInt32BE(o);
    const dc = word >>> 31, delta = BigInt(word & 0x7fffffff);
    // DC 0: the delta's bits 18–48; DC 1: bits 23–53 (MS-OXOMSG 2.2.1.3).
    const ticks = dc ? delta << 23n : delta << 18n;
    const deltaMs = Number(ticks / 10_000n);
    levels.push({ deltaMs, atMs: startMs + deltaMs });
  }
  const g = b.subarray(6, 22).toString('hex');
  return { startMs, guid: `${g.slice(0, 8)}-${g.slice(8, 12)}-${g.slice(12, 16)}-${g.slice(16, 20)}-${g.slice(20)}`, levels };
}

/** One 5-byte response level for a reply at `atMs` in a conversation whose header time is `startTicks` (FILETIME). */
function level(startTicks: bigint, atMs: number, random: number): Buffer {
  let d = filetime(atMs) - startTicks;
  if (d < 0n) d = 0n;
  // Deltas under 2^49 ticks (~1.8 years) keep finer bits (DC 0), longer ones coarser bits (DC 1).
  const dc = d >= 1n << 49n ? 1 : 0;
  const bits = Number((dc ? d >> 23n : d >> 18n) & 0x7fffffffn);
  const b = Buffer.alloc(LEVEL);
  b.writeUInt32BE(((dc << 31) | bits) >>> 0, 0);
  b[4] = random & 0xff;
  return b;
}

/**
 * The Thread-Index of a reply at `atMs`: the parent's index with one response level appended
 * when the parent had a valid one, else a header for the case's thread (its start time and
 * GUID) with one level. Always 22 + 5k bytes, k ≥ 1.
 */
export function replyThreadIndex(o: { parent: string | null | undefined; threadStartMs: number; guid: Buffer; atMs: number; random?: number }): string {
  const clean = (o.parent ?? '').replace(/\s+/g, '');
  const parent = decodeThreadIndex(clean) ? Buffer.from(clean, 'base64') : threadIndexHeader(o.threadStartMs, o.guid);
  let start = 0n;
  for (let i = 0; i < 5; i++) start = (start << 8n) | BigInt(parent[1 + i]!);
  return Buffer.concat([parent, level(start << 24n, o.atMs, o.random ?? 0)]).toString('base64');
}

export interface ReplyHeaderInput {
  caseNumber: number; caseSubject: string; caseCreatedAt: number;
  /** The message answered (the last of the case's stream): its Message-ID, References and Thread-Index. */
  parent: { messageId: string | null; references?: string | null; threadIndex?: string | null } | null;
  /** Every Message-ID known on the case, oldest first. */
  thread: string[];
  /** The conversation GUID's seed when the index starts afresh (e.g. the case's signed token). */
  guidSeed: string;
  at: number; random?: number;
}

/** Everything a reply from a case carries for threading: subject and header fields. */
export function replyHeaders(i: ReplyHeaderInput): { subject: string; headers: Record<string, string> } {
  const r = referencesFor({ parentId: i.parent?.messageId ?? null, parentReferences: i.parent?.references ?? null, thread: i.thread });
  const topic = threadTopic(i.caseSubject);
  const headers: Record<string, string> = {};
  if (r.inReplyTo) headers['In-Reply-To'] = r.inReplyTo;
  if (r.references.length) headers.References = r.references.join(' ');
  if (topic) headers['Thread-Topic'] = topic;
  headers['Thread-Index'] = replyThreadIndex({ parent: i.parent?.threadIndex, threadStartMs: i.caseCreatedAt, guid: caseGuid(i.guidSeed), atMs: i.at, random: i.random });
  return { subject: replySubject(i.caseSubject, i.caseNumber), headers };
}
