/*
 * A connection that looks up but answers nothing: a small loopback IMAP server that logs in,
 * opens INBOX, idles, and then falls silent (from its second NOOP on) without closing. With the
 * stall limit shortened the account turns `stalled` (with the reason) and the session reconnects.
 */
import t from 'tap';
import { createServer, type Socket, type AddressInfo } from 'node:net';
import { buildTestServices } from '../../helpers/services.js';
import { ADMIN, startSync, until } from './rig.js';

t.test('a stalled connection is reported and replaced', async (t) => {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let silent = false;
    let idleTag = '';
    let noops = 0;
    let buf = '';
    sock.write('* OK [CAPABILITY IMAP4rev1 IDLE] fake server ready\r\n');
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (silent) continue;
        const [tag, cmd = ''] = line.split(' ');
        const c = cmd.toUpperCase();
        if (c === 'CAPABILITY') sock.write(`* CAPABILITY IMAP4rev1 IDLE\r\n${tag} OK done\r\n`);
        else if (c === 'LIST') sock.write(`* LIST (\\HasNoChildren) "/" INBOX\r\n${tag} OK done\r\n`);
        else if (c === 'EXAMINE' || c === 'SELECT') sock.write(`* 0 EXISTS\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n${tag} OK [READ-ONLY] done\r\n`);
        else if (c === 'IDLE') { idleTag = tag!; sock.write('+ idling\r\n'); }
        else if (tag === 'DONE') sock.write(`${idleTag} OK idle done\r\n`);
        else if (c === 'NOOP' && ++noops > 1) silent = true; // the connection stays up, and nothing answers any more
        else sock.write(`${tag} OK done\r\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  const port = (server.address() as AddressInfo).port;

  const { s } = await buildTestServices(t, 'sqlite');
  const a = await s.imap.create({ name: 'fake', kind: 'group', host: '127.0.0.1', port, security: 'none', username: 'u', password: 'p', verifyCert: false }, ADMIN);
  await startSync(t, s, { pollMs: 200, stalledMs: 800, tickMs: 100, backoff: { baseMs: 300, maxMs: 300, jitter: 0 } });
  await until(t, 'stalled', async () => (await s.imap.repo.get(a.id))!.state === 'stalled', 10_000);
  t.match((await s.imap.repo.get(a.id))!.last_error, /nothing succeeded/);
  await until(t, 'a new connection', async () => connections >= 2, 10_000);
  t.ok(connections >= 2, `reconnected (${connections} connections)`);
});
