/*
 * Request body limits. Fastify buffers and parses a whole body on the event loop before any
 * handler or session check runs, so the default is small and only routes that take uploads
 * (compose with attachments, CSV imports) allow large bodies, and only for signed-in callers.
 */
export const BODY_LIMITS = {
  /** login and public routes (opt-out): a few hundred bytes in practice */
  small: 16 * 1024,
  /** API JSON and ordinary admin forms */
  default: 1024 * 1024,
  /** message compose with base64 attachments, CSV imports */
  upload: 30 * 1024 * 1024,
} as const;
