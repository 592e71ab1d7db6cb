/*
 * What a feature declares, in its own folder: API, admin UI and public routes, menu entries
 * and dashboard cards, scheduled jobs, table-backed queues (the lease sweeper and the queue
 * gauges are derived from them), inbound pipeline hooks, start-up work and what it starts
 * under each role. app.ts lists the features; services.ts builds what they use.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from './config.js';
import type { Services, ServiceDecls } from './services.js';
import type { ApiPlugin } from './http/api/index.js';
import type { UiPlugin } from './http/ui/index.js';
import type { MenuEntry } from './http/ui/menu.js';
import type { CardSource } from './http/ui/dashboard.js';
import type { QueueSpec } from './db/queue.js';
import type { PipelineHook } from './inbound/pipeline/steps.js';
import type { RawRoute } from './http/raw.js';

export interface Running { stop(): Promise<void> }

export interface JobDef {
  name: string;
  description: string;
  /** Default schedule (node-cron syntax, seconds field optional); admins may change it. */
  cron: string;
  run(s: Services): Promise<unknown>;
}

/** A table-backed queue: its expired leases are swept and its depth is a gauge. */
export interface QueueDecl { name: string; spec: QueueSpec }

export type PublicRoutes = (app: FastifyInstance, s: Services) => void | Promise<void>;

export interface Feature {
  name: string;
  api?: ApiPlugin[];
  ui?: UiPlugin[];
  publicRoutes?: PublicRoutes[];
  /** Hot public endpoints answered in front of Fastify (http/raw.ts). */
  rawRoutes?: Array<(s: Services) => RawRoute[]>;
  menu?: MenuEntry[];
  cards?: CardSource[];
  jobs?: JobDef[];
  queues?: QueueDecl[];
  /** Routing hooks for the pipeline's `route` step, made once the services exist. */
  hooks?(s: Services): PipelineHook[];
  bootstrap?(s: Services): Promise<void>;
  start?: Partial<Record<Role, (s: Services) => Promise<Running>>>;
}

/** What buildServices takes from the features: their queues, jobs and pipeline hooks. */
export function serviceDecls(features: readonly Feature[]): ServiceDecls {
  return {
    queues: features.flatMap((f) => f.queues ?? []),
    jobs: features.flatMap((f) => f.jobs ?? []),
    hooks: features.flatMap((f) => (f.hooks ? [f.hooks.bind(f)] : [])),
  };
}
