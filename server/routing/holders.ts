/*
 * The records and users holding a routed message's From/To/Cc addresses, read once per message:
 * the cases hook takes the sender's records for a new case (reading them in its own round trip), the links
 * hook links them all.
 * Also the pure choice of a new case's records among them (oldest contact and its account,
 * else an account, else a lead).
 */
import { rootOf, type StepContext } from '../inbound/pipeline/steps.js';
import type { Holder, LinkRole } from '../db/repos/links/links.js';
import { addressRoles } from './links/logic.js';
import { perMessage } from './perMessage.js';

export interface MessageHolders { from: string; roles: Map<string, LinkRole>; holders: Holder[] }
/** The per-message slot both the reader and the sharer fill: one name, so a shared read is the one found. */
const HOLDERS = 'holders';

/** The message's From address (lower-case), its From/To/Cc addresses with their roles, and the addresses to look up. */
export function messageAddresses(c: StepContext): { from: string; roles: Map<string, LinkRole>; addresses: string[] } {
  const h = rootOf(c).headers;
  const from = (c.fields.from_addr ?? c.msg.from_addr ?? '').toLowerCase();
  const roles = addressRoles({ from, to: h.all('to').join(', '), cc: h.all('cc').join(', ') });
  // The sender's address as stored too (the cases hook matches it exactly), first: it is never cut off.
  return { from, roles, addresses: [...new Set([...(from ? [from] : []), ...roles.keys()])] };
}

/**
 * The message's addresses with their roles and who holds them (one read per message, whichever hook asks
 * first, by `load`; nothing is read when the cases hook shared them, read with its own statements: shareHolders).
 */
export function messageHolders(c: StepContext, load: (addresses: string[]) => Promise<Holder[]>): Promise<MessageHolders> {
  return perMessage(c, HOLDERS, async () => {
    const { from, roles, addresses } = messageAddresses(c);
    return { from, roles, holders: await load(addresses) };
  });
}

/** Holders read with other statements (the cases hook's first round trip) as this message's, unless it has them already. */
export function shareHolders(c: StepContext, a: ReturnType<typeof messageAddresses>, holders: Promise<Holder[]>): void {
  void perMessage(c, HOLDERS, async () => ({ from: a.from, roles: a.roles, holders: await holders }));
}

/** A new case's records from the sender's: the oldest contact (and its account), else an account, else a lead. */
export function recordsOfSender(m: MessageHolders, from: string): { account_id: number | null; contact_id: number | null; lead_id: number | null } {
  const address = from.toLowerCase();
  // As the single read did: the sender's records by id, the first 50.
  const rows = m.holders.filter((x) => x.type !== 'user' && x.address === address).sort((a, b) => a.id - b.id).slice(0, 50);
  const of = (type: string) => rows.find((r) => r.type === type);
  const contact = of('contact'), account = of('account'), lead = of('lead');
  return {
    contact_id: contact ? contact.id : null, account_id: contact?.accountId ?? (account ? account.id : null),
    lead_id: !contact && lead ? lead.id : null,
  };
}
