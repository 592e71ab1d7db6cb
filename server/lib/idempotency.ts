/*
 * Idempotency keys a client sends with a request that must not act twice (a single email, a
 * reply from a case): what a key may be, and the form it is stored in — hashed with who sent
 * it, so one caller's key never answers another caller's request, and short enough to index.
 */
import { createHash } from 'node:crypto';

/** 1–100 printable ASCII characters: the same in JSON bodies and form fields. */
export const validIdempotencyKey = (key: string) => /^[\x21-\x7e]{1,100}$/.test(key);
export const IDEMPOTENCY_KEY_RULE = '1–100 printable ASCII characters';

/** SHA-256 of the caller's scope and key, base64url (43 characters). */
export const idempotencyHash = (scope: string, key: string) => createHash('sha256').update(`${scope}\0${key}`).digest('base64url');
