/*
 * Reading DATA for both listeners: spool the stream, watch for bare CR/LF, and answer the
 * way every listener must (552 over size, 550 5.5.2 for bare line endings) before the
 * listener's own store step; 451 4.3.0 if storing fails. Shared so the two ports cannot drift.
 */
import type { SMTPServer, SMTPServerDataStream } from 'smtp-server';
import type { Log } from '../log.js';
import { Spool, BareLineEndingCheck } from '../inbound/spool.js';

export const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/** Reads the stream, then calls `store(spool)`; replies through `cb` in every case. */
export function receiveData(
  stream: SMTPServerDataStream, log: Log, cb: (err: Error | null, message?: string) => void,
  store: (spool: Spool) => Promise<string>, observe?: (seconds: number) => void,
) {
  const spool = new Spool();
  const bare = new BareLineEndingCheck();
  let failed: Error | null = null;
  let writing: Promise<void> = Promise.resolve();
  stream.on('data', (chunk: Buffer) => {
    bare.feed(chunk);
    writing = writing.then(() => spool.write(chunk)).catch((e: Error) => { failed = e; });
  });
  stream.on('end', () => {
    bare.end();
    const ended = process.hrtime.bigint();
    void (async () => {
      try {
        await writing;
        await spool.finish();
        if (stream.sizeExceeded) return cb(smtpError(552, '5.3.4 Message size exceeds fixed maximum message size'));
        if (bare.found) return cb(smtpError(550, '5.5.2 Bare CR or LF in message data is not allowed: lines must end with CRLF'));
        if (failed) throw failed;
        const reply = await store(spool);
        observe?.(Number(process.hrtime.bigint() - ended) / 1e9);
        cb(null, reply);
      } catch (e) {
        const code = (e as { responseCode?: number }).responseCode;
        if (code) return cb(e as Error);
        log.error({ evt: 'smtp.store_failed', err: e }, 'could not store message');
        cb(smtpError(451, '4.3.0 Temporary storage failure, try again later'));
      } finally {
        spool.dispose();
      }
    })();
  });
}

const HEAD_LIMIT = 256 * 1024;

/**
 * The start of a spooled message through the empty line that ends its header section
 * (at most 256 KiB); `complete` is false when the section goes on past that.
 */
export async function headerBytes(spool: Spool): Promise<{ head: Buffer; complete: boolean }> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of spool.chunks()) {
    parts.push(chunk); n += chunk.length;
    const all = Buffer.concat(parts, n);
    const end = all.indexOf('\r\n\r\n');
    if (end >= 0 && end + 4 <= HEAD_LIMIT) return { head: all.subarray(0, end + 4), complete: true };
    if (n >= HEAD_LIMIT) return { head: all.subarray(0, HEAD_LIMIT), complete: false };
  }
  return { head: Buffer.concat(parts, n), complete: true };
}

export interface Listening { port: number; stop(timeoutMs: number): Promise<void> }

/** Binds a listener; stop() stops accepting and waits for open sessions (bounded by timeoutMs). */
export async function listen(server: SMTPServer, host: string, port: number, log: Log, label: string): Promise<Listening> {
  server.on('error', (e) => log.warn({ evt: 'smtp.error', err: e }, 'SMTP server error'));
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => { server.off('error', reject); resolve(); }); });
  const addr = server.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  log.info({ evt: 'smtp.listening', port: bound }, `${label} on ${host}:${bound}`);
  return { port: bound, stop: (timeoutMs) => new Promise<void>((resolve) => { const t = setTimeout(resolve, timeoutMs); server.close(() => { clearTimeout(t); resolve(); }); }) };
}
