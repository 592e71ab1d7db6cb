/*
 * pino root logger. Modules take a child (`log.child({ mod: 'smtp' })`) and log stable
 * event names in `evt` (inbound.received, send.deferred…). Credentials and bodies are
 * redacted by path so a careless field never reaches the log.
 */
import pino, { type Logger } from 'pino';

export type Log = Logger;

const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'apiKey', '*.apiKey',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'cookie', '*.cookie', 'body', '*.body', 'raw', '*.raw', 'pass', '*.pass', 'auth.pass',
];

export function createLogger(level: string, opts: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Log {
  const pretty = opts.pretty ?? (process.stdout.isTTY && !opts.destination);
  const base = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } };
  if (opts.destination) return pino(base, opts.destination);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  return pino(base);
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger = (): Log => pino({ level: 'silent' });
