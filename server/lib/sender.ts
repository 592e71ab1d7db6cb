/*
 * The sender address of a From header, read from the field as it came (encoded words not
 * yet decoded): a display name such as =?utf-8?q?ceo=40bank=2Etest?= is a name, never the
 * address, so an auto-reply or a block goes to the mailbox in the angle brackets.
 */
import addressparser from 'nodemailer/lib/addressparser';

const ADDR_SPEC = /^[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+$/;
// Control characters and bidi formatting characters are never part of an address.
const HIDDEN = /[\0-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The first mailbox's address, lower-cased, or null when the field names none. */
export function senderAddress(rawFrom: string | null | undefined): string | null {
  if (!rawFrom) return null;
  const first = addressparser(rawFrom.slice(0, 10_000), { flatten: true }).find((a) => a.address)?.address.trim();
  if (!first || HIDDEN.test(first) || !ADDR_SPEC.test(first) || first.length > 320) return null;
  return first.toLowerCase();
}
