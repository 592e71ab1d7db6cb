/*
 * The mailbox's `autoReply` field as the API and config see it (`{subject, text}` or null) and
 * the columns that hold it (auto_reply, auto_reply_subject, auto_reply_body). Turning it off
 * keeps the texts, so switching it back on does not lose them. Pure.
 */

export interface AutoReplyTemplate { subject: string; text: string }

export function autoReplyOf(m: { auto_reply: boolean; auto_reply_subject: string | null; auto_reply_body: string | null }): AutoReplyTemplate | null {
  return m.auto_reply ? { subject: m.auto_reply_subject ?? '', text: m.auto_reply_body ?? '' } : null;
}

/** The service's input fields for an `autoReply` value; undefined leaves them as they are. */
export function autoReplyInput(v: AutoReplyTemplate | null | undefined): { autoReply?: boolean; autoReplySubject?: string | null; autoReplyBody?: string | null } {
  if (v === undefined) return {};
  if (v === null) return { autoReply: false };
  return { autoReply: true, autoReplySubject: v.subject, autoReplyBody: v.text };
}
