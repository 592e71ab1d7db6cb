/*
 * Hostile SMTP clients over real sockets, with short limits so the test takes seconds: a
 * client that drips bytes (each one resets the idle timer) is cut off with 421 4.4.2 at the
 * command deadline, in a command or in DATA, on both listeners; a client that keeps sending
 * quick commands is cut off at the session deadline; AUTH on the MX port is "not available".
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { RawSmtp } from '../../helpers/smtp-client.js';

const COMMAND_MS = 500;
const SESSION_MS = 2500;

void (async () => {
  const tdb = await createTestDb('sqlite');
  t.teardown(() => tdb.cleanup());
  const { app } = await startTestApp(t, {
    tdb, roles: ['smtp'],
    overrides: {
      domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }],
      smtp: { port: 0, submissionPort: 0, socketTimeoutMs: 1000, commandTimeoutMs: COMMAND_MS, sessionTimeoutMs: SESSION_MS },
    },
  });
  const { mx, submission } = app.services.smtpPorts!;
  const count = async () => Number(((await tdb.db.knex('inbound_messages').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

  /** Writes `text` one byte every `everyMs` until the connection closes. */
  function drip(c: RawSmtp, text: string, everyMs: number) {
    let open = true;
    void c.closed.then(() => { open = false; });
    void (async () => { for (const ch of text) { if (!open) return; c.write(ch); await sleep(everyMs); } })();
  }

  async function cutOff(t: Tapish, c: RawSmtp, since: number, min: number, max: number) {
    const r = await c.reply(max + 2000);
    const ms = Date.now() - since;
    t.equal(r.code, 421, `${r.code} ${r.text}`);
    t.match(r.text, /^4\.4\.2 /);
    t.ok(ms >= min && ms <= max, `cut off after ${ms} ms (expected ${min}–${max})`);
    await c.closed;
  }
  type Tapish = { equal: typeof t.equal; match: typeof t.match; ok: typeof t.ok };

  for (const [name, port] of [['MX', mx!], ['submission', submission!]] as const) {
    await t.test(`${name}: a command dripped a byte at a time ends at the command deadline`, async (t) => {
      const { c } = await RawSmtp.open(port);
      t.equal((await c.cmd('EHLO drip.example')).code, 250);
      const since = Date.now();
      drip(c, 'MAIL FROM:<a@example.net>\r\n', 100); // 2.7 s for the line; idle never exceeds 100 ms
      await cutOff(t, c, since, COMMAND_MS * 0.9, COMMAND_MS + 700);
    });
  }

  await t.test('MX: message content dripped after 354 ends at the command deadline, nothing stored', async (t) => {
    const before = await count();
    const { c } = await RawSmtp.open(mx!);
    await c.cmd('EHLO drip.example');
    t.equal((await c.cmd('MAIL FROM:<a@example.net>')).code, 250);
    t.equal((await c.cmd('RCPT TO:<support@ours.example>')).code, 250);
    t.equal((await c.cmd('DATA')).code, 354);
    const since = Date.now();
    drip(c, 'Subject: slow\r\n\r\n' + 'line\r\n'.repeat(20) + '.\r\n', 50);
    await cutOff(t, c, since, COMMAND_MS * 0.9, COMMAND_MS + 700);
    t.equal(await count(), before);
  });

  await t.test('MX: quick commands forever end at the session deadline; an in-time session is untouched', async (t) => {
    const since = Date.now();
    const { c } = await RawSmtp.open(mx!);
    await c.cmd('EHLO busy.example');
    let last = 250;
    while (last === 250 && Date.now() - since < SESSION_MS + 3000) {
      const r = await c.cmd('NOOP');
      last = r.code;
      if (r.code !== 250) {
        t.equal(r.code, 421);
        t.match(r.text, /^4\.4\.2 Session/);
      }
      await sleep(100);
    }
    const ms = Date.now() - since;
    t.ok(ms >= SESSION_MS * 0.9 && ms <= SESSION_MS + 1000, `cut off after ${ms} ms`);
    await c.closed;

    const { c: ok } = await RawSmtp.open(mx!);
    await ok.cmd('EHLO quick.example');
    await ok.cmd('MAIL FROM:<a@example.net>');
    await ok.cmd('RCPT TO:<support@ours.example>');
    await ok.cmd('DATA');
    ok.write('Subject: quick\r\n\r\nbody\r\n.\r\n');
    t.equal((await ok.reply()).code, 250);
    t.equal((await ok.cmd('QUIT')).code, 221);
  });

  await t.test('MX: AUTH is not offered and answers 503 5.5.1', async (t) => {
    const { c } = await RawSmtp.open(mx!);
    const ehlo = await c.cmd('EHLO x');
    t.notMatch(ehlo.text, /AUTH/);
    for (const cmd of ['AUTH PLAIN AGFAYg==', 'AUTH LOGIN', 'AUTH']) {
      const r = await c.cmd(cmd);
      t.equal(r.code, 503, `${cmd} → ${r.code} ${r.text}`);
      t.match(r.text, /^5\.5\.1 /);
    }
    t.equal((await c.cmd('NOOP')).code, 250, 'the session goes on');
    c.close();
  });
})();
