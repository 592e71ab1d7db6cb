/*
 * The lookup data of one campaign recipient: the values the placeholders of a compiled
 * campaign read (Person.*, Account.*, Record.*), built from the recipient's record.
 * Values are text or nothing: objects and arrays render empty, never "[object Object]". Pure.
 */

/** A recipient's record as the delivery worker reads it (a contact with its account, an account, a lead, a user). */
export interface RecipientRecord {
  type: 'account' | 'contact' | 'lead' | 'user';
  id: number;
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  name: string;
  title: string | null;
  phone: string | null;
  attributes: Record<string, unknown> | null;
  account: { name: string; attributes: Record<string, unknown> | null } | null;
}

/** Built-in fields as text ('' when missing); attributes stay raw and are read per placeholder. */
export interface PlaceholderData {
  person: { firstName: string; lastName: string; name: string; title: string; phone: string; emailAddress: string };
  personAttributes: Record<string, unknown> | null;
  account: { name: string };
  accountAttributes: Record<string, unknown> | null;
  record: { type: string; externalId: string; id: string };
}

/** Text of a scalar value; null, undefined, objects, arrays and functions give ''. */
export function valueText(v: unknown): string {
  switch (typeof v) {
    case 'string': return v;
    case 'number': case 'boolean': case 'bigint': return String(v);
    default: return '';
  }
}

/** `obj[path[0]][path[1]]…`, own properties only (so `{Person.constructor}` finds nothing), as text. */
export function lookupText(obj: Record<string, unknown> | null, path: readonly string[]): string {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return '';
    cur = (cur as Record<string, unknown>)[key];
  }
  return valueText(cur);
}

/**
 * The data for one recipient. `address` is the recipient address ({Person.emailAddress});
 * `r` is null for an address without a record (a test send): every field but the address is empty.
 * Account.* is the contact's account, or the record itself when it is an account.
 */
export function placeholderData(r: RecipientRecord | null, address: string): PlaceholderData {
  if (!r) {
    return {
      person: { firstName: '', lastName: '', name: '', title: '', phone: '', emailAddress: address },
      personAttributes: null, account: { name: '' }, accountAttributes: null, record: { type: '', externalId: '', id: '' },
    };
  }
  const firstName = r.firstName ?? '';
  const lastName = r.lastName ?? '';
  const name = r.name || [firstName, lastName].filter((s) => s !== '').join(' ');
  const account = r.type === 'account' ? { name: r.name, attributes: r.attributes } : r.account;
  return {
    person: { firstName, lastName, name, title: r.title ?? '', phone: r.phone ?? '', emailAddress: address },
    personAttributes: r.attributes,
    account: { name: account?.name ?? '' },
    accountAttributes: account?.attributes ?? null,
    record: { type: r.type, externalId: r.externalId ?? '', id: String(r.id) },
  };
}
