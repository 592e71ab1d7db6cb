/*
 * A scripted upstream SMTP server on 127.0.0.1 for delivery tests: answers each recipient
 * by a rule (250, 421, 450, 550, drop the connection), can require AUTH, and records what
 * it accepted (envelope and bytes).
 */
import { SMTPServer } from 'smtp-server';

export type Rule = 'ok' | '421' | '450' | '550' | 'drop' | '451-4.7.0-toomany';
export interface Received { from: string; to: string[]; raw: Buffer }

/** `delayMs`: how long the upstream takes to answer each message's DATA (a slow provider). */
export async function startUpstream(o: { rules?: (rcpt: string) => Rule; auth?: { user: string; pass: string }; delayMs?: number } = {}) {
  const received: Received[] = [];
  const rules = o.rules ?? (() => 'ok' as Rule);
  const err = (code: number, msg: string) => Object.assign(new Error(msg), { responseCode: code });
  const server = new SMTPServer({
    disableReverseLookup: true, logger: false, authOptional: !o.auth, allowInsecureAuth: true, hideSTARTTLS: true,
    onAuth(auth, _s, cb) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) cb(null, { user: auth.username });
      else cb(err(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(addr, session, cb) {
      const r = rules(addr.address);
      if (r === 'ok') return cb();
      if (r === 'drop') { setImmediate(() => { for (const c of (server as any).connections) if (c.session?.id === session.id) c._socket.destroy(); }); return; }
      if (r === '421') return cb(err(421, '4.7.0 Too many connections, slow down'));
      if (r === '451-4.7.0-toomany') return cb(err(451, '4.7.0 Too many messages from your IP, try later'));
      if (r === '450') return cb(err(450, '4.2.1 Mailbox busy, try again later'));
      return cb(err(550, '5.1.1 <' + addr.address + '>: Recipient address rejected: User unknown in virtual mailbox table'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        const n = received.length;
        setTimeout(() => cb(null, `OK queued as U${n}`), o.delayMs ?? 0);
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}
