/*
 * A throwaway Dovecot for IMAP tests: its own config in a temp dir, a free loopback port
 * (plain, and implicit TLS with a self-signed pair when asked), `doveadm` to produce each
 * sync situation (deliver, UIDVALIDITY change, UID gap, read elsewhere). Stopped and removed
 * in teardown: nothing is left running. Runs as root (see shared notes).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';

const run = promisify(execFile);
export const DOVECOT_PASSWORD = 'pass';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function greets(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect(port, '127.0.0.1');
    let buf = '';
    const done = (v: boolean) => { c.destroy(); res(v); };
    c.on('data', (d) => { buf += d.toString(); if (buf.includes('* OK')) done(true); });
    c.on('error', () => done(false));
    setTimeout(() => done(false), 1000);
  });
}

export interface Dovecot {
  port: number; tlsPort: number | null; dir: string; conf: string; certPem: string | null;
  doveadm(...args: string[]): Promise<string>;
  /** Delivers behind the sync's back (doveadm save). */
  deliver(user: string, raw: string, folder?: string): Promise<void>;
  /** Appends many messages fast over IMAP (flags per message, e.g. ['\\Seen']). */
  append(user: string, msgs: Array<{ raw: string; flags?: string[]; date?: Date }>, folder?: string): Promise<void>;
  /** Writes many messages straight into the user's INBOX maildir (fast; Dovecot gives them UIDs at its next look). */
  fill(user: string, msgs: Array<{ raw: string; flags?: string[] }>): Promise<void>;
  status(user: string, folder?: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** `t`: where to register the stop (a tap test, or the bench's own list). */
export async function startDovecot(t: { teardown(fn: () => Promise<void>): void }, o: { tls?: boolean } = {}): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-dovecot-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'mail'));
  execFileSync('chown', ['dovecot:dovecot', join(dir, 'mail')]);
  const port = await freePort();
  const tlsPort = o.tls ? await freePort() : null;
  let certPem: string | null = null;
  if (o.tls) {
    execFileSync('openssl', ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  }
  const uid = execFileSync('id', ['-u', 'dovecot']).toString().trim();
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(conf, [
    'protocols = imap', 'listen = 127.0.0.1', `base_dir = ${dir}/run`, `state_dir = ${dir}/state`, `log_path = ${dir}/dovecot.log`,
    o.tls ? `ssl = yes\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem` : 'ssl = no',
    `first_valid_uid = ${uid}`, 'disable_plaintext_auth = no', 'mail_fsync = never', 'auth_mechanisms = plain login', `mail_location = maildir:${dir}/mail/%n`,
    'passdb {\n  driver = static\n  args = password=pass\n}', `userdb {\n  driver = static\n  args = uid=dovecot gid=dovecot home=${dir}/mail/%n\n}`,
    `service imap-login {\n  inet_listener imap {\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = ${tlsPort ?? 0}\n  }\n}`, '',
  ].join('\n'));
  execFileSync('/usr/sbin/dovecot', ['-c', conf], { stdio: 'ignore' });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const pidFile = join(dir, 'run', 'master.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    await run('/usr/bin/doveadm', ['-c', conf, 'stop']).catch(() => undefined);
    for (let i = 0; pid && i < 100; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await new Promise((r) => setTimeout(r, 50));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(stop);
  for (let i = 0; i < 100 && !(await greets(port)); i++) await new Promise((r) => setTimeout(r, 50));
  const doveadm = async (...args: string[]) => (await run('/usr/bin/doveadm', ['-c', conf, ...args])).stdout;
  return {
    port, tlsPort, dir, conf, certPem, doveadm, stop,
    async deliver(user, raw, folder = 'INBOX') {
      await new Promise<void>((res, rej) => {
        const p = execFile('/usr/bin/doveadm', ['-c', conf, 'save', '-u', user, '-m', folder], (e) => (e ? rej(e) : res()));
        p.stdin!.end(raw);
      });
    },
    async append(user, msgs, folder = 'INBOX') {
      const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass: DOVECOT_PASSWORD }, logger: false });
      await c.connect();
      try { for (const m of msgs) await c.append(folder, m.raw, m.flags ?? [], m.date); } finally { await c.logout().catch(() => undefined); }
    },
    async fill(user, msgs) {
      const root = join(dir, 'mail', user);
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(root, sub), { recursive: true });
      const stamp = Date.now();
      msgs.forEach((m, i) => {
        const name = `${stamp}.M${String(i).padStart(6, '0')}P${process.pid}.postern`;
        if (m.flags?.includes('\\Seen')) writeFileSync(join(root, 'cur', `${name}:2,S`), m.raw);
        else writeFileSync(join(root, 'new', name), m.raw);
      });
      execFileSync('chown', ['-R', 'dovecot:dovecot', root]);
      await doveadm('mailbox', 'status', '-u', user, 'messages', 'INBOX');
    },
    async status(user, folder = 'INBOX') {
      const out = await doveadm('mailbox', 'status', '-u', user, 'uidvalidity uidnext messages', folder);
      return Object.fromEntries(out.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    },
  };
}

let seq = 0;
/** A small message with a unique Message-ID. */
export function mail(n: number, o: { tag?: string; date?: Date } = {}): { raw: string; messageId: string } {
  const messageId = `${o.tag ?? 'm'}-${n}-${process.pid}-${++seq}@test.example`;
  const raw = [
    'From: Alice <alice@remote.example>', 'To: team@imap.example', `Subject: message ${n}`, `Date: ${(o.date ?? new Date()).toUTCString()}`,
    `Message-ID: <${messageId}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `Body of message ${n}.`, '',
  ].join('\r\n');
  return { raw, messageId };
}
