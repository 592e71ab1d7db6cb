/*
 * The records contract shared by the records service, its API and UI, CSV import/export and
 * target lists: record types, the input of an upsert, and the filter that selects records
 * (record lists, "filter then select all", dynamic target lists).
 */
export const RECORD_TYPES = ['account', 'contact', 'lead'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
/** What a target list can hold: the record types and Postern's own users. */
export type MemberType = RecordType | 'user';
/** URL segment ↔ type: /api/v1/records/contacts ↔ 'contact'. */
export const TYPE_OF_PLURAL: Record<string, RecordType> = { accounts: 'account', contacts: 'contact', leads: 'lead' };

/** One record as the API and CSV import give it (camelCase; DESIGN.md "Records"). */
export interface RecordInput {
  externalId?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  name?: string | null;
  title?: string | null;
  phone?: string | null;
  /** One address (becomes the primary), or several (the first is primary unless `primaryEmail` says). */
  email?: string | null;
  emails?: string[];
  primaryEmail?: string | null;
  /** A contact's account, by the account's externalId (created as a bare account when missing) or name. */
  accountExternalId?: string | null;
  accountName?: string | null;
  accountId?: number | null;
  teamId?: number | null;
  formerEmployee?: boolean;
  attributes?: Record<string, string | number | boolean | null>;
}

export interface BulkResult { created: number; updated: number; errors: Array<{ index: number; message: string }> }

/**
 * Selects records of one type. Every condition is optional and all must hold. Used server-side
 * in set-based SQL (never the matches in memory).
 */
export interface RecordFilter {
  type: MemberType;
  /** Substring of name, first/last name, external id or any address. */
  search?: string;
  fields?: Partial<Record<'firstName' | 'lastName' | 'name' | 'title' | 'phone' | 'externalId', string>>;
  /** Custom attribute equals (compared as strings). */
  attributes?: Record<string, string>;
  teamId?: number;
  accountId?: number;
  formerEmployee?: boolean;
  /** Has an address opted out entirely (true) / none (false). */
  optedOut?: boolean;
  /** Has an address on the blocked list (true) / none (false). */
  blocked?: boolean;
  /** Has an address in this domain. */
  emailDomain?: string;
  /** Has this address (normalised before matching). */
  email?: string;
}
