/*
 * Configuration: config/default.json, then the optional POSTERN_CONFIG JSON file, then
 * POSTERN_* environment variables. Validated with TypeBox at start; every problem is
 * reported with its path and the env variable that sets it, before any port opens.
 */
import { readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import { Value, ValuePointer } from '@sinclair/typebox/value';
import { fromRoot } from './paths.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
export const ROLES = ['smtp', 'http', 'worker', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

export const ConfigSchema = Type.Object({
  roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { minItems: 1 }),
  host: Type.String({ minLength: 1 }),
  publicUrl: Type.String(),
  nodeId: Type.String(),
  secret: Type.Optional(Type.String({ minLength: 16 })),
  adminPassword: Type.Optional(Type.String({ minLength: 8 })),
  database: Type.Object({ url: Type.String({ minLength: 1 }), poolMax: Type.Integer({ minimum: 1 }) }),
  // false, a hop count, or the addresses/CIDRs of trusted proxies (checked by trustProxyProblem).
  http: Type.Object({
    port: Port, sessionTtlHours: Type.Number({ exclusiveMinimum: 0 }),
    trustProxy: Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 }), Type.Array(Type.String(), { minItems: 1 })]),
  }),
  metrics: Type.Object({ token: Type.String({ pattern: '^(|.{16,})$', description: 'empty, or at least 16 characters' }) }),
  smtp: Type.Object({
    port: Port, submissionPort: Port, hostname: Type.String(),
    maxMessageBytes: Type.Integer({ minimum: 1024 }), maxRecipients: Type.Integer({ minimum: 1 }),
    maxConnections: Type.Integer({ minimum: 1 }), maxConnectionsPerIpPerMinute: Type.Integer({ minimum: 1 }),
    socketTimeoutMs: Type.Integer({ minimum: 1000 }), tlsCert: Type.String(), tlsKey: Type.String(),
    commandTimeoutMs: Type.Integer({ minimum: 100 }), sessionTimeoutMs: Type.Integer({ minimum: 100 }),
    authFailureDelayMs: Type.Integer({ minimum: 0 }), authMaxFailures: Type.Integer({ minimum: 1 }),
  }),
  worker: Type.Object({
    leaseMs: Type.Integer({ minimum: 1000 }), batchSize: Type.Integer({ minimum: 1 }), pollMs: Type.Integer({ minimum: 10 }),
    // With a listener role, the worker runs in a child process at this niceness (server/cli/workerChild.ts).
    process: Type.Optional(Type.Union([Type.Literal('separate'), Type.Literal('inline')])), nice: Type.Optional(Type.Integer({ minimum: 0, maximum: 19 })),
  }),
  /** Inbound pipeline: each step and each route hook gets `stepBudgetMs` (default 10000); past it the message is unprocessable. */
  pipeline: Type.Optional(Type.Object({ stepBudgetMs: Type.Optional(Type.Integer({ minimum: 10 })) })),
  scheduler: Type.Object({ syncMs: Type.Integer({ minimum: 100 }) }),
  outbound: Type.Object({ maxAgeHours: Type.Number({ exclusiveMinimum: 0 }), retryBaseMs: Type.Integer({ minimum: 100 }), retryMaxMs: Type.Integer({ minimum: 100 }), verpPrefix: Type.String({ pattern: '^[a-z0-9]{1,10}$' }) }),
  auth: Type.Object({ loginMaxFailures: Type.Integer({ minimum: 1 }), loginWindowMinutes: Type.Integer({ minimum: 1 }) }),
  log: Type.Object({ level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))) }),
  shutdownTimeoutMs: Type.Integer({ minimum: 0 }),
  domains: Type.Array(Type.String({ minLength: 1 })),
  mailboxes: Type.Array(Type.Object({
    address: Type.String({ minLength: 3 }), name: Type.String(), catchAll: Type.Optional(Type.Boolean()),
    // Email-to-case (server/routing/cases): teams by name or id.
    createCases: Type.Optional(Type.Boolean()), assignment: Type.Optional(Type.Union([Type.Literal('direct'), Type.Literal('round-robin'), Type.Literal('less-busy')])),
    assignUserId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    teams: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer({ minimum: 1 })]))),
    reopen: Type.Optional(Type.Union([Type.Literal('reopen'), Type.Literal('new-after'), Type.Literal('never')])), reopenAfterDays: Type.Optional(Type.Integer({ minimum: 1 })),
    // Replies from a case show the mailbox's name or the agent's (server/routing/cases/reply.ts).
    replyFromName: Type.Optional(Type.Union([Type.Literal('mailbox'), Type.Literal('agent')])),
    // Auto-reply (server/routing/autoReply): set when the mailbox is created.
    autoReply: Type.Optional(Type.Union([Type.Object({ subject: Type.String(), text: Type.String({ minLength: 1 }) }), Type.Null()])),
  })),
  /** Email-to-case: the flood guard's quota of new cases per sender and mailbox an hour, and how recent a "possible follow-up" is. */
  cases: Type.Optional(Type.Object({ floodPerHour: Type.Optional(Type.Integer({ minimum: 1 })), followUpDays: Type.Optional(Type.Integer({ minimum: 0 })) })),
  /** Auto-reply: at most `maxPerSender` replies per sender and mailbox per `periodHours` (default 1 per 24 h). */
  autoReply: Type.Optional(Type.Object({
    maxPerSender: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), periodHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  })),
  /** Record links and notifications: mail fetched over IMAP dated more than `oldMailHours` before receipt notifies nobody (default 24); the From of notification e-mails. */
  notifications: Type.Optional(Type.Object({
    oldMailHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })), fromAddress: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  })),
});
export type Config = Static<typeof ConfigSchema> & { secret: string; http: { trustProxy: TrustProxy } };
/** What Fastify gets: no trust, a hop count, or trusted proxy addresses (never plain `true`). */
export type TrustProxy = false | number | string[];

/** env variable → config path; the path is also how errors name the field. */
export const ENV_MAP: Record<string, string> = {
  POSTERN_DATABASE_URL: 'database.url',
  POSTERN_SECRET: 'secret',
  POSTERN_SMTP_PORT: 'smtp.port',
  POSTERN_SUBMISSION_PORT: 'smtp.submissionPort',
  POSTERN_HTTP_PORT: 'http.port',
  POSTERN_HOST: 'host',
  POSTERN_PUBLIC_URL: 'publicUrl',
  POSTERN_ADMIN_PASSWORD: 'adminPassword',
  POSTERN_ROLES: 'roles',
  POSTERN_LOG_LEVEL: 'log.level',
  POSTERN_NODE_ID: 'nodeId',
  POSTERN_TRUST_PROXY: 'http.trustProxy',
  POSTERN_METRICS_TOKEN: 'metrics.token',
  POSTERN_WORKER_PROCESS: 'worker.process',
};

/** Never echoed in a configuration error. */
const SECRET_PATHS = new Set(['secret', 'adminPassword', 'metrics.token']);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

function setPath(obj: Json, path: string, value: unknown) {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) { if (!isObj(cur[p])) cur[p] = {}; cur = cur[p] as Json; }
  cur[parts[parts.length - 1]!] = value;
}

function envValue(name: string, raw: string): unknown {
  if (name === 'POSTERN_ROLES') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (name === 'POSTERN_TRUST_PROXY') {
    if (/^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === 'true';
    if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
    return raw.split(',').map((s) => s.trim());
  }
  return raw;
}

export interface LoadOptions { env?: NodeJS.ProcessEnv; overrides?: Json; persistSecret?: boolean }

/** Loads and validates; throws ConfigError listing every problem. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  let cfg = JSON.parse(readFileSync(fromRoot('config', 'default.json'), 'utf8')) as Json;
  const file = env.POSTERN_CONFIG;
  if (file) {
    try { cfg = merge(cfg, JSON.parse(readFileSync(file, 'utf8')) as Json); }
    catch (e) { problems.push(`POSTERN_CONFIG (${file}): ${(e as Error).message}`); }
  }
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(cfg, path, envValue(name, raw));
  }
  if (opts.overrides) cfg = merge(cfg, opts.overrides);
  const converted = Value.Convert(ConfigSchema, cfg) as Json;
  for (const err of Value.Errors(ConfigSchema, converted)) {
    const path = err.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const envName = Object.entries(ENV_MAP).find(([, p]) => path === p || path.startsWith(`${p}.`))?.[0];
    const hint = envName ? ` (set by ${envName} or the config file)` : ' (config file)';
    const shown = SECRET_PATHS.has(path) ? '[redacted]' : JSON.stringify(ValuePointer.Get(converted, err.path));
    problems.push(`${path}${hint}: ${err.message}; got ${shown}`);
  }
  const http = converted.http as Json | undefined;
  const tp = http && !problems.length ? trustProxyProblem(http.trustProxy) : null;
  if (tp) problems.push(`http.trustProxy (set by POSTERN_TRUST_PROXY or the config file): ${tp}; got ${JSON.stringify(http!.trustProxy)}`);
  if (problems.length) throw new ConfigError(problems);
  const out = converted as unknown as Config;
  out.http.trustProxy = normalizeTrustProxy(out.http.trustProxy as boolean | number | string[]);
  if (!out.nodeId) out.nodeId = `${hostname()}-${process.pid}`;
  if (!out.smtp.hostname) out.smtp.hostname = hostname();
  if (!out.publicUrl) out.publicUrl = `http://${out.host}:${out.http.port}`;
  out.domains = out.domains.map((d) => d.toLowerCase());
  if (!out.secret) out.secret = defaultSecret(out, opts.persistSecret ?? true);
  return out;
}

/** proxy-addr's names for address ranges, accepted as they are. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Each trusted proxy is an IP address, a CIDR range, or one of RANGE_NAMES. */
export function trustProxyProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return null;
  for (const entry of v as string[]) {
    if (RANGE_NAMES.has(entry)) continue;
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
    const family = m ? isIP(m[1]!) : 0;
    if (!family || (m![2] !== undefined && Number(m![2]) > (family === 4 ? 32 : 128))) {
      return `${JSON.stringify(entry)} is not an IP address, a CIDR range or one of ${[...RANGE_NAMES].join(', ')}`;
    }
  }
  return null;
}

/**
 * `true` would trust every X-Forwarded-For entry, so a client could name any address it
 * likes (and dodge or aim the login throttle): it means one hop, the proxy in front.
 */
export function normalizeTrustProxy(v: boolean | number | string[]): TrustProxy {
  if (v === true) return 1;
  if (v === false || v === 0) return false;
  return v;
}

export const isMysqlUrl = (url: string) => /^mysql2?:\/\//i.test(url);

/**
 * With an embedded database and no POSTERN_SECRET, keep a generated secret beside the
 * database so tokens and encrypted secrets survive restarts. Several nodes on MySQL must
 * share one secret, so there it is required.
 */
function defaultSecret(cfg: Config, persist: boolean): string {
  if (isMysqlUrl(cfg.database.url)) {
    throw new ConfigError(['secret (set by POSTERN_SECRET or the config file): required with a MySQL database, since all nodes must share it']);
  }
  if (!persist || cfg.database.url === ':memory:') return randomBytes(32).toString('base64url');
  const file = resolve(dirname(resolve(cfg.database.url)), 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
