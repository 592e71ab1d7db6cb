/* Signed case tokens: reply addresses and Message-IDs round trip; tampering, other keys and other cases fail. */
import t from 'tap';
import { caseToken, parseCaseToken, replyAddressFor, tokenOfLocal, caseMessageId, caseOfMessageId } from '../../../server/routing/cases/tokens.js';
import { deriveKey } from '../../../server/lib/keys.js';

const key = deriveKey('test-secret-0123456789', 'case-reply');
const other = deriveKey('another-secret-0123456789', 'case-reply');

t.test('round trip and shape', async (t) => {
  for (const id of [1, 42, 123_456_789, Number.MAX_SAFE_INTEGER]) {
    const a = replyAddressFor(key, 'Support@Ours.Example', id);
    t.equal(a, a.toLowerCase());
    const [local] = a.split('@') as [string];
    t.ok(local.length <= 64, `${local.length} octets`);
    const tok = tokenOfLocal(local)!;
    t.equal(tok.base, 'support');
    t.same(parseCaseToken(key, tok.token), { ok: true, id });
    t.same(parseCaseToken(key, tok.token.toUpperCase()), { ok: true, id }, 'case changes by MTAs are fine');
  }
  t.equal(replyAddressFor(key, 'support+x@ours.example', 5).split('+').length, 2, 'a plus-address base is replaced, not nested');
});

t.test('forgeries', async (t) => {
  const good = caseToken(key, 42);
  const rows: Array<[string, string, string]> = [
    ['other key', caseToken(other, 42), 'bad-token'],
    ['tag of case 42 on case 43', good.replace('case-42-', 'case-43-'), 'bad-token'],
    ['one hex digit changed', good.slice(0, -1) + (good.endsWith('0') ? '1' : '0'), 'bad-token'],
    ['short tag', good.slice(0, -2), 'bad-token'],
    ['leading zero id', good.replace('case-42-', 'case-042-'), 'bad-token'],
    ['not a token', 'sales', 'not-case'],
    ['not a token either', 'case-abc-00', 'not-case'],
  ];
  for (const [name, tok, reason] of rows) t.same(parseCaseToken(key, tok), { ok: false, reason }, name);
  t.equal(tokenOfLocal('support'), null);
  t.equal(tokenOfLocal('support+orders'), null, 'ordinary plus-addressing is not a case address');
});

t.test('Message-IDs carry the case', async (t) => {
  const mid = caseMessageId(key, 9, 'mx.ours.example', 'abc123');
  t.equal(caseOfMessageId(key, `<${mid}>`), 9);
  t.equal(caseOfMessageId(other, mid), null);
  t.equal(caseOfMessageId(key, 'random@elsewhere'), null);
});
