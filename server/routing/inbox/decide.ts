/*
 * The inbox's pure part: which mailboxes a routed message lands in, and what each copy gets
 * from the filters that matched (folder, read, tags). A mailbox's filter decides for that
 * mailbox only; a global one for every mailbox. Also the normal forms of folder names and
 * tags, and the bulk actions. No I/O.
 */
import type { RoutingState } from '../../inbound/pipeline/steps.js';

export const FOLDER_MAX = 191;
export const TAG_MAX = 50;
export const TAGS_PER_ITEM = 20;
export const BULK_MAX = 500;
export const BULK_ACTIONS = ['read', 'unread', 'archive', 'unarchive', 'move', 'tag', 'untag'] as const;
export type BulkAction = typeof BULK_ACTIONS[number];

/** A recipient as stored: kind, its mailbox, and the case id of a case reply address. */
export interface RecipientIn { kind: string; mailbox_id: number | null; target_id: number | null }
/** A matched filter as stored: its scope (null: global) and its actions. */
export interface MatchedFilter { id: number; mailbox_id: number | null; actions: { folder?: string | null; markRead?: boolean; tags?: string[] } }
export interface Landing { mailboxId: number; folder: string | null; read: boolean; tags: string[] }

/** Recipient kinds that deliver to a mailbox's inbox (verp, postmaster and relay do not). */
const DELIVERING = new Set(['mailbox', 'catchall', 'case']);

/** A folder name as stored: trimmed, inner whitespace single, at most FOLDER_MAX; '' when nothing is left. */
export const folderName = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, FOLDER_MAX).trim();
/** A tag as stored: trimmed, lowercase (the same on both databases' collations), at most TAG_MAX. */
export const tagOf = (s: string): string => s.replace(/\s+/g, ' ').trim().toLowerCase().slice(0, TAG_MAX).trim();
export const tagsOf = (xs: readonly string[]): string[] => [...new Set(xs.map(tagOf).filter(Boolean))];

/** The mailboxes a message lands in, in recipient order: a case reply address lands in its case's mailbox. */
export function mailboxesOf(recipients: readonly RecipientIn[], caseMailbox: ReadonlyMap<number, number | null>): number[] {
  const out: number[] = [];
  for (const r of recipients) {
    if (!DELIVERING.has(r.kind)) continue;
    const id = r.kind === 'case' && r.target_id !== null ? caseMailbox.get(Number(r.target_id)) ?? r.mailbox_id : r.mailbox_id;
    if (id !== null && id !== undefined && !out.includes(Number(id))) out.push(Number(id));
  }
  return out;
}

/**
 * What each mailbox's copy gets. The filters' shared state (c.routing) folds every matched
 * filter for every mailbox; here each mailbox folds only the global ones and its own, in the
 * order they matched. When a matched filter is no longer stored (deleted since), the shared
 * state is used as it is.
 */
export function landings(mailboxIds: readonly number[], routing: RoutingState, matched: readonly MatchedFilter[]): Landing[] {
  const ids = routing.matchedFilters ?? [];
  const byId = new Map(matched.map((f) => [f.id, f]));
  const known = ids.every((id) => byId.has(id));
  return mailboxIds.map((mailboxId) => {
    if (!known) return { mailboxId, folder: routing.folder ? folderName(routing.folder) || null : null, read: Boolean(routing.markRead), tags: tagsOf(routing.tags ?? []) };
    let folder: string | null = null, read = false;
    const tags: string[] = [];
    for (const id of ids) {
      const f = byId.get(id)!;
      if (f.mailbox_id !== null && f.mailbox_id !== mailboxId) continue;
      if (f.actions.folder) folder = folderName(f.actions.folder) || folder;
      if (f.actions.markRead) read = true;
      tags.push(...(f.actions.tags ?? []));
    }
    return { mailboxId, folder, read, tags: tagsOf(tags).slice(0, TAGS_PER_ITEM) };
  });
}

/** The column change a bulk action makes (move and the tag actions are not column flags). */
export function flagsOf(action: BulkAction): { read?: boolean; archived?: boolean } | null {
  switch (action) {
    case 'read': return { read: true };
    case 'unread': return { read: false };
    case 'archive': return { archived: true };
    case 'unarchive': return { archived: false };
    default: return null;
  }
}
