/*
 * Authentication verdicts in the pipeline with a local DNS table (no network): a DKIM
 * signature made with a generated key passes, a body changed in transit fails, SPF follows
 * the published record, and a dead resolver gives temperror instead of a stall.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import { startTestApp } from '../../helpers/app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('SPF / DKIM / DMARC verdicts', async (t) => {
  const { app, api } = await startTestApp(t, { roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'S' }], worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } } });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const dns: Record<string, string[][]> = {
    'sel._domainkey.sender.example': [[`v=DKIM1; k=rsa; p=${pub}`]],
    'sender.example': [['v=spf1 ip4:127.0.0.1 -all']],
    '_dmarc.sender.example': [['v=DMARC1; p=reject']],
  };
  app.services.inboundPipeline.resolver = async (name: string, type: string) => {
    if (type === 'TXT' && dns[name.toLowerCase()]) return dns[name.toLowerCase()];
    throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  };
  const port = app.services.smtpPorts!.mx!;
  const signed = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, dkim: { domainName: 'sender.example', keySelector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } });
  t.teardown(() => signed.close());
  const get = async (mid: string) => {
    for (let i = 0; i < 100; i++) {
      const m = ((await (await api(`/api/v1/inbound?messageId=${mid}`)).json()) as any).items[0];
      if (m?.state === 'processed') return m;
      await sleep(50);
    }
    throw new Error('not processed');
  };

  await signed.sendMail({ from: 'a@sender.example', to: 'support@ours.example', subject: 'signed', text: 'hello', messageId: '<auth-1@sender.example>', envelope: { from: 'a@sender.example', to: 'support@ours.example' } });
  t.match(await get('auth-1@sender.example'), { dkim: 'pass', spf: 'pass', dmarc: 'pass' });

  // Sign, then change the body in transit: the signature must fail.
  const plain = nodemailer.createTransport({ streamTransport: true, buffer: true, dkim: { domainName: 'sender.example', keySelector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } });
  const info = await plain.sendMail({ from: 'a@sender.example', to: 'support@ours.example', subject: 'tampered', text: 'original body', messageId: '<auth-2@sender.example>' });
  const tampered = (info.message as Buffer).toString().replace('original body', 'changed body!');
  const raw = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  t.teardown(() => raw.close());
  // Envelope from another domain: SPF cannot align either, so DMARC has nothing aligned that passes.
  await raw.sendMail({ envelope: { from: 'a@elsewhere.example', to: 'support@ours.example' }, raw: tampered });
  const bad = await get('auth-2@sender.example');
  t.ok(['fail', 'neutral'].includes(bad.dkim), `a changed body does not verify (dkim ${bad.dkim})`);
  t.equal(bad.dmarc, 'fail', 'no aligned pass');

  // An encoded display name that decodes to an address of a domain whose SPF passes is a
  // name, not the From domain: DMARC must not pass on it (the real From is spoof.example).
  await raw.sendMail({ envelope: { from: 'a@sender.example', to: 'support@ours.example' },
    raw: 'From: =?utf-8?q?x_=3Ca=40sender.example=3E=2C?= <evil@spoof.example>\r\nMessage-ID: <auth-4@spoof.example>\r\nSubject: x\r\n\r\nbody\r\n' });
  const spoof = await get('auth-4@spoof.example');
  t.equal(spoof.spf, 'pass', 'the envelope domain passes SPF');
  t.not(spoof.dmarc, 'pass', `DMARC does not pass on a name that decodes to an aligned address (dmarc ${spoof.dmarc})`);
  t.equal(spoof.fromAddr, 'evil@spoof.example');

  // A resolver that never answers must not stall the pipeline.
  app.services.inboundPipeline.resolver = async () => { throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }); };
  await raw.sendMail({ envelope: { from: 'x@nodns.example', to: 'support@ours.example' }, raw: 'From: x@nodns.example\r\nMessage-ID: <auth-3@nodns.example>\r\nSubject: x\r\n\r\nbody\r\n' });
  const nodns = await get('auth-3@nodns.example');
  t.ok(['temperror', 'none'].includes(nodns.spf), `spf ${nodns.spf}`);
  t.ok(nodns.processedAt, 'processed anyway');
});
