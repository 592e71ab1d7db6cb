/*
 * The MX listener: a thin adapter over smtp-server. Recipient policy comes from the
 * directory, storage from the committer; this file translates their answers into SMTP
 * replies. DATA is checked for bare CR/LF (refused: 550 5.5.2, see README) and size, then
 * committed before the 250. Sessions have command and session deadlines (guard.ts); AUTH
 * is not offered here and answers 503 5.5.1. Every refusal is reported through `refused`.
 */
import { SMTPServer, type SMTPServerSession, type SMTPServerDataStream } from 'smtp-server';
import type { Log } from '../log.js';
import type { Directory, RcptDecision } from '../inbound/directory.js';
import type { Committer } from '../inbound/committer.js';
import { receiveData, smtpError, listen, type Listening } from './data.js';
import { guardSessions, type SessionLimits } from './guard.js';
import { parseMailbox } from '../lib/addresses.js';
import type { TlsPair } from '../inbound/tls.js';
import type { SmtpRefused, SmtpRefusal } from '../operations/types.js';

export interface MxOptions {
  host: string; port: number; hostname: string; maxMessageBytes: number; maxRecipients: number; maxConnections: number;
  maxConnectionsPerIpPerMinute: number; socketTimeoutMs: number; limits: SessionLimits; tls: TlsPair;
  observeCommit?: (seconds: number) => void; directory: Directory; committer: Committer; log: Log;
  /** Told of every refusal at MAIL, RCPT and DATA (the mailer log); what to keep of it is decided there. */
  refused?: SmtpRefused;
}

/** Connections per IP in the last minute, per node (a sliding window of timestamps). */
function rateLimiter(perMinute: number) {
  const seen = new Map<string, number[]>();
  return (ip: string, now = Date.now()) => {
    const list = (seen.get(ip) ?? []).filter((t) => now - t < 60_000);
    list.push(now);
    seen.set(ip, list);
    if (seen.size > 10_000) for (const [k, v] of seen) if (!v.some((t) => now - t < 60_000)) seen.delete(k);
    return list.length <= perMinute;
  };
}

export async function startMx(o: MxOptions): Promise<Listening> {
  const log = o.log.child({ mod: 'smtp', listener: 'mx' });
  const allow = rateLimiter(o.maxConnectionsPerIpPerMinute);
  const decisions = new WeakMap<SMTPServerSession, RcptDecision[]>();
  /** The error smtp-server answers with, reported first. */
  const refuse = (session: SMTPServerSession, stage: SmtpRefusal['stage'], code: number, text: string, who: { from?: string; rcpt?: string } = {}) => {
    const from = who.from ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : null);
    o.refused?.({ listener: 'mx', stage, code, text, ip: session.remoteAddress, from, rcpt: who.rcpt ?? null });
    return smtpError(code, text);
  };
  const server = new SMTPServer({
    // AUTH stays enabled only for the handler below to answer it: a disabled command gets
    // smtp-server's "500 command not recognized".
    name: o.hostname, banner: 'Postern ESMTP', size: o.maxMessageBytes, authOptional: true,
    disableReverseLookup: true, maxClients: o.maxConnections, socketTimeout: o.socketTimeoutMs, closeTimeout: 30_000,
    key: o.tls.key, cert: o.tls.cert, logger: false, hideSize: false,
    onConnect(session, cb) {
      if (!allow(session.remoteAddress)) return cb(smtpError(421, '4.7.0 Too many connections from your address, slow down'));
      log.debug({ evt: 'smtp.connect', ip: session.remoteAddress }, 'connect');
      cb();
    },
    onMailFrom(address, session, cb) {
      decisions.set(session, []);
      if (address.address === '') return cb();
      const p = parseMailbox(address.address, { smtputf8: true });
      if (!p.ok) return cb(refuse(session, 'mail', 553, `5.1.7 Bad sender address syntax (${p.message})`, { from: address.address }));
      const size = Number((address.args as Record<string, string> | false | undefined || {})['SIZE'] ?? 0);
      if (size > o.maxMessageBytes) return cb(refuse(session, 'mail', 552, '5.3.4 Message size exceeds fixed maximum message size', { from: address.address }));
      cb();
    },
    onRcptTo(address, session, cb) {
      const list = decisions.get(session) ?? [];
      if (session.envelope.rcptTo.length >= o.maxRecipients) return cb(refuse(session, 'rcpt', 452, '4.5.3 Too many recipients', { rcpt: address.address }));
      o.directory.classify(address.address).then((d) => {
        if (!d.ok) {
          log.info({ evt: 'smtp.rcpt_rejected', ip: session.remoteAddress, rcpt: address.address, code: d.code }, 'recipient refused');
          return cb(refuse(session, 'rcpt', d.code, d.message, { rcpt: address.address }));
        }
        list.push(d);
        decisions.set(session, list);
        cb();
      }, (e) => { log.error({ evt: 'smtp.error', err: e }, 'recipient lookup failed'); cb(refuse(session, 'rcpt', 451, '4.3.0 Temporary lookup failure, try again later', { rcpt: address.address })); });
    },
    onData(stream: SMTPServerDataStream, session, cb) {
      const reply = (err: Error | null, message?: string) => {
        if (err) refuse(session, 'data', (err as { responseCode?: number }).responseCode ?? 451, err.message);
        cb(err, message);
      };
      receiveData(stream, log, reply, async (spool) => {
        const rcpts = decisions.get(session) ?? [];
        const id = await o.committer.commit({
          listener: 'mx', mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt_to: rcpts.map((r) => (r.ok ? r.address : '')), remote_ip: session.remoteAddress, helo: session.hostNameAppearsAs ?? '',
          tls: Boolean(session.secure), credential_id: null, size: spool.size, chunks: () => spool.chunks(),
          recipients: rcpts.flatMap((r) => (r.ok ? [{ address: r.address, kind: r.kind, mailbox_id: r.mailboxId, target_id: r.targetId }] : [])),
        });
        log.info({ evt: 'inbound.received', id, ip: session.remoteAddress, size: spool.size, rcpts: rcpts.length }, 'message stored');
        return `2.0.0 Ok: queued as ${id}`;
      }, o.observeCommit);
    },
  });
  // No mechanisms, so EHLO offers no AUTH (smtp-server fills in LOGIN PLAIN for an empty list at construction).
  server.options.authMethods = [];
  guardSessions(server, o.limits, log, (c) => {
    c.handler_AUTH = (_command, done) => { c.send(503, '5.5.1 Authentication is not available on this port: apps submit on the submission port'); done(); };
  });
  return listen(server, o.host, o.port, log, 'MX listener');
}
