/*
 * A raw SMTP client over a real socket for tests that need exact bytes (smuggling probes)
 * and exact replies: send a line or raw bytes, read the next complete reply.
 */
import { connect, type Socket } from 'node:net';

export interface Reply { code: number; text: string }

export class RawSmtp {
  private buf = '';
  private waiters: Array<(r: Reply) => void> = [];
  private replies: Reply[] = [];
  /** Resolves when the server (or close()) ended the connection. */
  readonly closed: Promise<void>;
  private constructor(private sock: Socket) {
    sock.on('data', (d) => { this.buf += d.toString('latin1'); this.parse(); });
    sock.on('error', () => { /* a reset after the server closed: `closed` reports it */ });
    this.closed = new Promise((resolve) => sock.once('close', () => resolve()));
  }
  static async open(port: number, host = '127.0.0.1'): Promise<{ c: RawSmtp; greeting: Reply }> {
    const sock = connect(port, host);
    await new Promise<void>((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
    const c = new RawSmtp(sock);
    return { c, greeting: await c.reply() };
  }
  private parse() {
    for (;;) {
      const m = /^(\d{3})([ -])(.*)\r\n/m.exec(this.buf);
      if (!m) return;
      // Wait for the last line of a multi-line reply.
      const lines: string[] = [];
      let rest = this.buf;
      let done: Reply | null = null;
      while (true) {
        const l = /^(\d{3})([ -])(.*)\r\n/.exec(rest);
        if (!l) break;
        lines.push(l[3]!);
        rest = rest.slice(l[0].length);
        if (l[2] === ' ') { done = { code: Number(l[1]), text: lines.join('\n') }; break; }
      }
      if (!done) return;
      this.buf = rest;
      const w = this.waiters.shift();
      if (w) w(done); else this.replies.push(done);
    }
  }
  reply(timeoutMs = 10_000): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no SMTP reply in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((x) => { clearTimeout(t); resolve(x); });
    });
  }
  write(raw: string | Buffer) { this.sock.write(raw); }
  async cmd(line: string): Promise<Reply> { this.write(`${line}\r\n`); return this.reply(); }
  close() { this.sock.destroy(); }
}
