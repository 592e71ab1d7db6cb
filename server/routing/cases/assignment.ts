/*
 * Assignment choices (pure, no I/O): the next member in round-robin after a stored pointer,
 * and the less-busy member (fewest open cases, members with none included; ties go to the
 * one whose last assignment is the oldest, never-assigned first, then the lowest id).
 */

export type AssignmentMode = 'direct' | 'round-robin' | 'less-busy';
export const ASSIGNMENT_MODES: readonly AssignmentMode[] = ['direct', 'round-robin', 'less-busy'];

/** Active member ids in ascending order; the one after `last` (wrapping), or null without members. */
export function nextRoundRobin(members: number[], last: number | null): number | null {
  const sorted = [...new Set(members)].sort((a, b) => a - b);
  if (!sorted.length) return null;
  if (last === null) return sorted[0]!;
  return sorted.find((id) => id > last) ?? sorted[0]!;
}

export interface Load { userId: number; open: number; lastAssignedAt: number | null }

export function lessBusy(loads: Load[]): number | null {
  if (!loads.length) return null;
  const best = [...loads].sort((a, b) => a.open - b.open || (a.lastAssignedAt ?? -1) - (b.lastAssignedAt ?? -1) || a.userId - b.userId)[0]!;
  return best.userId;
}
