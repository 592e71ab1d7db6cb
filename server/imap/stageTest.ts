/*
 * "Test connection" for an IMAP account, stage by stage (dns, tcp, tls, login, select), with
 * the server's own words when one fails; and for its own SMTP sending side, the same check the
 * upstream accounts' test runs (nodemailer verify: DNS, TCP, TLS, AUTH).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ImapFlow } from 'imapflow';
import { errorText, stageOf, type Stage } from './logic.js';

export interface StageResult { ok: boolean; stage: Stage | 'ok'; message: string }
export interface ImapTarget { host: string; port: number; security: 'tls' | 'starttls' | 'none'; username: string; password: string; verifyCert: boolean; folders: string[] }

export async function testImap(t: ImapTarget, timeoutMs = 10_000): Promise<StageResult> {
  if (!isIP(t.host)) {
    try { await lookup(t.host); } catch (e) { return { ok: false, stage: 'dns', message: errorText(e) }; }
  }
  const c = new ImapFlow({
    host: t.host, port: t.port, secure: t.security === 'tls', doSTARTTLS: t.security === 'starttls' ? true : t.security === 'none' ? false : undefined,
    auth: { user: t.username, pass: t.password }, tls: { rejectUnauthorized: t.verifyCert }, logger: false, disableAutoIdle: true,
    connectionTimeout: timeoutMs, greetingTimeout: timeoutMs,
  });
  c.on('error', () => undefined);
  try {
    try { await c.connect(); } catch (e) { return { ok: false, stage: c.authenticated ? 'select' : stageOf(e), message: errorText(e) }; }
    for (const f of t.folders.length ? t.folders : ['INBOX']) {
      try { await c.mailboxOpen(f, { readOnly: true }); } catch (e) { return { ok: false, stage: 'select', message: `${f}: ${errorText(e)}` }; }
    }
    return { ok: true, stage: 'ok', message: `Connected, logged in and opened ${(t.folders.length ? t.folders : ['INBOX']).join(', ')}` };
  } finally {
    await Promise.race([c.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    try { c.close(); } catch { /* closed */ }
  }
}

export { testSmtp, type SmtpTarget } from '../outbound/accounts/smtpTest.js';
