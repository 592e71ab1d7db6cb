/*
 * The `postern` command: serve, migrate, user create / reset-password, apikey create,
 * bounce classify, import records. Each subcommand has --help. Exit codes: 0 ok, 1 failure, 2 bad usage.
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { loadConfig, ConfigError, type Config, type Role } from './config.js';
import { createLogger } from './log.js';
import { openDb, type Db } from './db/connect.js';
import { migrateLatest, migrateUnlock } from './db/migrate.js';
import { systemClock } from './context.js';
import { authService, type AuthService } from './auth/service.js';
import { randomPassword } from './auth/passwords.js';
import { createApp } from './app.js';
import { parseArgs } from './cli/args.js';
import { isAppError } from './errors.js';
import { buildServices } from './services.js';
import { serviceDecls } from './feature.js';
import { FEATURES } from './app.js';
import { IMPORT_RECORDS_HELP, importArgs, importRecordsCommand } from './cli/importRecords.js';
import { startWorkerChild, stopWhenParentGone, workerSplit, WORKER_CHILD_ENV } from './cli/workerChild.js';

const HELP: Record<string, string> = {
  '': `Usage: postern <command> [options]

Commands:
  serve                 run the gateway (roles from config; --roles smtp,http,worker,scheduler)
  migrate               apply database migrations and exit
  user create           create an admin-UI user
  user reset-password   set a new password for a user
  apikey create         create an API key for /api/v1
  bounce classify FILE… classify bounce messages, one JSON line per recipient
  import records        import accounts, contacts or leads from a CSV file

Run 'postern <command> --help' for a command's options. Configuration comes from
config/default.json, the POSTERN_CONFIG file and POSTERN_* environment variables.`,
  serve: `Usage: postern serve [--roles smtp,http,worker,scheduler]

Runs the configured roles until SIGTERM or SIGINT, then stops gracefully. With smtp or http,
the worker and scheduler roles run in a child process at nice 10 (worker.process, worker.nice;
POSTERN_WORKER_PROCESS=inline keeps them in this process).`,
  migrate: `Usage: postern migrate [--unlock]

Applies pending database migrations (also done at every start) and exits. A node that starts
while another migrates waits for it. --unlock clears the lock a node left when it died while
migrating (only when no node is migrating), then migrates.`,
  'user create': `Usage: postern user create --username NAME [--password PW] [--role admin|agent] [--email ADDR] [--name "Full Name"]

Creates a user (role admin unless --role agent). Without --password a random one is generated and printed.`,
  'user reset-password': `Usage: postern user reset-password --username NAME [--password PW]

Sets a new password (random and printed when --password is absent) and ends the user's sessions.`,
  'apikey create': `Usage: postern apikey create --name NAME

Prints a new API key once. Use it as 'Authorization: Bearer <key>' on /api/v1.`,
  'bounce classify': `Usage: postern bounce classify FILE…

Prints one JSON line per bounced recipient:
{"file","recipient","status","action","class":"hard"|"soft"|"none","reason"}`,
  'import records': IMPORT_RECORDS_HELP,
};

export interface Io { out(s: string): void; err(s: string): void }
const std: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

export async function main(argv: string[], io: Io = std): Promise<number> {
  const { words, flags } = parseArgs(argv, ['help', 'dry-run', 'unlock']);
  const cmd = words[0] ?? '';
  const sub = ['user', 'apikey', 'bounce', 'import'].includes(cmd) ? `${cmd} ${words[1] ?? ''}`.trim() : cmd;
  if (cmd === '' || cmd === 'help') { (cmd === '' && !flags.help ? io.err : io.out)(HELP['']!); return cmd === '' && !flags.help ? 2 : 0; }
  if (!(sub in HELP)) { io.err(`postern: unknown command '${sub}'\n\n${HELP['']}`); return 2; }
  if (flags.help) { io.out(HELP[sub]!); return 0; }
  try {
    switch (sub) {
      case 'serve': return await serve(flags, io);
      case 'migrate': return await withDb(async (db) => {
        if (flags.unlock) { await migrateUnlock(db.knex); io.out('Migration lock cleared'); }
        const names = await migrateLatest(db.knex);
        io.out(names.length ? `Applied: ${names.join(', ')}` : 'Database is up to date');
        return 0;
      });
      case 'user create':
      case 'user reset-password': return await userCommand(sub, flags, io);
      case 'apikey create': {
        const name = flags.name;
        if (typeof name !== 'string') { io.err(HELP['apikey create']!); return 2; }
        return await withAuth(async (auth) => { io.out((await auth.createApiKey(name, null)).key); return 0; });
      }
      case 'bounce classify': {
        const files = words.slice(2);
        if (!files.length) { io.err(HELP['bounce classify']!); return 2; }
        const { bounceClassifyCommand } = await import('./bounces/cli.js');
        return await bounceClassifyCommand(files, process.stdout);
      }
      case 'import records': {
        const a = importArgs(words.slice(2), flags);
        if (!a) { io.err(IMPORT_RECORDS_HELP); return 2; }
        return await withDb(async (db, cfg) => {
          await migrateLatest(db.knex);
          const log = createLogger('warn');
          const s = buildServices({ config: cfg, db, log, clock: systemClock, nodeId: cfg.nodeId }, serviceDecls(FEATURES));
          const tty = io === std && process.stderr.isTTY;
          return importRecordsCommand(s.recordsCsv, a, io, { tty, progress: (x) => process.stderr.write(x) });
        });
      }
    }
    return 2;
  } catch (e) {
    if (e instanceof ConfigError) { io.err(e.message); return 1; }
    if (isAppError(e)) { io.err(`postern: ${e.message}${e.fields ? `\n${e.fields.map((f) => `  ${f.field}: ${f.message}`).join('\n')}` : ''}`); return 1; }
    io.err(`postern: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

async function withDb<T>(fn: (db: Db, cfg: Config) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const db = await openDb(cfg.database.url, { log: createLogger('warn') });
  try { return await fn(db, cfg); } finally { await db.close(); }
}

const withAuth = <T>(fn: (auth: AuthService) => Promise<T>) => withDb(async (db, cfg) => {
  await migrateLatest(db.knex);
  return fn(authService({ config: cfg, db, log: createLogger('warn'), clock: systemClock, nodeId: cfg.nodeId }));
});

async function userCommand(sub: string, flags: Record<string, string | true>, io: Io): Promise<number> {
  const username = flags.username;
  if (typeof username !== 'string') { io.err(HELP[sub]!); return 2; }
  const given = typeof flags.password === 'string';
  const password = given ? (flags.password as string) : randomPassword();
  return withAuth(async (auth) => {
    if (sub === 'user create') {
      const u = await auth.createUser({
        username, password, role: typeof flags.role === 'string' ? flags.role : 'admin',
        email: typeof flags.email === 'string' ? flags.email : null, name: typeof flags.name === 'string' ? flags.name : '',
      });
      io.out(`Created ${u.role} '${u.username}' (id ${u.id})${given ? '' : ` with password: ${password}`}`);
      return 0;
    }
    const u = await auth.users.byUsername(username);
    if (!u) { io.err(`postern: no user '${username}'`); return 1; }
    await auth.updateUser(u.id, { password });
    io.out(`Password of '${u.username}' reset${given ? '' : `: ${password}`}`);
    return 0;
  });
}

async function serve(flags: Record<string, string | true>, io: Io): Promise<number> {
  const overrides = typeof flags.roles === 'string' ? { roles: flags.roles.split(',').map((r) => r.trim()) as Role[] } : undefined;
  const asked = loadConfig({ overrides });
  // The worker (and scheduler) go to a child process at a lower priority when this node also listens (server/cli/workerChild.ts).
  const split = workerSplit(asked.roles, asked.worker.process ?? 'separate', asked.database.url);
  const cfg = split.childRoles.length ? { ...asked, roles: split.parentRoles } : asked;
  const log = createLogger(cfg.log.level);
  const app = await createApp(cfg, { log });
  await app.start();
  const nice = cfg.worker.nice ?? 10;
  const worker = split.childRoles.length
    ? startWorkerChild({ log, roles: split.childRoles, nice, nodeId: cfg.nodeId, stopTimeoutMs: cfg.shutdownTimeoutMs + 5000 })
    : null;
  const isChild = Boolean(process.env[WORKER_CHILD_ENV]);
  const roles = worker ? `${cfg.roles.join(', ')}; ${split.childRoles.join(', ')} in process ${worker.pid()} at nice ${nice}` : cfg.roles.join(', ');
  const lines = [`Postern is running (roles: ${roles}).`];
  if (cfg.roles.includes('http')) lines.push(`Admin UI: ${cfg.publicUrl.replace(/\/$/, '')}/admin`);
  if (app.admin?.generated) {
    lines.push(`First start: log in as '${app.admin.username}' with password: ${app.admin.password}`,
      `(shown only this once; change it under Users, or run 'npx postern user reset-password --username admin')`);
  } else if (app.admin) {
    lines.push(`First start: log in as '${app.admin.username}' with the password from POSTERN_ADMIN_PASSWORD.`);
  } else if (cfg.roles.includes('http')) {
    lines.push(`Log in with your Postern account (lost it? 'npx postern user reset-password --username admin').`);
  }
  if (!isChild) io.out(lines.join('\n'));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ evt: 'app.stopping', signal }, `received ${signal}, stopping`);
    await worker?.stop();
    await app.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  stopWhenParentGone((why) => void stop(why));
  return new Promise<number>(() => { /* runs until a signal */ });
}

const invokedDirectly = (() => {
  try { return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href; } catch { return false; }
})();
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => { if (code !== 0) process.exit(code); }, (e) => { console.error(e); process.exit(1); });
}
