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
  const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
  t.throws(() => open(key, tampered), { code: 'secret_unreadable' });
  t.throws(() => open(key, 'plain'), { code: 'secret_unreadable' });
});
