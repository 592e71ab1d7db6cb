/*
 * The delivery core's enqueue contract as the sources call it (server/outbound/enqueue.ts).
 */
import type { EnqueueArgs, EnqueueDeps, EnqueueResult } from '../enqueue.js';

export type { EnqueueMessage, EnqueueArgs, EnqueueResult } from '../enqueue.js';
export type EnqueueFn = (s: EnqueueDeps, args: EnqueueArgs) => Promise<EnqueueResult>;
