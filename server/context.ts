/*
 * What every domain module receives: config, database, logger, clock and derived keys.
 * Passed in explicitly (never imported singletons) so tests build as many as they like.
 */
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { Log } from './log.js';

export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() };

export interface Ctx {
  config: Config;
  db: Db;
  log: Log;
  clock: Clock;
  /** Unique per process: used in lease tokens and scheduler ownership. */
  nodeId: string;
}
