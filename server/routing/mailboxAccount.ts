/*
 * Which upstream account sends as one of our mailboxes (pure, no I/O): used by every reply the
 * routing area sends from a mailbox address (auto-replies, replies from a case). Active accounts
 * only; one whose allowed-From list names the address itself first (a mailbox's own SMTP side),
 * then one that names its domain, then one that allows any From; the default account wins a tie.
 */
import { fromAllowed } from '../auth/access.js';

export interface AccountChoice { id: number; allowed_from: string[]; is_default: boolean; active: boolean; message_type_id: number | null }

/** 3: names the address, 2: names its domain, 1: allows any From, 0: may not send as it. */
export function fromRank(address: string, allowed: readonly string[]): number {
  if (!allowed.length) return 1;
  const a = address.toLowerCase();
  if (allowed.some((e) => e.trim().toLowerCase() === a)) return 3;
  return fromAllowed(a, [...allowed]) ? 2 : 0;
}

export function mailboxAccount<A extends AccountChoice>(address: string, accounts: readonly A[]): A | undefined {
  let best: A | undefined;
  let bestRank = 0;
  for (const a of accounts) {
    if (!a.active) continue;
    const r = fromRank(address, a.allowed_from);
    if (r > bestRank || (r === bestRank && r > 0 && a.is_default && !best?.is_default)) { best = a; bestRank = r; }
  }
  return best;
}
