/*
 * The submission listener for apps: AUTH PLAIN/LOGIN with app credentials before MAIL,
 * only over TLS unless the client is on loopback, sender and header From limited to the
 * credential's domains, a per-credential rate. Accepted mail is stored like MX mail, with
 * every recipient marked `relay`, for the outbound queue to deliver.
 */
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import type { Log } from '../log.js';
import type { Committer } from '../inbound/committer.js';
import type { CredentialsService } from '../inbound/credentials.js';
import { senderAllowed } from '../inbound/credentials.js';
import type { CredentialRow } from '../db/repos/credentials.js';
import { isLoopbackIp, parseMailbox } from '../lib/addresses.js';
import { parseHeaders } from '../bounces/mime.js';
import type { TlsPair } from '../inbound/tls.js';
import { receiveData, headerBlock, smtpError, listen, type Listening } from './data.js';

export interface SubmissionOptions {
  host: string; port: number; hostname: string; maxMessageBytes: number; maxRecipients: number; maxConnections: number; socketTimeoutMs: number;
  tls: TlsPair; observeCommit?: (seconds: number) => void; credentials: CredentialsService; committer: Committer; log: Log;
}

const ADDR = /[^\s<>",;]+@[^\s<>",;]+/g;

export async function startSubmission(o: SubmissionOptions): Promise<Listening> {
  const log = o.log.child({ mod: 'smtp', listener: 'submission' });
  const server = new SMTPServer({
    name: o.hostname, banner: 'Postern submission', size: o.maxMessageBytes, authMethods: ['PLAIN', 'LOGIN'], authOptional: false,
    // Checked per session in onAuth: TLS required except from loopback.
    allowInsecureAuth: true, disableReverseLookup: true, maxClients: o.maxConnections, socketTimeout: o.socketTimeoutMs, closeTimeout: 30_000,
    key: o.tls.key, cert: o.tls.cert, logger: false,
    onAuth(auth, session, cb) {
      if (!session.secure && !isLoopbackIp(session.remoteAddress)) return cb(smtpError(538, '5.7.11 Encryption required: use STARTTLS before AUTH'));
      o.credentials.verify(auth.username ?? '', auth.password ?? '').then((c) => {
        if (!c) {
          log.info({ evt: 'smtp.auth_failed', ip: session.remoteAddress, username: auth.username }, 'authentication failed');
          return cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
        }
        cb(null, { user: c });
      }, (e) => { log.error({ evt: 'smtp.error', err: e }, 'auth lookup failed'); cb(smtpError(454, '4.7.0 Temporary authentication failure')); });
    },
    onMailFrom(address, session, cb) {
      const c = session.user as CredentialRow | undefined;
      if (!c) return cb(smtpError(530, '5.7.0 Authentication required'));
      const p = parseMailbox(address.address);
      if (!p.ok) return cb(smtpError(553, `5.1.7 Bad sender address (${p.message})`));
      if (!senderAllowed(c.allowed_senders, p.address)) return cb(smtpError(553, `5.7.1 ${p.address} is not a sender this credential may use`));
      o.credentials.withinRate(c).then((ok) => (ok ? cb() : cb(smtpError(451, `4.7.1 Rate limit of ${c.rate_per_minute} messages per minute reached, try again later`))),
        (e) => { log.error({ evt: 'smtp.error', err: e }, 'rate check failed'); cb(smtpError(451, '4.3.0 Temporary failure')); });
    },
    onRcptTo(address, session, cb) {
      if (session.envelope.rcptTo.length >= o.maxRecipients) return cb(smtpError(452, '4.5.3 Too many recipients'));
      const p = parseMailbox(address.address);
      if (!p.ok) return cb(smtpError(553, `5.1.3 Bad recipient address (${p.message})`));
      cb();
    },
    onData(stream: SMTPServerDataStream, session, cb) {
      const c = session.user as CredentialRow;
      receiveData(stream, log, cb, async (spool) => {
        const headers = parseHeaders((await headerBlock(spool)).replace(/\r\n/g, '\n'));
        const froms = [...(headers.get('from') ?? '').matchAll(ADDR)].map((m) => m[0].toLowerCase());
        const foreign = froms.find((f) => !senderAllowed(c.allowed_senders, f));
        if (!froms.length || foreign) throw smtpError(553, `5.7.1 Header From ${foreign ?? '(missing)'} is not a sender this credential may use`);
        const rcpts = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const id = await o.committer.commit({
          listener: 'submission', mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', rcpt_to: rcpts,
          remote_ip: session.remoteAddress, helo: session.hostNameAppearsAs ?? '', tls: Boolean(session.secure), credential_id: c.id,
          size: spool.size, chunks: () => spool.chunks(), recipients: rcpts.map((address) => ({ address, kind: 'relay', mailbox_id: null, target_id: null })),
        });
        log.info({ evt: 'inbound.submitted', id, credential: c.id, size: spool.size, rcpts: rcpts.length }, 'submission stored for relay');
        return `2.0.0 Ok: queued as ${id}`;
      }, o.observeCommit);
    },
  });
  return listen(server, o.host, o.port, log, 'submission listener');
}
