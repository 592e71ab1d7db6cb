/*
 * Which upstream account sends as one of our mailboxes (pure, no I/O): used by every reply the
 * routing area sends from a mailbox address (auto-replies, replies from a case). Active accounts
 * only; the one whose allowed-From list names the address (itself or its domain) first, else one
 * that allows any From; the default account wins a tie.
 */
import { fromAllowed } from '../auth/access.js';

export interface AccountChoice { id: number; allowed_from: string[]; is_default: boolean; active: boolean; message_type_id: number | null }

export function mailboxAccount<A extends AccountChoice>(address: string, accounts: readonly A[]): A | undefined {
  const usable = accounts.filter((a) => a.active).sort((a, b) => Number(b.is_default) - Number(a.is_default));
  return usable.find((a) => a.allowed_from.length > 0 && fromAllowed(address, a.allowed_from)) ?? usable.find((a) => fromAllowed(address, a.allowed_from));
}
