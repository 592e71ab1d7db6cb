/*
 * How a capability plugs into the composition root: services it adds, HTTP routes (API,
 * admin UI, public), what it starts under each role, scheduled jobs, and start-up work such
 * as creating config-declared records. app.ts lists the features; nothing else wires them.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from './config.js';
import type { Services } from './services.js';
import type { ApiPlugin } from './http/api/index.js';
import type { UiPlugin } from './http/ui/index.js';

export interface Running { stop(): Promise<void> }

export interface JobDef {
  name: string;
  description: string;
  /** Default schedule (node-cron syntax, seconds field optional); admins may change it. */
  cron: string;
  run(s: Services): Promise<unknown>;
}

export interface Feature {
  name: string;
  setup?(s: Services): void | Promise<void>;
  bootstrap?(s: Services): Promise<void>;
  api?: ApiPlugin[];
  ui?: UiPlugin[];
  publicRoutes?: Array<(app: FastifyInstance, s: Services) => void | Promise<void>>;
  start?: Partial<Record<Role, (s: Services) => Promise<Running>>>;
  jobs?: JobDef[];
}
