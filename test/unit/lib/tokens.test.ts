/*
 * The token verifier's own HMAC-SHA256 (lib/hmacSha256.ts) against node:crypto, and its
 * base64url decoder against Node's: every message length one block holds, random keys, and
 * spellings that must be refused.
 */
import t from 'tap';
import { createHmac, randomBytes } from 'node:crypto';
import { hmacKey, hmacShort, SHORT_MAX } from '../../../server/lib/hmacSha256.js';
import { signToken, verifyToken, verifyFields, signFields, TAG_BYTES } from '../../../server/lib/tokens.js';

const words = (s: Int32Array) => { const b = Buffer.alloc(32); for (let i = 0; i < 8; i++) b.writeInt32BE(s[i]!, i * 4); return b; };

t.test('hmacShort equals node:crypto for every length up to one block and random keys', async (t) => {
  let bad = 0;
  for (let round = 0; round < 20; round++) {
    const key = randomBytes(round === 0 ? 0 : round === 1 ? 64 : 1 + (round * 7) % 64);
    const k = hmacKey(key);
    for (let n = 0; n <= SHORT_MAX; n++) {
      const msg = randomBytes(n + 3);
      const want = createHmac('sha256', key).update(msg.subarray(2, 2 + n)).digest();
      if (!words(hmacShort(k, msg, 2, 2 + n)).equals(want)) bad++;
    }
  }
  t.equal(bad, 0);
  t.throws(() => hmacShort(hmacKey(Buffer.alloc(32)), Buffer.alloc(60), 0, SHORT_MAX + 1));
  t.throws(() => hmacKey(Buffer.alloc(65)));
});

t.test('tokens of every payload length verify, and flipping any bit of them is refused', async (t) => {
  const key = randomBytes(32);
  let bad = 0;
  for (let n = 0; n <= 80; n++) {
    const payload = randomBytes(n);
    const tok = signToken(key, payload);
    if (!verifyToken(key, tok)?.equals(payload)) bad++;
    const raw = Buffer.from(tok, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const x = Buffer.from(raw);
      x[i] = x[i]! ^ (1 << (i % 8));
      if (verifyToken(key, x.toString('base64url')) !== null) bad++;
    }
  }
  t.equal(bad, 0);
});

t.test('a key longer than one block still verifies (node:crypto path)', async (t) => {
  const key = randomBytes(100);
  t.same(verifyFields(key, signFields(key, [1, 2, 3]), 3), [1, 2, 3]);
  t.equal(verifyFields(randomBytes(100), signFields(key, [1, 2, 3]), 3), null);
});

t.test('only the canonical spelling of the signed bytes verifies', async (t) => {
  const key = randomBytes(32);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (const n of [0, 1, 2, 3, 4, 5, 10, 20]) {
    const tok = signToken(key, randomBytes(n));
    t.ok(verifyToken(key, tok), `${n}: issued`);
    for (const c of alphabet + '+/=.~ ') {
      const v = tok.slice(0, -1) + c;
      if (v !== tok && verifyToken(key, v) !== null) t.fail(`${n}: last character ${c} accepted`);
      if (verifyToken(key, tok + c) !== null) t.fail(`${n}: appended ${c} accepted`);
    }
    t.equal(verifyToken(key, tok + '==='), null);
    t.equal(verifyToken(key, tok.slice(0, -1)), null);
    t.equal(verifyToken(key, tok.slice(0, 10) + 'é' + tok.slice(11)), null);
  }
  t.equal(verifyToken(key, 'A'.repeat(TAG_BYTES)), null);
  t.equal(verifyToken(key, undefined as unknown as string), null);
  t.equal(verifyToken(key, 'A'.repeat(4097)), null);
});
