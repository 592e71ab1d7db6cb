/*
 * The webhook events an endpoint can subscribe to, and the seam other services are given to
 * report one (`WebhookEmit`): a plain function, so a service needs no webhook module to emit.
 */
export const WEBHOOK_EVENTS = [
  'message.received', 'message.failed', 'delivery.sent', 'delivery.deferred', 'delivery.failed', 'bounce', 'complaint',
  'opt_out', 'open', 'click', 'mass_email.state', 'case.created', 'case.updated',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** Sent by "Send test" only, to one endpoint, whatever it subscribes to. */
export const TEST_EVENT = 'webhook.test';

export const isWebhookEvent = (e: string): e is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(e);

/**
 * Reports an event to every active endpoint subscribed to it. `key` makes a report idempotent
 * (a pipeline step that runs again reports the same key: one delivery per endpoint).
 */
export type WebhookEmit = (event: WebhookEvent, data: Record<string, unknown>, key?: string) => Promise<number>;
/** Reports many events of one kind at once (one multi-row insert per endpoint set): for paths that report in groups. */
export type WebhookEmitMany = (event: WebhookEvent, items: Array<{ data: Record<string, unknown>; key?: string }>) => Promise<number>;
