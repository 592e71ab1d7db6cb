/*
 * The submission listener for apps: AUTH PLAIN/LOGIN with app credentials before MAIL,
 * only over TLS unless the client is on loopback, throttled after failures (authThrottle),
 * sender and header From/Sender limited to the credential's domains (headerCheck), a
 * per-credential rate, session deadlines (guard). Accepted mail gets a Date if it has
 * none and is stored like MX mail, every recipient marked `relay`, for the outbound queue.
 * Every refusal is reported through `refused` (the mailer log).
 */
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Log } from '../log.js';
import type { Committer } from '../inbound/committer.js';
import type { CredentialsService } from '../inbound/credentials.js';
import { senderAllowed } from '../inbound/credentials.js';
import type { CredentialRow } from '../db/repos/credentials.js';
import { isLoopbackIp, parseMailbox } from '../lib/addresses.js';
import { createAuthThrottle, type AuthThrottlePolicy } from '../inbound/authThrottle.js';
import { checkSubmittedHeaders } from '../outbound/compose/headerCheck.js';
import type { TlsPair } from '../inbound/tls.js';
import { receiveData, headerBytes, smtpError, listen, type Listening } from './data.js';
import { guardSessions, type SessionLimits } from './guard.js';
import type { SmtpRefused, SmtpRefusal } from '../operations/types.js';

export interface SubmissionOptions {
  host: string; port: number; hostname: string; maxMessageBytes: number; maxRecipients: number; maxConnections: number; socketTimeoutMs: number;
  limits: SessionLimits; auth: AuthThrottlePolicy; tls: TlsPair; observeCommit?: (seconds: number) => void; credentials: CredentialsService; committer: Committer; log: Log;
  refused?: SmtpRefused;
}

/** RFC 5322 date-time in UTC (the MSA adds one when the app did not, RFC 6409 8.1). */
const dateHeader = (d: Date) => Buffer.from(`Date: ${d.toUTCString().replace(/ GMT$/, ' +0000')}\r\n`);

export async function startSubmission(o: SubmissionOptions): Promise<Listening> {
  const log = o.log.child({ mod: 'smtp', listener: 'submission' });
  const throttle = createAuthThrottle(o.auth);
  const failures = new WeakMap<object, number>(); // per connection (the session object lives as long)
  /** The error smtp-server answers with, reported first. */
  const refuse = (session: SMTPServerSession, stage: SmtpRefusal['stage'], code: number, text: string, who: { from?: string; rcpt?: string } = {}) => {
    const from = who.from ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : null);
    o.refused?.({ listener: 'submission', stage, code, text, ip: session.remoteAddress, from, rcpt: who.rcpt ?? null });
    return smtpError(code, text);
  };
  const server = new SMTPServer({
    name: o.hostname, banner: 'Postern submission', size: o.maxMessageBytes, authMethods: ['PLAIN', 'LOGIN'], authOptional: false,
    // Checked per session in onAuth: TLS required except from loopback.
    allowInsecureAuth: true, disableReverseLookup: true, maxClients: o.maxConnections, socketTimeout: o.socketTimeoutMs, closeTimeout: 30_000,
    key: o.tls.key, cert: o.tls.cert, logger: false,
    onAuth(auth, session, cb) {
      if (!session.secure && !isLoopbackIp(session.remoteAddress)) return cb(refuse(session, 'auth', 538, '5.7.11 Encryption required: use STARTTLS before AUTH'));
      const ip = session.remoteAddress;
      const mine = failures.get(session) ?? 0;
      const wait = throttle.delayFor(ip, mine);
      // Every attempt after recent failures waits, right or wrong: a client cannot learn the
      // answer early by hanging up, and the real app is slowed down, never locked out.
      setTimeout(() => o.credentials.verify(auth.username ?? '', auth.password ?? '').then((c) => {
        if (!c) {
          failures.set(session, mine + 1);
          const cut = throttle.failed(ip, mine + 1);
          log.info({ evt: 'smtp.auth_failed', ip, username: auth.username, failures: mine + 1, delayMs: wait }, 'authentication failed');
          if (cut) {
            log.warn({ evt: 'smtp.auth_throttled', ip, failures: mine + 1 }, 'too many failed AUTH attempts, closing');
            return cb(refuse(session, 'auth', 421, '4.7.0 Too many failed authentication attempts, closing connection'));
          }
          return cb(refuse(session, 'auth', 535, `5.7.8 Authentication credentials invalid`, { from: auth.username ?? '' }));
        }
        throttle.succeeded(ip);
        cb(null, { user: c });
      }, (e) => { log.error({ evt: 'smtp.error', err: e }, 'auth lookup failed'); cb(smtpError(454, '4.7.0 Temporary authentication failure')); }), wait);
    },
    onMailFrom(address, session, cb) {
      const c = session.user as CredentialRow | undefined;
      if (!c) return cb(refuse(session, 'mail', 530, '5.7.0 Authentication required', { from: address.address }));
      const p = parseMailbox(address.address);
      if (!p.ok) return cb(refuse(session, 'mail', 553, `5.1.7 Bad sender address (${p.message})`, { from: address.address }));
      if (!senderAllowed(c.allowed_senders, p.address)) return cb(refuse(session, 'mail', 553, `5.7.1 ${p.address} is not a sender this credential may use`, { from: p.address }));
      o.credentials.withinRate(c).then((ok) => (ok ? cb() : cb(refuse(session, 'mail', 451, `4.7.1 Rate limit of ${c.rate_per_minute} messages per minute reached, try again later`, { from: p.address }))),
        (e) => { log.error({ evt: 'smtp.error', err: e }, 'rate check failed'); cb(smtpError(451, '4.3.0 Temporary failure')); });
    },
    onRcptTo(address, session, cb) {
      if (session.envelope.rcptTo.length >= o.maxRecipients) return cb(refuse(session, 'rcpt', 452, '4.5.3 Too many recipients', { rcpt: address.address }));
      const p = parseMailbox(address.address);
      if (!p.ok) return cb(refuse(session, 'rcpt', 553, `5.1.3 Bad recipient address (${p.message})`, { rcpt: address.address }));
      cb();
    },
    onData(stream: SMTPServerDataStream, session, cb) {
      const c = session.user as CredentialRow;
      const reply = (err: Error | null, message?: string) => {
        if (err) refuse(session, 'data', (err as { responseCode?: number }).responseCode ?? 451, err.message);
        cb(err, message);
      };
      receiveData(stream, log, reply, async (spool) => {
        const { head, complete } = await headerBytes(spool);
        if (!complete) throw smtpError(550, '5.6.0 Header section longer than 256 KiB');
        const check = checkSubmittedHeaders(head, (a) => senderAllowed(c.allowed_senders, a));
        if (!check.ok) {
          log.info({ evt: 'smtp.header_refused', ip: session.remoteAddress, credential: c.id, code: check.code, reason: check.message }, 'submitted headers refused');
          throw smtpError(check.code, check.message);
        }
        const date = check.hasDate ? null : dateHeader(new Date());
        const rcpts = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const id = await o.committer.commit({
          listener: 'submission', mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', rcpt_to: rcpts,
          remote_ip: session.remoteAddress, helo: session.hostNameAppearsAs ?? '', tls: Boolean(session.secure), credential_id: c.id,
          size: spool.size + (date?.length ?? 0), chunks: date ? async function* () { yield date; yield* spool.chunks(); } : () => spool.chunks(), recipients: rcpts.map((address) => ({ address, kind: 'relay', mailbox_id: null, target_id: null })),
        });
        log.info({ evt: 'inbound.submitted', id, credential: c.id, size: spool.size, rcpts: rcpts.length }, 'submission stored for relay');
        return `2.0.0 Ok: queued as ${id}`;
      }, o.observeCommit);
    },
  });
  guardSessions(server, o.limits, log);
  return listen(server, o.host, o.port, log, 'submission listener');
}
