/*
 * Typed application errors. Every error that crosses a module boundary carries a stable
 * `code` (snake_case) and the HTTP status the API maps it to; adapters translate these
 * into JSON errors, form messages or SMTP replies and never invent their own.
 */
export type ErrorCode =
  | 'bad_request' | 'validation_failed' | 'unauthorized' | 'forbidden' | 'not_found'
  | 'conflict' | 'rate_limited' | 'csrf_failed' | 'config_invalid' | 'db_unsupported'
  | 'storage_failed' | 'internal';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400, validation_failed: 400, unauthorized: 401, forbidden: 403, not_found: 404,
  conflict: 409, rate_limited: 429, csrf_failed: 403, config_invalid: 500, db_unsupported: 500,
  storage_failed: 503, internal: 500,
};

/** `message` is English (API clients read it); `key` names the admin UI's catalog text for it, when there is one. */
export interface FieldError { field: string; message: string; key?: string }

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields?: FieldError[];
  constructor(code: ErrorCode, message: string, opts: { fields?: FieldError[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = STATUS[code];
    if (opts.fields) this.fields = opts.fields;
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const invalid = (fields: FieldError[], message = 'Some fields are not valid') =>
  new AppError('validation_failed', message, { fields });
export const conflict = (message: string) => new AppError('conflict', message);

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
