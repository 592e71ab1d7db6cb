/*
 * The threading ladder (pure, no I/O): which case a message joins and the rung that decided it.
 * (1) a verified per-case reply address, (2) In-Reply-To/References naming a Message-ID we sent
 * or received (or one of ours carrying a signed case token), (3) a `[#N]` subject tag, trusted
 * only from an address already on that case; otherwise a new case.
 */

export type Rung = 'reply-address' | 'references' | 'subject-tag' | 'new';

export interface LadderInput {
  /** Case ids named by verified reply addresses among the recipients (checked at RCPT). */
  replyAddressCases: number[];
  /** Case ids found for the referenced Message-IDs, in the order they were referenced (newest last). */
  referencedCases: number[];
  /** The `[#N]` numbers in the subject. */
  subjectTags: number[];
  /** For each tagged case: whether the sender (From) is a participant. */
  senderOnCase: (caseId: number) => boolean;
  /** Whether a case exists (a tag for a missing case is ignored). */
  exists: (caseId: number) => boolean;
}

export type LadderDecision = { rung: Exclude<Rung, 'new'>; caseId: number } | { rung: 'new'; caseId: null; ignoredTag?: number };

export function decideThread(i: LadderInput): LadderDecision {
  const byAddr = i.replyAddressCases.find((id) => i.exists(id));
  if (byAddr !== undefined) return { rung: 'reply-address', caseId: byAddr };
  // The newest reference is the nearest ancestor: In-Reply-To, then References from the end.
  for (let k = i.referencedCases.length - 1; k >= 0; k--) {
    const id = i.referencedCases[k]!;
    if (i.exists(id)) return { rung: 'references', caseId: id };
  }
  let ignored: number | undefined;
  for (const n of i.subjectTags) {
    if (!i.exists(n)) continue;
    if (i.senderOnCase(n)) return { rung: 'subject-tag', caseId: n };
    ignored ??= n;
  }
  return ignored === undefined ? { rung: 'new', caseId: null } : { rung: 'new', caseId: null, ignoredTag: ignored };
}

/** `[#123]` tags in a subject (any position: forwarded and edited subjects keep them). */
export function subjectTags(subject: string | null | undefined): number[] {
  const out: number[] = [];
  for (const m of (subject ?? '').matchAll(/\[#(\d{1,9})\]/g)) {
    const n = Number(m[1]);
    if (n > 0 && !out.includes(n)) out.push(n);
  }
  return out;
}

/** The subject with our tag added once, for replies from a case. */
export const taggedSubject = (subject: string, n: number) => (subjectTags(subject).includes(n) ? subject : `[#${n}] ${subject}`.trim());

/** Message-IDs of In-Reply-To and References, angle brackets removed, oldest first, In-Reply-To last. */
export function referencedIds(inReplyTo: string | null | undefined, references: string | null | undefined): string[] {
  const ids = (v: string | null | undefined) => [...(v ?? '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  const refs = ids(references), irt = ids(inReplyTo);
  // Outlook without References still sends In-Reply-To; a bare id without brackets is taken too.
  if (!irt.length && inReplyTo && /^[^\s<>]+@[^\s<>]+$/.test(inReplyTo.trim())) irt.push(inReplyTo.trim());
  const out: string[] = [];
  for (const id of [...refs, ...irt]) { const x = id.slice(0, 191); const j = out.indexOf(x); if (j >= 0) out.splice(j, 1); out.push(x); }
  return out;
}

export type ReopenPolicy = { mode: 'reopen' } | { mode: 'new-after'; days: number } | { mode: 'never' };

/** What a message joining a case does to its status: reopen, open a new linked case, or nothing. */
export function reopenAction(o: { status: string; closedAt: number | null; kind: string | undefined; policy: ReopenPolicy; now: number }): 'none' | 'reopen' | 'new-linked' {
  if (o.status !== 'closed') return 'none';
  // Out-of-office replies, bounces and other automatic mail attach but never reopen.
  if (o.kind !== undefined && o.kind !== 'normal') return 'none';
  if (o.policy.mode === 'never') return 'none';
  if (o.policy.mode === 'new-after' && o.closedAt !== null && o.now - o.closedAt > o.policy.days * 86_400_000) return 'new-linked';
  return 'reopen';
}
