/* VERP addresses: round trip, case changes, tampering, foreign domains. */
import t from 'tap';
import { makeVerpAddress, parseVerpAddress, verpToken } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';

const key = deriveKey('test-secret-0123456789', 'verp');
const cfg = { key, prefix: 'b', bounceDomains: ['bounce.example.com'] };

t.test('round trip for small and huge ids, local part within 64 octets', async (t) => {
  for (const id of [1, 255, 256, 65_537, 123_456_789, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
    const a = makeVerpAddress({ key, prefix: 'b', bounceDomain: 'bounce.example.com', id });
    t.same(parseVerpAddress(cfg, a), { ok: true, id }, a);
    t.ok(a.split('@')[0]!.length <= 64);
    t.equal(a, a.toLowerCase(), 'lower case only');
  }
});

const good = makeVerpAddress({ key, prefix: 'b', bounceDomain: 'bounce.example.com', id: 4242 });
const [local, domain] = good.split('@') as [string, string];
const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);

const cases: Array<[string, string, ReturnType<typeof parseVerpAddress>]> = [
  ['upper-cased by a provider', good.toUpperCase(), { ok: true, id: 4242 }],
  ['in angle brackets, trailing dot', `<${local}@${domain}.>`, { ok: true, id: 4242 }],
  ['one token character changed', `${flip(local, 5)}@${domain}`, { ok: false, reason: 'bad-token' }],
  ['last token character changed', `${flip(local, local.length - 1)}@${domain}`, { ok: false, reason: 'bad-token' }],
  ['token truncated', `${local.slice(0, -3)}@${domain}`, { ok: false, reason: 'bad-token' }],
  ['non-base32 characters', `b-0189!!@${domain}`, { ok: false, reason: 'bad-token' }],
  ['another domain', `${local}@example.com`, { ok: false, reason: 'not-verp' }],
  ['look-alike domain', `${local}@bounce.example.com.evil.test`, { ok: false, reason: 'not-verp' }],
  ['another prefix', `x-${verpToken(key, 4242)}@${domain}`, { ok: false, reason: 'not-verp' }],
  ['a normal mailbox on the bounce domain', `postmaster@${domain}`, { ok: false, reason: 'not-verp' }],
];
for (const [name, addr, want] of cases) t.test(name, async (t) => t.same(parseVerpAddress(cfg, addr), want));

t.test('every single-character change of the token is refused (canonical base32 only)', async (t) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let accepted = 0;
  for (let i = 2; i < local.length; i++) for (const ch of alphabet) {
    if (ch === local[i]) continue;
    const r = parseVerpAddress(cfg, `${local.slice(0, i)}${ch}${local.slice(i + 1)}@${domain}`);
    if (r.ok) accepted++;
  }
  t.equal(accepted, 0);
});

t.test('a token made with another key is refused', async (t) => {
  const other = makeVerpAddress({ key: deriveKey('another-secret-0123456789', 'verp'), prefix: 'b', bounceDomain: 'bounce.example.com', id: 4242 });
  t.same(parseVerpAddress(cfg, other), { ok: false, reason: 'bad-token' });
});
