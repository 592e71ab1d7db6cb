/*
 * Records CSV over HTTP, on every database: the admin UI's import (a file upload as the raw
 * body, and pasted CSV) runs in the background, shows a progress/status route and then the
 * summary with the bad line; the export (API and UI) is streamed, neutralises formula cells,
 * and re-imports unchanged (export → import → export is byte-identical, nothing updated twice).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const CSV = [
  'externalId,First Name,last_name,email,emails,accountExternalId,accountName,title,phone,formerEmployee,Industry,Score',
  'c1,Ann,Lee,ann@example.com,ann2@example.com;ann3@example.com,a1,Acme,CEO,+1 555 0100,no,Retail,=1+2',
  'c2,Bo,"Multi',
  'Line",bo@example.com,,a1,,"Sales, EMEA",,yes,,',
  'c3,Cy,,not-an-address,,,,,,,,',
  'c4,"=HYPERLINK(""http://evil"")",,di@example.com,,,,,,,-cmd,',
].join('\n') + '\n';

async function waitDone(ui: UiClient, jobUrl: string) {
  for (let i = 0; i < 200; i++) {
    const { res, html } = await ui.get(`${jobUrl}/status`);
    const st = JSON.parse(html) as { state: string; percent: number; rows: number; text: string };
    if (res.status !== 200) throw new Error(html);
    if (st.state !== 'running') return st;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('import did not finish');
}

void eachDb(t, async (t, tdb) => {
  const { url, api } = await startTestApp(t, { tdb });
  const ui = new UiClient(url);
  t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
  const page = await ui.get('/admin/records/import');
  t.equal(page.res.status, 200);
  t.match(page.html, /<form method="post" action="\/admin\/records\/import"/);
  t.match(page.html, /href="\/admin\/records\/import"/, 'in the menu');
  const csrf = UiClient.csrfOf(page.html);

  const upload = (body: string, q: string, token = csrf) => fetch(`${url}/admin/records/import?${q}`, {
    method: 'POST', redirect: 'manual', body,
    headers: { cookie: [...ui.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'text/csv', 'x-csrf-token': token },
  });

  await t.test('a dry run upload: summary with the bad line, nothing written', async (t) => {
    const res = await upload(CSV, 'type=contact&match=externalId&dryRun=1&name=people.csv');
    t.equal(res.status, 303);
    const jobUrl = res.headers.get('location')!;
    t.match(jobUrl, /^\/admin\/records\/import\/[0-9a-f-]{36}$/);
    const st = await waitDone(ui, jobUrl);
    t.match(st, { state: 'done', percent: 100, rows: 4 });
    const { html } = await ui.get(jobUrl);
    t.match(html, /Dry run of 4 rows: 3 would be created, 0 updated, 1 failed\./);
    t.match(html, /line 5: &quot;not-an-address&quot; is not an email address/);
    t.match(html, /people\.csv/);
    t.equal(Number((await tdb.db.knex('records').where({ type: 'contact' }).count({ n: '*' }))[0]!.n), 0);
  });

  await t.test('the upload without a valid CSRF token is refused; bad choices re-show the form', async (t) => {
    t.equal((await upload(CSV, 'type=contact', 'forged')).status, 403);
    const bad = await upload(CSV, 'type=people');
    t.equal(bad.status, 400);
    t.match(await bad.text(), /Choose a record type/);
    const empty = await ui.post('/admin/records/import', { type: 'contact', match: 'externalId', csv: '' }, csrf);
    t.equal(empty.res.status, 400);
    t.match(empty.html, /Choose a CSV file or paste one/);
  });

  let exported = '';
  await t.test('import, then the export re-imports unchanged', async (t) => {
    const res = await upload(CSV, 'type=contact&match=externalId&name=people.csv');
    const jobUrl = res.headers.get('location')!;
    await waitDone(ui, jobUrl);
    t.match((await ui.get(jobUrl)).html, /Imported 4 rows: 3 created, 0 updated, 1 failed\./);

    const r = await api('/api/v1/records/contacts/export.csv');
    t.equal(r.status, 200);
    t.match(r.headers.get('content-type'), /^text\/csv/);
    exported = await r.text();
    const lines = exported.trimEnd().split('\n');
    t.equal(lines[0], 'externalId,name,firstName,lastName,title,phone,email,emails,accountExternalId,accountName,formerEmployee,Industry,Score');
    t.match(exported, /c1,Ann Lee,Ann,Lee,CEO,'\+1 555 0100,ann@example\.com,ann2@example\.com;ann3@example\.com,a1,Acme,no,Retail,'=1\+2/);
    t.match(exported, /c2,Bo Multi\nLine|c2,"Bo Multi\nLine"/, 'the multi-line name');
    t.match(exported, /"Sales, EMEA"/);
    t.match(exported, /\nc4,"'=HYPERLINK\(""http:\/\/evil""\)",.*,'-cmd,\n/, 'formula cells neutralised');
    const viaUi = await ui.get('/admin/records/contacts/export.csv');
    t.equal(viaUi.html, exported, 'the UI download is the same file');

    // Round trip: importing the export changes nothing that a second export would show.
    const again = await upload(exported, 'type=contact&match=externalId&name=export.csv');
    const st = await waitDone(ui, again.headers.get('location')!);
    t.match(st, { state: 'done', rows: 3 });
    t.match((await ui.get(again.headers.get('location')!)).html, /Imported 3 rows: 0 created, 3 updated, 0 failed\./);
    t.equal(await (await api('/api/v1/records/contacts/export.csv')).text(), exported, 'export → import → export is identical');
    t.equal(Number((await tdb.db.knex('records').where({ type: 'contact' }).count({ n: '*' }))[0]!.n), 3);
  });

  await t.test('pasted CSV without JavaScript; accounts export has no account columns', async (t) => {
    const r = await ui.post('/admin/records/import', { type: 'account', match: 'externalId', csv: 'externalId,name\na2,Globex\n' }, csrf);
    t.equal(r.res.status, 303);
    await waitDone(ui, r.res.headers.get('location')!);
    const csv = await (await api('/api/v1/records/accounts/export.csv')).text();
    t.equal(csv.split('\n')[0], 'externalId,name,firstName,lastName,title,phone,email,emails,formerEmployee');
    t.match(csv, /\na1,Acme,/);
    t.match(csv, /\na2,Globex,/);
    t.equal((await api('/api/v1/records/people/export.csv')).status, 400);
  });
});
