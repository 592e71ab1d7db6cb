/*
 * DKIM signatures Postern adds, checked by mailauth (an independent verifier): they verify;
 * From, Sender, Subject… are oversigned, so a From (or Sender, Reply-To, Subject) that
 * anyone adds later, above or below the original, breaks the signature; bodies verify in
 * the canonical corner cases (trailing spaces and empty lines, no final CRLF, empty body).
 */
import t from 'tap';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startTestApp } from '../../helpers/app.js';

void (async () => {
  const { app } = await startTestApp(t);
  const dkim = app.services.dkim;
  const key = await dkim.generate('example.test', 's1');
  const resolver = async (name: string) => { if (name === key.dnsName) return [[key.dnsValue]]; throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' }); };
  const verify = async (raw: Buffer | string) => {
    const r = await dkimVerify(Buffer.isBuffer(raw) ? raw : Buffer.from(raw), { resolver: resolver as never });
    return (r.results as Array<{ status: { result: string; comment?: string } }>)[0]?.status.result;
  };
  const head = 'From: "App" <a@example.test>\r\nTo: x@example.org\r\nSubject: Invoice\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <m1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n';
  const msg = `${head}\r\nYour invoice.\r\n`;

  await t.test('a signature verifies and oversigns the identity headers', async (t) => {
    const signed = (await dkim.sign('example.test', Buffer.from(msg))).toString();
    t.equal(await verify(signed), 'pass');
    const h = /\bh=([^;]+)/.exec(signed.replace(/\r\n[ \t]/g, ' '))?.[1]?.replace(/\s+/g, '').split(':') ?? [];
    t.equal(h.filter((x) => x === 'from').length, 2, `from signed once and oversigned once: ${h.join(':')}`);
    for (const name of ['sender', 'reply-to', 'subject', 'date', 'to', 'message-id']) t.ok(h.includes(name), `${name} in h=`);
  });

  await t.test('a From, Sender, Reply-To or Subject added later breaks it, wherever it goes', async (t) => {
    const signed = (await dkim.sign('example.test', Buffer.from(msg))).toString();
    const sigEnd = signed.indexOf('\r\nFrom:') + 2; // the DKIM-Signature comes first
    const top = (line: string) => signed.slice(0, sigEnd) + line + signed.slice(sigEnd);
    const bottom = (line: string) => signed.replace('\r\n\r\n', `\r\n${line.trimEnd()}\r\n\r\n`);
    for (const line of ['From: ceo@bank.test\r\n', 'Sender: ceo@bank.test\r\n', 'Reply-To: ceo@bank.test\r\n', 'Subject: Urgent wire transfer\r\n']) {
      t.not(await verify(top(line)), 'pass', `${line.trim()} above the headers`);
      t.not(await verify(bottom(line)), 'pass', `${line.trim()} below the headers`);
    }
    t.not(await verify('From: ceo@bank.test\r\n' + signed), 'pass', 'a From above the signature');
  });

  await t.test('body canonicalization corner cases verify', async (t) => {
    for (const body of ['', '\r\n', 'a  \t b \r\n\r\n\r\n', 'no final line break', ' leading\r\n\ttab\r\n \r\n', 'x\r\n'.repeat(10_000)]) {
      const signed = await dkim.sign('example.test', Buffer.from(`${head}\r\n${body}`));
      t.equal(await verify(signed), 'pass', JSON.stringify(body.slice(0, 30)));
    }
    const folded = 'From: "App"\r\n  <a@example.test>\r\nSubject:  spaced   out  \r\n\tand folded\r\nTo: x@example.org\r\n\r\nbody\r\n';
    t.equal(await verify(await dkim.sign('example.test', Buffer.from(folded))), 'pass', 'folded and spaced headers');
  });

  await t.test('a domain without a key is left unsigned', async (t) => {
    t.equal((await dkim.sign('nokey.test', Buffer.from(msg))).toString(), msg);
  });
})();
