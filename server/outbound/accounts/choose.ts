/*
 * The account compose uses when the sender names none (pure, no I/O): an active account whose
 * allowed-From names that exact address (a mailbox's or person's own SMTP side, e.g. an IMAP
 * account's managed account) first; otherwise, as before, the default account, else any active one.
 */
import type { SenderAccount } from '../../db/repos/accounts.js';

type Choice = Pick<SenderAccount, 'allowed_from' | 'is_default' | 'active'>;

export function accountForFrom<A extends Choice>(from: string | null | undefined, accounts: readonly A[]): A | undefined {
  // `from` as compose gets it: an address or "Name <address>".
  const raw = (from ?? '').trim();
  const addr = (/<([^<>]*)>\s*$/.exec(raw)?.[1] ?? raw).trim().toLowerCase();
  const own = addr ? accounts.find((a) => a.active && a.allowed_from.some((e) => e.trim().toLowerCase() === addr)) : undefined;
  return own ?? accounts.find((a) => a.is_default && a.active) ?? accounts.find((a) => a.active);
}
