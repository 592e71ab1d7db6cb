/*
 * Unsigned mail skips mailauth's pass over the whole message: its SPF and DMARC verdicts
 * must equal what the full authenticate() gives, for every case in the table.
 */
import t from 'tap';
import { verdicts, type DnsResolver } from '../../../server/inbound/pipeline/auth.js';
import { parseMessage } from '../../../server/bounces/mime.js';

const dns: Record<string, string[][]> = {
  'pass.example': [['v=spf1 ip4:192.0.2.10 -all']],
  '_dmarc.pass.example': [['v=DMARC1; p=reject']],
  'soft.example': [['v=spf1 ~all']],
  '_dmarc.soft.example': [['v=DMARC1; p=quarantine']],
  'nodmarc.example': [['v=spf1 ip4:192.0.2.10 -all']],
  'sub.pass.example': [['v=spf1 ip4:192.0.2.10 -all']],
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

for (const [name, c] of cases) {
  t.test(name, async (t) => {
    const raw = Buffer.from(`${c.from ? `From: ${c.from}\r\n` : ''}To: b@ours.example\r\nSubject: hi\r\nMessage-ID: <v1@x.example>\r\n\r\nbody\r\n`);
    const o = { ip: c.ip, helo: 'mx.sender.example', sender: c.sender, mta: 'mx.ours.example', resolver };
    const full = await verdicts(raw, o);
    const fast = await verdicts(raw, { ...o, headers: parseMessage(raw).headers.list });
    t.same({ spf: fast.spf, dkim: fast.dkim, dmarc: fast.dmarc, arc: fast.arc }, { spf: full.spf, dkim: full.dkim, dmarc: full.dmarc, arc: full.arc }, `${full.spf}/${full.dmarc}`);
  });
}

t.test('a DKIM-Signature header takes the full path (its result is not "none")', async (t) => {
  const raw = Buffer.from('From: a@pass.example\r\nDKIM-Signature: v=1; a=rsa-sha256; d=pass.example; s=x; h=from; bh=AAAA; b=AAAA\r\nSubject: hi\r\n\r\nbody\r\n');
  const v = await verdicts(raw, { ip: '192.0.2.10', helo: 'h', sender: 'a@pass.example', mta: 'mx', resolver, headers: parseMessage(raw).headers.list });
  t.not(v.dkim, 'none');
});
