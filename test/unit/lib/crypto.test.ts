/* Signed tokens, sealed secrets and key derivation: round trips and tamper detection. */
import t from 'tap';
import { signToken, verifyToken, signFields, verifyFields } from '../../../server/lib/tokens.js';
import { seal, open } from '../../../server/lib/secretbox.js';
import { deriveKey } from '../../../server/lib/keys.js';

const k1 = deriveKey('secret-one-0123456789', 'tracking');
const k2 = deriveKey('secret-one-0123456789', 'optout');

t.test('keys differ per purpose and per secret, and are stable', async (t) => {
  t.not(k1.toString('hex'), k2.toString('hex'));
  t.not(k1.toString('hex'), deriveKey('secret-two-0123456789', 'tracking').toString('hex'));
  t.equal(k1.toString('hex'), deriveKey('secret-one-0123456789', 'tracking').toString('hex'));
  t.equal(k1.length, 32);
});

t.test('tokens verify with their key only, and any change is caught', async (t) => {
  const tok = signToken(k1, 'hello');
  t.equal(verifyToken(k1, tok)?.toString(), 'hello');
  t.equal(verifyToken(k2, tok), null, 'another purpose key');
  for (let i = 0; i < tok.length; i++) {
    const c = tok[i] === 'A' ? 'B' : 'A';
    if (verifyToken(k1, tok.slice(0, i) + c + tok.slice(i + 1)) !== null) t.fail(`a change at ${i} passed`);
  }
  for (const junk of ['', 'x', '!!!', 'a'.repeat(5000), tok + '=']) t.equal(verifyToken(k1, junk), null, JSON.stringify(junk.slice(0, 10)));
});

t.test('fields round trip', async (t) => {
  const cases = [[0], [1, 2, 3], [127, 128, 16_383, 16_384], [Number.MAX_SAFE_INTEGER, 7]];
  for (const f of cases) t.same(verifyFields(k1, signFields(k1, f), f.length), f);
  t.equal(verifyFields(k1, signFields(k1, [1, 2]), 3), null, 'wrong field count');
  t.throws(() => signFields(k1, [-1]));
});

t.test('sealed secrets open with the right key only', async (t) => {
  const key = deriveKey('s-0123456789abcdef', 'secretbox');
  const sealed = seal(key, 'p@ssw0rd ✓');
  t.match(sealed, /^v1:/);
  t.not(seal(key, 'p@ssw0rd ✓'), sealed, 'random IV');
  t.equal(open(key, sealed), 'p@ssw0rd ✓');
  t.throws(() => open(deriveKey('other-0123456789', 'secretbox'), sealed), { code: 'secret_unreadable' });
  // Flip one bit of every byte in turn (IV, tag, ciphertext): editing the base64 text instead
  // can land on the unused low bits of its last character and change nothing (1 run in ~256).
  const bytes = Buffer.from(sealed.slice(3), 'base64url');
  for (let i = 0; i < bytes.length; i++) {
    const copy = Buffer.from(bytes);
    copy[i] ^= 0x01;
    t.throws(() => open(key, `v1:${copy.toString('base64url')}`), { code: 'secret_unreadable' }, `byte ${i} flipped`);
  }
  t.throws(() => open(key, 'plain'), { code: 'secret_unreadable' });
});

t.test('a token verifies only in its canonical form (issue #9)', async (t) => {
  // Node's base64url decoder ignores a dangling last character and the unused low bits of
  // the last one, so several spellings decode to the same bytes: only the one we issued counts.
  for (const payload of ['a', 'ab', 'abc', 'abcd', 'hello']) {
    const tok = signToken(k1, payload);
    t.equal(verifyToken(k1, tok)?.toString(), payload, `${payload}: the issued token`);
    const variants = new Set<string>([tok + 'A', tok + 'x', tok + 'AA', tok + '=', tok + '==', tok.toUpperCase(), tok.toLowerCase(), ` ${tok}`, `${tok}\n`]);
    // the same bytes with different unused bits in the last character
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const c of alphabet) {
      const v = tok.slice(0, -1) + c;
      if (v !== tok && Buffer.from(v, 'base64url').equals(Buffer.from(tok, 'base64url'))) variants.add(v);
    }
    variants.delete(tok);
    for (const v of variants) t.equal(verifyToken(k1, v), null, `${payload}: ${JSON.stringify(v)} is refused`);
  }
  const f = signFields(k2, [12345]);
  t.same(verifyFields(k2, f, 1), [12345]);
  t.equal(verifyFields(k2, f + 'A', 1), null, 'opt-out fields: an extra character is refused');
});
