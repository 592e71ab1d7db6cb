/*
 * A mass email end to end on every database, through the API and a real upstream: records of
 * three types (and a user), two target lists, an excluding lead list that matches a contact by
 * address in another case, an address opted out entirely, a blocked address, a former employee
 * and the same address in two lists. The upstream receives exactly the expected recipients,
 * each once, with their placeholders, an opt-out link, List-Unsubscribe (one-click), List-Id,
 * Feedback-ID, a VERP return path and a DKIM signature that verifies; the skipped members show
 * their reasons; the mass email completes with the counts to match.
 */
import t from 'tap';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { startUpstream } from '../../helpers/upstream.js';
import { parseVerpAddress } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';

const SECRET = 'test-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const { app, api } = await startTestApp(t, { tdb, roles: ['http', 'worker'], overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 } } });
  const s = app.services;
  const call = async (path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await api(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const ok = async (path: string, method = 'GET', body?: unknown) => {
    const r = await call(path, method, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  await ok('/api/v1/domains', 'POST', { name: 'bounce.ours.example', kind: 'bounce' });
  s.directory.invalidate();
  await ok('/api/v1/dkim', 'POST', { domain: 'ours.example' });
  const account = await ok('/api/v1/accounts', 'POST', { name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', maxConnections: 2 });
  const template = await ok('/api/v1/templates', 'POST', {
    name: 'Spring', subject: 'Hello {Person.firstName} at {Account.name}',
    html: '<html><body><p>Dear {Person.name} &amp; {Person.tier}</p><p>Company: {Account.name}</p></body></html>',
  });

  await ok('/api/v1/records/accounts/bulk', 'POST', { items: [{ externalId: 'A1', name: 'Acme <Corp>', email: 'office@acme.example' }] });
  await ok('/api/v1/records/contacts/bulk', 'POST', { items: [
    { externalId: 'C1', firstName: 'John', lastName: 'Smith', email: 'John@X.com', accountExternalId: 'A1', attributes: { tier: 'gold' } },
    { externalId: 'C2', firstName: 'Mary', lastName: 'Blocked', email: 'mary@blocked.example' },
    { externalId: 'C3', firstName: 'Pete', lastName: 'Gone', email: 'pete@gone.example', formerEmployee: true },
    { externalId: 'C4', firstName: 'Olga', lastName: 'Out', email: 'olga@out.example' },
    { externalId: 'C5', firstName: 'Zed', lastName: 'Excluded', email: 'zed@Excluded.example' },
    { externalId: 'C6', firstName: 'Nora', lastName: 'NoMail' },
  ] });
  await ok('/api/v1/records/leads/bulk', 'POST', { items: [
    { externalId: 'L1', firstName: 'Lou', lastName: 'Lead', email: 'lou@leads.example' },
    { externalId: 'L2', firstName: 'Johnny', lastName: 'Again', email: ' john@x.COM ' },
    { externalId: 'L3', firstName: 'Ex', lastName: 'Cluder', email: 'ZED@excluded.EXAMPLE' },
  ] });
  await s.suppressions.block('mary@blocked.example', { reason: 'userunknown' });
  await ok('/api/v1/email-addresses/opt-out', 'POST', { address: 'olga@out.example', optedOut: true });
  const user = await s.auth.createUser({ username: 'agent1', name: 'Agent One', email: 'Agent1@Ours.example', password: 'long enough password', role: 'agent' });

  const listA = await ok('/api/v1/target-lists', 'POST', { name: 'Customers' });
  const listB = await ok('/api/v1/target-lists', 'POST', { name: 'Prospects' });
  const listX = await ok('/api/v1/target-lists', 'POST', { name: 'Do not mail' });
  await ok(`/api/v1/target-lists/${listA.id}/members`, 'POST', { records: ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'].map((externalId) => ({ type: 'contact', externalId })).concat([{ type: 'account', externalId: 'A1' }]) });
  await ok(`/api/v1/target-lists/${listB.id}/members`, 'POST', { records: [{ type: 'lead', externalId: 'L1' }, { type: 'lead', externalId: 'L2' }, { type: 'user', id: user.id } as never] });
  await ok(`/api/v1/target-lists/${listX.id}/members`, 'POST', { records: [{ type: 'lead', externalId: 'L3' }] });

  const campaign = await ok('/api/v1/campaigns', 'POST', { name: 'Spring "sale"', type: 'newsletter', targetListIds: [listA.id, listB.id], excludingTargetListIds: [listX.id] });
  t.match(campaign, { id: Number, type: 'newsletter', status: 'planning', targetListIds: [listA.id, listB.id], excludingTargetListIds: [listX.id] });

  const bad = await call('/api/v1/mass-emails', 'POST', { campaignId: campaign.id, name: 'No key', templateId: template.id, accountId: account.id, fromAddress: 'news@other.example', status: 'pending' });
  t.equal(bad.status, 400, 'preflight blocks the start');
  t.match(bad.body.error.message, /other\.example has no active DKIM key/);
  t.match(bad.body.error.message, /not aligned/);

  const me = await ok('/api/v1/mass-emails', 'POST', {
    campaignId: campaign.id, name: 'First wave', templateId: template.id, accountId: account.id, fromAddress: 'news@ours.example', fromName: 'Ours News', status: 'pending',
  });
  t.match(me, { status: 'pending', targetListIds: [listA.id, listB.id], excludingTargetListIds: [listX.id], startAt: Number });

  t.match(await ok('/api/v1/jobs/send-mass-emails/run', 'POST'), { ok: true });
  const done = async () => (await ok(`/api/v1/mass-emails/${me.id}`)).status === 'complete';
  for (let i = 0; i < 800 && !(await done()); i++) { await sleep(50); if (i % 20 === 19) await ok('/api/v1/jobs/send-mass-emails/run', 'POST'); }
  const final = await ok(`/api/v1/mass-emails/${me.id}`);
  t.equal(final.status, 'complete');

  const got = up.received.map((r) => r.to[0]).sort();
  t.same(got, ['agent1@ours.example', 'john@x.com', 'lou@leads.example', 'office@acme.example'], 'exactly the expected recipients, each once');
  t.match(final.counts, { total: 4, sent: 4, queued: 0, deferred: 0, failed: 0, skipped: 6,
    skippedByReason: { blocked: 1, former_employee: 1, opted_out: 1, excluded: 1, no_address: 1, duplicate: 1 } });

  const skipped = await ok(`/api/v1/mass-emails/${me.id}/skipped?perPage=50`);
  const why = Object.fromEntries(skipped.items.map((i: any) => [i.address ?? `${i.memberType}:${i.memberId}`, i.reason]));
  t.match(why, { 'mary@blocked.example': 'blocked', 'pete@gone.example': 'former_employee', 'olga@out.example': 'opted_out', 'zed@excluded.example': 'excluded', 'john@x.com': 'duplicate' });
  t.ok(skipped.items.some((i: any) => i.reason === 'no_address' && i.memberType === 'contact'));

  const verpKey = deriveKey(SECRET, 'verp');
  for (const r of up.received) {
    const mail = await simpleParser(r.raw);
    const to = r.to[0]!;
    t.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]!.address : '', to, 'To names the recipient alone');
    t.ok(parseVerpAddress({ key: verpKey, prefix: 'b', bounceDomains: ['bounce.ours.example'] }, r.from), 'VERP return path on the bounce domain');
    t.match(String(r.raw), /\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n/);
    t.match(String(r.raw), /List-Unsubscribe: <http:\/\/[^>]+\/u\/[^>]+>,\s+<mailto:unsubscribe\+/);
    t.match(String(r.raw), new RegExp(`List-Id: "Spring 'sale'" <c${campaign.id}\\.lists\\.ours\\.example>|List-Id: .*c${campaign.id}\\.lists\\.ours\\.example`));
    t.match(String(r.raw), new RegExp(`Feedback-ID: ${me.id}:${campaign.id}:campaign:postern`));
    t.match(mail.html || '', /href="http:\/\/[^"]+\/u\/[^"]+"/, 'the mandatory opt-out link was appended');
    const v = await dkimVerify(r.raw, { resolver: async (name: string, type: string) => {
      if (type !== 'TXT') throw Object.assign(new Error('nodata'), { code: 'ENODATA' });
      const key = (await s.dkim.list()).find((k) => `${k.dnsName}` === name);
      if (!key) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      return [[key.dnsValue]];
    } });
    t.equal(v.results[0]?.status.result, 'pass', `DKIM verifies for ${to}`);
    if (to === 'john@x.com') {
      t.equal(mail.subject, 'Hello John at Acme <Corp>', 'placeholders from the contact and its account (raw in the subject)');
      t.match(mail.html, /Dear John Smith &amp; gold/, 'custom attribute');
      t.match(mail.html, /Company: Acme &lt;Corp&gt;/, 'HTML-escaped');
    }
    if (to === 'lou@leads.example') t.equal(mail.subject?.trim(), 'Hello Lou at', 'a lead has no account: empty');
    if (to === 'agent1@ours.example') t.match(mail.html, /Dear Agent One/);
  }
  const ids = new Set(up.received.map((r) => r.raw.toString().match(/Message-ID: (\S+)/i)?.[1]));
  t.equal(ids.size, 4, 'each copy has its own Message-ID');

  // A second run changes nothing: no second row, no second send.
  await ok('/api/v1/jobs/send-mass-emails/run', 'POST');
  await sleep(200);
  t.equal(up.received.length, 4);
  t.equal(Number((await tdb.db.knex('outbound_queue').where('mass_email_id', me.id).count({ n: '*' }))[0]!.n), 4);
});
