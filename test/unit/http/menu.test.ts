/* The sidebar: areas in a fixed order, entries by order, role filter, one active entry, duplicates once. */
import t from 'tap';
import { buildMenu, type MenuEntry } from '../../../server/http/ui/menu.js';
import { FEATURES } from '../../../server/app.js';

const E = (area: MenuEntry['area'], order: number, href: string, adminOnly = false): MenuEntry => ({ area, order, href, label: `l${href}`, adminOnly });
const entries = [
  E('administration', 10, '/admin/users', true), E('inbound', 20, '/admin/domains'), E('overview', 0, '/admin'),
  E('inbound', 10, '/admin/inbound'), E('outbound', 20, '/admin/queue'), E('outbound', 10, '/admin/compose'),
  E('inbound', 10, '/admin/inbound'), // declared twice (two features, or one twice): shown once
];

const cases: Array<{ name: string; role?: string; path: string; areas: string[]; hrefs: string[]; active?: string }> = [
  { name: 'admin sees every area in order', role: 'admin', path: '/admin', areas: ['overview', 'inbound', 'outbound', 'administration'],
    hrefs: ['/admin', '/admin/inbound', '/admin/domains', '/admin/compose', '/admin/queue', '/admin/users'], active: '/admin' },
  { name: 'agent loses admin-only entries and their empty area', role: 'agent', path: '/admin/queue/12', areas: ['overview', 'inbound', 'outbound'],
    hrefs: ['/admin', '/admin/inbound', '/admin/domains', '/admin/compose', '/admin/queue'], active: '/admin/queue' },
  { name: 'dashboard is not lit by its sub-pages', role: 'admin', path: '/admin/inbound', areas: ['overview', 'inbound', 'outbound', 'administration'],
    hrefs: ['/admin', '/admin/inbound', '/admin/domains', '/admin/compose', '/admin/queue', '/admin/users'], active: '/admin/inbound' },
  { name: 'a prefix of another word is not a match', role: 'admin', path: '/admin/inboundx', areas: ['overview', 'inbound', 'outbound', 'administration'],
    hrefs: ['/admin', '/admin/inbound', '/admin/domains', '/admin/compose', '/admin/queue', '/admin/users'] },
];
for (const c of cases) {
  t.test(c.name, async (t) => {
    const m = buildMenu(entries, { role: c.role, path: c.path });
    t.same(m.map((s) => s.area), c.areas);
    t.same(m.flatMap((s) => s.items.map((i) => i.href)), c.hrefs);
    t.same(m.flatMap((s) => s.items.filter((i) => i.active).map((i) => i.href)), c.active ? [c.active] : []);
  });
}

t.test('the shipped features declare each menu entry once, in a known area, with distinct orders per area', async (t) => {
  const all = FEATURES.flatMap((f) => f.menu ?? []);
  t.equal(new Set(all.map((e) => e.href)).size, all.length, 'no href twice');
  const byArea = new Map<string, number[]>();
  for (const e of all) byArea.set(e.area, [...(byArea.get(e.area) ?? []), e.order]);
  for (const [area, orders] of byArea) t.equal(new Set(orders).size, orders.length, `orders distinct in ${area}`);
});
