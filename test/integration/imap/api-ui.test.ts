/*
 * The IMAP accounts API and pages over real HTTP, on every database: validation errors,
 * passwords never returned, group accounts for admins only, personal accounts seen and managed
 * by their owner and admins only; the pages create, list and toggle sync (CSRF on each form).
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

for (const kind of dbKinds()) {
  t.test(kind, async (t) => {
    const { url, api, app } = await startTestApp(t, { kind });
    const json = async (r: Promise<Response>): Promise<any> => (await r).json();
    const body = { name: 'Support', kind: 'group', host: 'imap.example.com', port: 993, security: 'tls', username: 'support@example.com', password: 's3cret-pw' };

    // An agent, with its own API key, and one more agent.
    const mkAgent = async (name: string) => json(api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: name, password: 'long enough pw', role: 'agent', email: `${name}@example.com` }) }));
    const agent = await mkAgent('agent1');
    const other = await mkAgent('agent2');
    const { key: agentKey } = await app.services.auth.createApiKey('agent key', agent.id);
    const asAgent = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${agentKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

    await t.test('API', async (t) => {
      const bad = await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, security: 'ssl' }) });
      t.equal(bad.status, 400, 'schema: unknown security');
      t.match(await bad.json(), { error: { code: String } });
      const badHost = await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, host: 'bad host!' }) });
      t.equal(badHost.status, 400);
      t.match(await badHost.json(), { error: { code: 'validation_failed', fields: [{ field: 'host' }] } });
      t.equal((await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, password: undefined }) })).status, 400, 'password required');
      const noUser = await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, kind: 'personal' }) });
      t.match(await noUser.json(), { error: { code: 'validation_failed', fields: [{ field: 'userId' }] } }, 'a personal account needs its user');

      const res = await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, smtpHost: 'smtp.example.com', smtpPort: 587, smtpSecurity: 'starttls', smtpPassword: 'smtp-pw' }) });
      t.equal(res.status, 201);
      const a: any = await res.json();
      t.match(a, { id: Number, name: 'Support', kind: 'group', folders: ['INBOX'], verifyCert: true, hasPassword: true, hasSmtpPassword: true, active: true, syncEnabled: true });
      t.notOk('createCases' in a || 'autoReply' in a, 'routing options are the mailbox\'s, not the account\'s');
      t.equal((await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, name: 'X', createCases: true }) })).status, 400, 'createCases is not an account option');
      const notOurs = await api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, name: 'X', mailboxAddress: 'support@elsewhere.example' }) });
      t.match(await notOurs.json(), { error: { code: 'validation_failed', fields: [{ field: 'mailboxAddress' }] } }, 'a group account\'s mailbox address must be one of our mailboxes');
      const text = JSON.stringify(await json(api(`/api/v1/imap-accounts/${a.id}`)));
      t.notOk(/s3cret-pw|smtp-pw|passwordEnc/.test(text), 'passwords never returned');
      const got = await json(api(`/api/v1/imap-accounts/${a.id}`));
      t.match(got, { state: String, lastSyncAt: null, lastError: null, folderStatus: [] });
      t.notOk('password' in got);
      t.match(await json(api(`/api/v1/imap-accounts/${a.id}`, { method: 'PATCH', body: JSON.stringify({ folders: ['INBOX', 'Support'], syncEnabled: false }) })),
        { folders: ['INBOX', 'Support'], syncEnabled: false, state: 'disabled', hasPassword: true });
      t.equal((await json(api('/api/v1/imap-accounts'))).total, 1);
      const test = await json(api(`/api/v1/imap-accounts/${a.id}/test`, { method: 'POST' }));
      t.match(test, { ok: false, stage: 'dns', message: String }, 'no such host here: fails at dns');

      const p = await json(api('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, name: 'Mine', kind: 'personal', userId: agent.id }) }));
      t.match(p, { kind: 'personal', userId: agent.id });
      // An agent's key reaches its own personal accounts only (the service scopes them).
      const seen = await json(asAgent('/api/v1/imap-accounts'));
      t.same(seen.items.map((x: { name: string }) => x.name), ['Mine'], 'an agent key lists its own account, not the group one');
      t.equal((await asAgent(`/api/v1/imap-accounts/${a.id}`)).status, 404, 'nor reads a group account');
      t.equal((await asAgent('/api/v1/imap-accounts', { method: 'POST', body: JSON.stringify({ ...body, name: 'G3' }) })).status, 403, 'nor adds one');
      t.equal((await api(`/api/v1/imap-accounts/${p.id}`, { method: 'DELETE' })).status, 204);
      t.equal((await api(`/api/v1/imap-accounts/${p.id}`)).status, 404);
      t.equal((await api('/api/v1/imap-accounts/99999', { method: 'PATCH', body: JSON.stringify({ name: 'x' }) })).status, 404);
    });

    await t.test('service permissions', async (t) => {
      const s = app.services.imap;
      const me = { role: 'agent' as const, userId: agent.id };
      const them = { role: 'agent' as const, userId: other.id };
      await t.rejects(s.create({ ...body, name: 'G2' }, me), { code: 'forbidden' }, 'agents cannot add group accounts');
      const mine = await s.create({ ...body, name: 'Agent box', kind: 'personal' }, me);
      t.equal(mine.user_id, agent.id, 'a personal account is its creator\'s');
      await t.rejects(s.create({ ...body, name: 'For another', kind: 'personal', userId: other.id }, me), { code: 'forbidden' });
      t.same((await s.list({}, me)).items.map((a) => a.name), ['Agent box'], 'an agent lists only its own');
      await t.rejects(s.get(mine.id, them), { code: 'not_found' }, 'another agent does not see it');
      await t.rejects(s.update(mine.id, { name: 'x' }, them), { code: 'not_found' });
      const group = (await s.list({}, { role: 'admin', userId: null })).items.find((a) => a.kind === 'group')!;
      await t.rejects(s.get(group.id, me), { code: 'not_found' }, 'agents do not see group accounts');
      t.match(await s.update(mine.id, { name: 'Renamed' }, me), { name: 'Renamed' });
      t.match(await s.get(mine.id, { role: 'admin', userId: null }), { name: 'Renamed' }, 'an admin manages any');
      const rows = await s.statusRows(me);
      t.same(rows.map((r) => r.accountName), ['Renamed'], 'status rows are scoped too');
      await s.remove(mine.id, me);
    });

    await t.test('pages: create, list, toggle', async (t) => {
      const ui = new UiClient(url);
      await ui.login('admin', ADMIN_PASSWORD);
      const form = await ui.get('/admin/imap-accounts/new');
      t.equal(form.res.status, 200);
      const fields = { name: 'Sales', kind: 'group', host: 'imap.example.org', port: '993', security: 'tls', username: 'sales', password: 'pw-sales-1', folders: 'INBOX, Sales', verifyCert: 'on', syncEnabled: 'on', active: 'on' };
      const bad = await ui.post('/admin/imap-accounts/new', { ...fields, port: 'x' }, UiClient.csrfOf(form.html));
      t.equal(bad.res.status, 400);
      t.match(bad.html, /Enter a port from 1 to 65535/);
      t.notOk(bad.html.includes('pw-sales-1'), 'the password is not shown back');
      const ok = await ui.post('/admin/imap-accounts/new', fields, UiClient.csrfOf(form.html));
      t.equal(ok.res.status, 303);
      const loc = ok.res.headers.get('location')!;
      const id = Number(loc.split('/').pop());
      const detail = await ui.get(loc);
      t.match(detail.html, /Sales/);
      t.notOk(detail.html.includes('pw-sales-1'));
      const list = await ui.get('/admin/imap-accounts');
      t.match(list.html, new RegExp(`data-account="${id}"`));
      t.match(list.html, /Disable sync/);
      const toggled = await ui.post(`/admin/imap-accounts/${id}/sync`, { enabled: '0' }, UiClient.csrfOf(list.html));
      t.equal(toggled.res.status, 303);
      t.equal((await app.services.imap.repo.get(id))!.sync_enabled, false);
      const after = await ui.get('/admin/imap-accounts');
      t.match(after.html, /Enable sync/);
      t.match(after.html, /data-state="disabled"/);
      t.equal((await ui.post(`/admin/imap-accounts/${id}/sync`, { enabled: '1' }, 'wrong')).res.status, 403, 'CSRF checked');
      t.match(after.html, /Sync status/);
    });
  });
}
