/*
 * The delivery core's enqueue contract as the sources call it (server/outbound/enqueue.ts).
 */
import type { Services } from '../../services.js';
import type { EnqueueArgs, EnqueueResult } from '../enqueue.js';

export type { EnqueueMessage, EnqueueArgs, EnqueueResult } from '../enqueue.js';
export type EnqueueFn = (s: Services, args: EnqueueArgs) => Promise<EnqueueResult>;
