/*
 * Campaign and mass email pages through real form posts on both databases: the pages render
 * for an admin, a bad form comes back with its message (a schedule without a DKIM key shows the
 * preflight reason), the actions move the status, GET changes nothing, the settings save and
 * refuse bad values.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

for (const kind of dbKinds()) {
  t.test(`campaign pages (${kind})`, async (t) => {
    const { url, app, api } = await startTestApp(t, { kind });
    const s = app.services;
    const ok = async (path: string, body: unknown) => {
      const res = await api(path, { method: 'POST', body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${path} → ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    const account = await ok('/api/v1/accounts', { name: 'relay', host: '127.0.0.1', port: 2525, security: 'none' });
    const template = await ok('/api/v1/templates', { name: 'Spring', subject: 'Hello {Person.firstName}', html: '<p>Hi {Person.name}</p>' });
    await ok('/api/v1/records/contacts/bulk', { items: [{ externalId: 'C1', firstName: 'Ann', email: 'ann@x.example' }, { externalId: 'C2', firstName: 'Bo', email: 'bo@x.example' }] });
    const list = await ok('/api/v1/target-lists', { name: 'Customers' });
    await ok(`/api/v1/target-lists/${list.id}/members`, { records: [{ type: 'contact', externalId: 'C1' }, { type: 'contact', externalId: 'C2' }] });

    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const index = await ui.get('/admin/campaigns');
    t.equal(index.res.status, 200);
    t.match(index.html, /New campaign/);
    t.match(index.html, new RegExp(`<option value="${list.id}">Customers</option>`), 'target lists to pick');

    let r = await ui.post('/admin/campaigns', { name: 'x' });
    t.equal(r.res.status, 403, 'no CSRF token: refused');
    r = await ui.post('/admin/campaigns', { name: '', type: 'newsletter' }, UiClient.csrfOf(index.html));
    t.equal(r.res.status, 400);
    t.match(r.html, /Name is required/, 'the form again with the message');
    r = await ui.post('/admin/campaigns', { name: 'Spring', type: 'newsletter', status: 'active', startDate: '2026-12-01', endDate: '2026-11-01' }, UiClient.csrfOf(index.html));
    t.equal(r.res.status, 400);
    t.match(r.html, /must not be before the start date/);
    r = await ui.post('/admin/campaigns', { name: 'Spring', type: 'newsletter', status: 'active', startDate: '2026-12-01', targetListIds: String(list.id) }, UiClient.csrfOf(index.html));
    t.equal(r.res.status, 303);
    const cid = Number(/\/admin\/campaigns\/(\d+)$/.exec(r.res.headers.get('location')!)![1]);
    const c = await s.campaigns.getCampaign(cid);
    t.match(c, { name: 'Spring', type: 'newsletter', status: 'active', start_date: Date.UTC(2026, 11, 1), target_list_ids: [list.id] });
    t.match((await ui.get('/admin/campaigns')).html, /data-mass-count>0</);

    const detail = await ui.get(`/admin/campaigns/${cid}`);
    t.equal(detail.res.status, 200);
    t.match(detail.html, /New mass email/);
    t.match(detail.html, /Save as draft/);
    const csrf = UiClient.csrfOf(detail.html);
    const mass = { name: 'Wave 1', templateId: String(template.id), accountId: String(account.id), fromAddress: 'news@ours.example', fromName: 'Ours', tracking: 'on' };
    r = await ui.post(`/admin/campaigns/${cid}/mass-emails`, { ...mass, action: 'schedule' }, csrf);
    t.equal(r.res.status, 400, 'schedule refused by the preflight');
    t.match(r.html, /ours\.example has no active DKIM key/, 'the preflight reason is shown');
    t.match(r.html, /value="Wave 1"/, 'the form keeps its values');
    t.equal((await s.campaigns.listMassEmails({ campaignId: cid })).total, 0, 'nothing kept');

    r = await ui.post(`/admin/campaigns/${cid}/mass-emails`, { ...mass, action: 'draft' }, csrf);
    t.equal(r.res.status, 303);
    const mid = Number(/\/admin\/mass-emails\/(\d+)$/.exec(r.res.headers.get('location')!)![1]);
    t.match(await s.campaigns.getMassEmail(mid), { status: 'draft', tracking: true, target_list_ids: [list.id], from_addr: 'news@ours.example' });
    t.match((await ui.get(`/admin/campaigns/${cid}`)).html, /data-mass-email="\d+"/);

    const page = await ui.get(`/admin/mass-emails/${mid}`);
    t.equal(page.res.status, 200);
    t.match(page.html, /data-check="dkim"/, 'the preflight list');
    t.match(page.html, /\/schedule"/);
    t.match(page.html, /\/start"/);
    t.notMatch(page.html, /\/resume"/, 'resume only when paused');
    t.match(page.html, /Edit mass email/);
    const prog = await ui.get(`/admin/mass-emails/${mid}/progress`);
    t.equal(prog.res.status, 200);
    t.match(JSON.parse(prog.html), { status: 'draft', final: false, counts: { total: '0' } });
    for (const path of ['/schedule', '/start', '/cancel', '/pause']) t.equal((await ui.get(`/admin/mass-emails/${mid}${path}`)).res.status, 404, `GET ${path} is no action`);
    t.equal((await s.campaigns.getMassEmail(mid)).status, 'draft', 'GET changed nothing');

    const pcsrf = UiClient.csrfOf(page.html);
    r = await ui.post(`/admin/mass-emails/${mid}/schedule`, {}, pcsrf);
    t.equal(r.res.status, 303);
    t.match((await ui.get(`/admin/mass-emails/${mid}`)).html, /class="flash error"[^>]*>[^<]*has no active DKIM key/, 'refused with the reason as a flash');
    t.equal((await s.campaigns.getMassEmail(mid)).status, 'draft');
    r = await ui.post(`/admin/mass-emails/${mid}`, { ...mass, name: 'Wave one', startAt: '2030-01-02T10:00', action: 'draft' }, pcsrf);
    t.equal(r.res.status, 303, 'edited');
    t.match(await s.campaigns.getMassEmail(mid), { name: 'Wave one', start_at: Date.UTC(2030, 0, 2, 10) });
    r = await ui.post(`/admin/mass-emails/${mid}`, { ...mass, fromAddress: 'not an address', action: 'draft' }, pcsrf);
    t.equal(r.res.status, 400);
    t.match(r.html, /id="err-fromAddress"/);

    await s.dkim.generate('ours.example');
    r = await ui.post(`/admin/mass-emails/${mid}/schedule`, {}, pcsrf);
    t.equal(r.res.status, 303);
    t.equal((await s.campaigns.getMassEmail(mid)).status, 'pending');
    const pending = await ui.get(`/admin/mass-emails/${mid}`);
    t.match(pending.html, /Wave one scheduled: it starts/);
    t.match(pending.html, /data-preflight-ok/);
    await ui.post(`/admin/mass-emails/${mid}/pause`, {}, pcsrf);
    const paused = await ui.get(`/admin/mass-emails/${mid}`);
    t.equal((await s.campaigns.getMassEmail(mid)).status, 'paused');
    t.match(paused.html, /data-status-reason>[^<]*<strong data-status-reason-text>Paused by an operator/, 'the reason shown');
    t.match(paused.html, /\/resume"/);
    await ui.post(`/admin/mass-emails/${mid}/resume`, {}, pcsrf);
    t.equal((await s.campaigns.getMassEmail(mid)).status, 'pending');
    await ui.post(`/admin/mass-emails/${mid}/cancel`, {}, pcsrf);
    t.equal((await s.campaigns.getMassEmail(mid)).status, 'cancelled');
    r = await ui.post(`/admin/mass-emails/${mid}/pause`, {}, pcsrf);
    t.equal(r.res.status, 303, 'a refused action goes back');
    t.match((await ui.get(`/admin/mass-emails/${mid}`)).html, /Only a pending or sending mass email can be paused/);
    t.match(JSON.parse((await ui.get(`/admin/mass-emails/${mid}/progress`)).html), { status: 'cancelled', final: true });

    r = await ui.post(`/admin/mass-emails/${mid}/test`, { addresses: 'bad' }, pcsrf);
    t.equal(r.res.status, 303);
    t.match((await ui.get(`/admin/mass-emails/${mid}`)).html, /class="flash error"/, 'a bad test address is refused');
    r = await ui.post(`/admin/mass-emails/${mid}/test`, { addresses: 'qa@x.example,\nme@x.example' }, pcsrf);
    t.equal(r.res.status, 303);
    t.match((await ui.get(`/admin/mass-emails/${mid}`)).html, /Test queued to: qa@x\.example, me@x\.example/);

    // Settings.
    const st = await ui.get('/admin/settings/mass-email');
    t.equal(st.res.status, 200);
    t.match(st.html, /each run releases at most this many\. Default 500/);
    const good = {
      maxPerHour: '1000', portionSize: '50', windowOn: 'on', days: ['1', '2'], from: '09:00', to: '17:00', timeZone: 'Europe/Oslo', optOutMandatory: 'on',
      maxHardBounceRate: '3', bounceSample: '200', maxComplaintRate: '0.2', complaintMinSent: '500',
    };
    r = await ui.post('/admin/settings/mass-email', { ...good, portionSize: '0' }, UiClient.csrfOf(st.html));
    t.equal(r.res.status, 400);
    t.match(r.html, /must be from 1 to 100,000/);
    r = await ui.post('/admin/settings/mass-email', { ...good, days: [] }, UiClient.csrfOf(st.html));
    t.equal(r.res.status, 400);
    t.match(r.html, /days must be weekdays/);
    r = await ui.post('/admin/settings/mass-email', good, UiClient.csrfOf(st.html));
    t.equal(r.res.status, 303);
    t.same(await s.campaigns.settings(), {
      maxPerHour: 1000, portionSize: 50, sendWindow: { days: [1, 2], from: '09:00', to: '17:00', timeZone: 'Europe/Oslo' }, optOutMandatory: true,
      maxHardBounceRate: 0.03, bounceSample: 200, maxComplaintRate: 0.002, complaintMinSent: 500,
    });
    const again = await ui.get('/admin/settings/mass-email');
    t.match(again.html, /name="maxHardBounceRate" inputmode="decimal" value="3"/);
    t.match(again.html, /<option selected>Europe\/Oslo<\/option>/);

    // Delete: the campaign and its mass emails.
    r = await ui.post(`/admin/campaigns/${cid}/delete`, {}, pcsrf);
    t.equal(r.res.status, 303);
    t.equal((await s.campaigns.listCampaigns({})).total, 0);
  });
}
