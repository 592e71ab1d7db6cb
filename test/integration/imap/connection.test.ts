/*
 * "Test connection" names the stage that failed with the server's own words, against a real
 * Dovecot: a wrong password fails at login, a self-signed certificate with verification on
 * fails at tls (implicit TLS and STARTTLS), a closed port at tcp, an unknown host at dns, a
 * missing folder at select; the sync itself reports auth_error with the server's words.
 */
import t from 'tap';
import { startDovecot, freePort, mail } from '../../helpers/dovecot.js';
import { buildTestServices } from '../../helpers/services.js';
import { ADMIN, freshUser, startSync, until } from './rig.js';

t.test('test connection by stage', async (t) => {
  const dc = await startDovecot(t, { tls: true });
  const { s } = await buildTestServices(t, 'sqlite');
  const user = freshUser();
  await dc.append(user, [{ raw: mail(1).raw }]);
  const base = { kind: 'group', host: '127.0.0.1', port: dc.port, security: 'none', username: user, password: 'pass', verifyCert: false };
  const make = async (name: string, o: Record<string, unknown>) => (await s.imap.create({ ...base, name, ...o }, ADMIN)).id;
  const test = async (id: number) => s.imap.testConnection(id, ADMIN);

  t.match(await test(await make('good', {})), { ok: true, stage: 'ok' });
  const wrong = await test(await make('wrong password', { password: 'nope', syncEnabled: false }));
  t.match(wrong, { ok: false, stage: 'login' });
  t.match(wrong.message, /AUTHENTICATIONFAILED|Authentication failed/, `the server's words: ${wrong.message}`);
  const tls = await test(await make('self-signed', { port: dc.tlsPort, security: 'tls', verifyCert: true }));
  t.match(tls, { ok: false, stage: 'tls' });
  t.match(tls.message, /self[- ]signed|DEPTH_ZERO_SELF_SIGNED_CERT/, `TLS: ${tls.message}`);
  const starttls = await test(await make('starttls self-signed', { security: 'starttls', verifyCert: true }));
  t.match(starttls, { ok: false, stage: 'tls' });
  t.match(await test(await make('self-signed, not verified', { port: dc.tlsPort, security: 'tls', verifyCert: false })), { ok: true, stage: 'ok' });
  const closed = await test(await make('closed', { port: await freePort() }));
  t.match(closed, { ok: false, stage: 'tcp', message: /ECONNREFUSED/ });
  t.match(await test(await make('unknown host', { host: 'no-such-host.invalid' })), { ok: false, stage: 'dns' });
  const sel = await test(await make('no folder', { folders: ['INBOX', 'Nowhere'] }));
  t.match(sel, { ok: false, stage: 'select', message: /Nowhere/ });

  // The sync reports the same: a wrong password is auth_error with the server's words, the good account idles.
  const bad = await make('sync wrong password', { password: 'nope' });
  await startSync(t, s);
  await until(t, 'auth_error', async () => (await s.imap.repo.get(bad))!.state === 'auth_error');
  t.match((await s.imap.repo.get(bad))!.last_error, /AUTHENTICATIONFAILED|Authentication failed/);
  const rows = await s.imap.statusRows();
  t.ok(rows.some((r) => r.accountId === bad && r.state === 'auth_error' && r.folder === null), 'statusRows shows the failing account');
  await until(t, 'good one idle', async () => (await s.imap.statusRows()).some((r) => r.accountName === 'good' && r.folder === 'INBOX' && r.state === 'idle' && r.fetched === 1));

  // The mailer log has the failure once (a change of state, not every retry), and the status page shows it failing.
  await s.mailerLog.flush();
  const logged = await s.mailerLog.list({ source: 'imap' }, { page: 1, perPage: 50 });
  t.match(logged.items.filter((e) => e.event === 'imap.auth_error'), [{ level: 'error', message: /sync wrong password/, reply: /AUTHENTICATIONFAILED|Authentication failed/ }], 'one auth_error entry');
  const imapRows = async () => (await s.status.overview()).sources.filter((r) => r.kind === 'imap');
  t.match((await imapRows()).find((r) => r.id === bad), { state: 'failing', enabled: true, lastError: /Authentication failed|AUTHENTICATIONFAILED/ });
  t.match((await imapRows()).find((r) => r.name === 'good'), { state: 'ok', detail: /INBOX: idle, 1/ });
  await s.status.setEnabled('imap-accounts', bad, false);
  t.equal((await s.imap.repo.get(bad))!.sync_enabled, false, 'the status page toggle switches its sync off');
  t.match((await imapRows()).find((r) => r.id === bad), { state: 'disabled' });
});
