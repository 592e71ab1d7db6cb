/*
 * "Test connection" of an SMTP server (an upstream account, or an IMAP account's own SMTP
 * side): connect, EHLO, TLS as configured, AUTH, and the stage that failed with the server's
 * own words.
 */
import nodemailer from 'nodemailer';

export interface SmtpTarget { host: string; port: number; security: string; username: string | null; password: string | null; verifyCert: boolean }
/** Connects, says EHLO, upgrades and authenticates as configured; names the stage that failed with the server's words. */
export async function testSmtp(a: SmtpTarget): Promise<{ ok: boolean; stage: 'DNS' | 'TCP' | 'TLS' | 'AUTH' | 'OK'; message: string }> {
  const t = nodemailer.createTransport({ host: a.host, port: a.port, secure: a.security === 'tls', requireTLS: a.security === 'starttls', ignoreTLS: a.security === 'none',
    auth: a.username ? { user: a.username, pass: a.password ?? '' } : undefined, tls: { rejectUnauthorized: a.verifyCert }, connectionTimeout: 10_000, greetingTimeout: 10_000 });
  try {
    await t.verify();
    return { ok: true, stage: 'OK', message: 'Connected and authenticated' };
  } catch (e) {
    const err = e as { code?: string; message: string; response?: string };
    const stage = err.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(err.message) ? 'DNS' : err.code === 'EAUTH' ? 'AUTH' : err.code === 'ETLS' || /tls|certificate|ssl/i.test(err.message) ? 'TLS' : 'TCP';
    return { ok: false, stage, message: err.response ?? err.message };
  } finally { t.close(); }
}
