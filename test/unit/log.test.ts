/* Logs never carry credentials, cookies or message bodies, whatever field they hide in. */
import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger } from '../../server/log.js';

t.test('secrets are redacted', async (t) => {
  const lines: string[] = [];
  const dest = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger('info', { destination: dest as never }).child({ mod: 'test' });
  log.info({ evt: 'x', password: 'hunter2', auth: { user: 'app', pass: 'p4ss' }, req: { headers: { authorization: 'Bearer pst_abc', cookie: 'sid=1' } }, body: 'Dear customer', raw: 'From: a' }, 'hello');
  const out = lines.join('');
  for (const secret of ['hunter2', 'p4ss', 'pst_abc', 'sid=1', 'Dear customer', 'From: a']) t.notMatch(out, secret, `${secret} not logged`);
  t.match(out, /"evt":"x"/);
  t.match(out, /"mod":"test"/);
});
