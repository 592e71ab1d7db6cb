/* Bearer-token checks (the /metrics token): the exact token after `Bearer `, nothing else. */
import t from 'tap';
import { bearerMatches } from '../../../server/auth/tokens.js';

t.test('bearerMatches', async (t) => {
  const tok = 'metrics-token-0123456789';
  const table: Array<[string | undefined, string, boolean]> = [
    [`Bearer ${tok}`, tok, true],
    [`bearer ${tok}`, tok, true],
    [`Bearer  ${tok}`, tok, true],
    [undefined, tok, false],
    ['', tok, false],
    [tok, tok, false],
    [`Basic ${tok}`, tok, false],
    [`Bearer ${tok}x`, tok, false],
    [`Bearer ${tok.slice(0, -1)}`, tok, false],
    [`Bearer ${tok} extra`, tok, false],
    ['Bearer ', '', false],
    ['Bearer x', '', false],
  ];
  for (const [h, token, want] of table) t.equal(bearerMatches(h, token), want, `${JSON.stringify(h)} vs ${JSON.stringify(token)}`);
});
