/*
 * The shared start of the tracking tests: an app (HTTP and worker roles) on an injected clock
 * that a test can move on, a counting upstream, a DKIM key, a relay account, N contacts in one
 * target list and a campaign with one tracking URL; `ok` calls the API and throws on an error.
 */
import type { Test } from 'tap';
import { startTestApp } from '../../helpers/app.js';
import { startUpstream } from '../../helpers/upstream.js';
import type { TestDb } from '../../helpers/db.js';

export async function trackingRig(t: Test, tdb: TestDb, n: number, pricingUrl: string) {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const clock = { offset: 0 };
  const started = await startTestApp(t, { tdb, roles: ['http', 'worker'], clock: { now: () => Date.now() + clock.offset }, overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 100 } } });
  const { api } = started;
  const ok = async (path: string, method = 'GET', body?: unknown) => {
    const res = await api(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const out = res.status === 204 ? null : await res.json();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(out)}`);
    return out as any;
  };
  await ok('/api/v1/dkim', 'POST', { domain: 'ours.example' });
  const account = await ok('/api/v1/accounts', 'POST', { name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', maxConnections: 2 });
  await ok('/api/v1/records/contacts/bulk', 'POST', { items: Array.from({ length: n }, (_, i) => ({ externalId: `C${i}`, firstName: `P${i}`, email: `p${i}@rcpt.example` })) });
  const list = await ok('/api/v1/target-lists', 'POST', { name: 'Everyone' });
  await ok(`/api/v1/target-lists/${list.id}/members`, 'POST', { filter: { type: 'contact' } });
  const campaign = await ok('/api/v1/campaigns', 'POST', { name: 'Launch', type: 'newsletter', targetListIds: [list.id] });
  const pricing = await ok(`/api/v1/campaigns/${campaign.id}/tracking-urls`, 'POST', { name: 'Pricing', url: pricingUrl });
  return { ...started, s: started.app.services, up, clock, ok, account, list, campaign, pricing };
}
