/*
 * Deadlines for every SMTP session on top of smtp-server's idle timer (socketTimeout),
 * which any byte resets: a client dripping one byte every few seconds could hold a session
 * for hours. A command must arrive complete within commandTimeoutMs of our reply to the one
 * before (after 354: the whole message), and a session ends after sessionTimeoutMs. Either
 * answers 421 4.4.2 and closes, but never while we owe a reply: a message being committed
 * gets its answer first, so a 250 is never lost to a deadline.
 */
import type { SMTPServer, SMTPServerSession, SMTPServerDataStream } from 'smtp-server';
import type { Log } from '../log.js';

export interface SessionLimits { commandTimeoutMs: number; sessionTimeoutMs: number }

/**
 * The parts of smtp-server's connection used here. `_onCommand` and `handler_*` are not
 * public API; test/integration/smtp/deadlines.test.ts fails if a new version changes them.
 */
export interface GuardedConnection {
  session: SMTPServerSession; remoteAddress: string;
  _socket: { once(event: 'close', f: () => void): unknown };
  send(code: number, data?: string | string[] | null, context?: string | false): void;
  _onCommand(command: Buffer, callback?: () => void): void;
  [handler: `handler_${string}`]: ((command: Buffer, callback: () => void) => void) | undefined;
}

/** Arms the deadlines on each connection `server` accepts; `each` may adjust a connection first. */
export function guardSessions(server: SMTPServer, limits: SessionLimits, log: Log, each?: (c: GuardedConnection) => void): void {
  const dataEnded = new WeakMap<SMTPServerSession, () => void>();
  const conns = server.connections as unknown as Set<GuardedConnection>;
  const add = conns.add.bind(conns);
  // smtp-server adds each connection here before it reads a byte: the one place to wrap it.
  conns.add = (c) => { if (!conns.has(c)) watch(c); return add(c); };
  const onData = server.onData.bind(server);
  server.onData = (stream: SMTPServerDataStream, session, cb) => {
    const ended = dataEnded.get(session);
    if (ended) stream.once('end', ended);
    onData(stream, session, cb);
  };

  function watch(c: GuardedConnection) {
    each?.(c);
    let owed = false; // a command (or a message) is in and its reply not yet sent
    let pending: 'session' | null = null;
    let done = false;
    let commandTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = () => { done = true; clearTimeout(commandTimer); clearTimeout(sessionTimer); clearTimeout(graceTimer); };
    const send = c.send.bind(c);
    const finish = (what: 'command' | 'session') => {
      if (done) return;
      stop();
      log.info({ evt: 'smtp.deadline', ip: c.remoteAddress, deadline: what }, `${what} deadline passed, closing`);
      send(421, `4.4.2 ${what === 'command' ? 'Command' : 'Session'} time limit exceeded, closing connection`);
    };
    const sessionTimer = setTimeout(() => {
      if (!owed) return finish('session');
      // Answer what we owe first; a handler that never answers still gets cut off.
      pending = 'session';
      graceTimer = setTimeout(() => finish('session'), limits.commandTimeoutMs).unref();
    }, limits.sessionTimeoutMs).unref();
    c._socket.once('close', stop);
    c.send = (code, data, context) => {
      send(code, data, context);
      if (done) return;
      if (code === 421) return stop(); // smtp-server closes the connection after any 421
      owed = false;
      if (pending) return finish(pending);
      clearTimeout(commandTimer);
      commandTimer = setTimeout(() => finish('command'), limits.commandTimeoutMs).unref();
    };
    const onCommand = c._onCommand.bind(c);
    c._onCommand = (command, callback) => { owed = true; clearTimeout(commandTimer); onCommand(command, callback); };
    dataEnded.set(c.session, () => { owed = true; clearTimeout(commandTimer); });
  }
}
