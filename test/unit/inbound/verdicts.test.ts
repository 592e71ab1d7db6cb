/*
 * Postern composes mailauth's verifiers itself (no BIMI), and unsigned mail skips the pass
 * over the whole message: every verdict must equal what mailauth's own authenticate()
 * gives, for unsigned mail in every case of the table and for signed mail (good, tampered).
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { authenticate } from 'mailauth';
import DKIM from 'nodemailer/lib/dkim';
import { verdicts, type DnsResolver, type AuthVerdicts } from '../../../server/inbound/pipeline/auth.js';
import { parseMessage } from '../../../server/lib/mime.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const dns: Record<string, string[][]> = {
  'pass.example': [['v=spf1 ip4:192.0.2.10 -all']],
  '_dmarc.pass.example': [['v=DMARC1; p=reject']],
  'soft.example': [['v=spf1 ~all']],
  '_dmarc.soft.example': [['v=DMARC1; p=quarantine']],
  'nodmarc.example': [['v=spf1 ip4:192.0.2.10 -all']],
  'sub.pass.example': [['v=spf1 ip4:192.0.2.10 -all']],
  'sel._domainkey.pass.example': [[`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`]],
};
const resolver: DnsResolver = async (name, type) => {
  const hit = type === 'TXT' ? dns[name.toLowerCase()] : undefined;
  if (hit) return hit;
  throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
};

const cases: Array<[string, { ip: string; sender: string; from: string }]> = [
  ['SPF pass, DMARC aligned pass', { ip: '192.0.2.10', sender: 'a@pass.example', from: 'Ann <a@pass.example>' }],
  ['SPF fail, DMARC fail', { ip: '198.51.100.7', sender: 'a@pass.example', from: 'a@pass.example' }],
  ['SPF pass on a subdomain, relaxed alignment', { ip: '192.0.2.10', sender: 'b@sub.pass.example', from: 'a@pass.example' }],
  ['SPF softfail', { ip: '198.51.100.7', sender: 'a@soft.example', from: 'a@soft.example' }],
  ['no DMARC record', { ip: '192.0.2.10', sender: 'a@nodmarc.example', from: 'a@nodmarc.example' }],
  ['From of another domain than the envelope', { ip: '192.0.2.10', sender: 'a@pass.example', from: 'x@soft.example' }],
  ['no SPF record anywhere', { ip: '192.0.2.10', sender: 'a@unknown.example', from: 'a@unknown.example' }],
  ['null sender (a bounce)', { ip: '192.0.2.10', sender: '', from: 'MAILER-DAEMON@pass.example' }],
  ['two From addresses', { ip: '192.0.2.10', sender: 'a@pass.example', from: 'a@pass.example, b@soft.example' }],
  ['no From at all', { ip: '192.0.2.10', sender: 'a@pass.example', from: '' }],
];

/** mailauth's own authenticate(), reduced to the four verdicts the way auth.ts reduces its own. */
async function reference(raw: Buffer, o: { ip: string; helo: string; sender: string; mta: string }) {
  const res = await authenticate(raw, { ...o, resolver: resolver as never, disableBimi: true });
  const dk = (res.dkim?.results ?? []) as Array<{ status?: { result?: string } }>;
  const pick = (x: unknown) => (x && typeof x === 'object' ? (x as { status?: { result?: string } }).status?.result ?? 'none' : 'none');
  return { spf: pick(res.spf), dkim: dk.length === 0 ? 'none' : dk.some((x) => x.status?.result === 'pass') ? 'pass' : (dk[0]?.status?.result ?? 'neutral'), dmarc: pick(res.dmarc), arc: pick(res.arc) };
}
const four = (v: AuthVerdicts) => ({ spf: v.spf, dkim: v.dkim, dmarc: v.dmarc, arc: v.arc });

for (const [name, c] of cases) {
  t.test(name, async (t) => {
    const raw = Buffer.from(`${c.from ? `From: ${c.from}\r\n` : ''}To: b@ours.example\r\nSubject: hi\r\nMessage-ID: <v1@x.example>\r\n\r\nbody\r\n`);
    const o = { ip: c.ip, helo: 'mx.sender.example', sender: c.sender, mta: 'mx.ours.example', resolver };
    const want = await reference(raw, o);
    t.same(four(await verdicts(raw, o)), want, `full path: ${want.spf}/${want.dmarc}`);
    t.same(four(await verdicts(raw, { ...o, headers: parseMessage(raw).headers.list })), want, 'without the body pass');
  });
}

t.test('signed mail: a good and a tampered signature, as mailauth says', async (t) => {
  const signer = new DKIM({ domainName: 'pass.example', keySelector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  const parts: Buffer[] = [];
  for await (const c of signer.sign('From: a@pass.example\r\nTo: b@ours.example\r\nSubject: signed\r\n\r\noriginal body\r\n')) parts.push(c as Buffer);
  const good = Buffer.concat(parts);
  const tampered = Buffer.from(good.toString().replace('original body', 'changed body!'));
  const o = { ip: '198.51.100.7', helo: 'mx.sender.example', sender: 'a@elsewhere.example', mta: 'mx.ours.example', resolver };
  for (const [label, raw, passes] of [['good', good, true], ['tampered', tampered, false]] as const) {
    const want = await reference(raw, o);
    t.equal(want.dkim === 'pass', passes, `mailauth: ${label} is ${want.dkim}`);
    t.same(four(await verdicts(raw, { ...o, headers: parseMessage(raw).headers.list })), want, `${label}: same verdicts (${want.dkim}/${want.dmarc})`);
  }
});

t.test('a DKIM-Signature header takes the full path (its result is not "none")', async (t) => {
  const raw = Buffer.from('From: a@pass.example\r\nDKIM-Signature: v=1; a=rsa-sha256; d=pass.example; s=x; h=from; bh=AAAA; b=AAAA\r\nSubject: hi\r\n\r\nbody\r\n');
  const v = await verdicts(raw, { ip: '192.0.2.10', helo: 'h', sender: 'a@pass.example', mta: 'mx', resolver, headers: parseMessage(raw).headers.list });
  t.not(v.dkim, 'none');
});
