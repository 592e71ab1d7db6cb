/*
 * Renders admin pages inside the layout with what every page needs: the user, the CSRF
 * token, flash message, navigation, and list helpers (sort links, pager) for list pages.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { takeFlash } from './session.js';
import type { Page } from '../../db/list.js';

export interface NavItem { href: string; label: string; adminOnly?: boolean }
/** Every area of DESIGN.md gets a place here as its feature lands. */
export const NAV: NavItem[] = [
  { href: '/admin', label: 'Dashboard' },
  { href: '/admin/jobs', label: 'Scheduled jobs' },
  { href: '/admin/users', label: 'Users', adminOnly: true },
  { href: '/admin/teams', label: 'Teams' },
  { href: '/admin/apikeys', label: 'API keys', adminOnly: true },
];

export function addNav(item: NavItem, before?: string) {
  if (NAV.some((n) => n.href === item.href)) return;
  const i = before ? NAV.findIndex((n) => n.href === before) : -1;
  if (i >= 0) NAV.splice(i, 0, item); else NAV.push(item);
}

export async function render(req: FastifyRequest, reply: FastifyReply, page: string, data: Record<string, unknown> = {}) {
  const current = req.url.split('?')[0]!;
  const nav = NAV.filter((n) => !n.adminOnly || req.user?.role === 'admin')
    .map((n) => ({ ...n, active: n.href === '/admin' ? current === '/admin' : current.startsWith(n.href) }));
  return reply.type('text/html; charset=utf-8').view(page, {
    title: 'Postern', user: req.user, csrf: req.csrfToken, flash: takeFlash(req, reply), nav,
    errors: {}, values: {}, ...data,
  });
}

/** Query-string helpers for list pages: keep filters while changing sort or page. */
export function listLinks(base: string, query: Record<string, unknown>, page: Page<unknown>) {
  const qs = (over: Record<string, unknown>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...over })) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
    const s = p.toString();
    return s ? `${base}?${s}` : base;
  };
  const pages = Math.max(1, Math.ceil(page.total / page.perPage));
  return {
    sortHref: (col: string) => qs({ sort: col, dir: page.sort === col && page.dir === 'asc' ? 'desc' : 'asc', page: 1 }),
    sortMark: (col: string) => (page.sort === col ? (page.dir === 'asc' ? '▲' : '▼') : ''),
    ariaSort: (col: string) => (page.sort === col ? (page.dir === 'asc' ? 'ascending' : 'descending') : 'none'),
    prev: page.page > 1 ? qs({ page: page.page - 1 }) : null,
    next: page.page < pages ? qs({ page: page.page + 1 }) : null,
    pages,
  };
}

/** Parses list-page query params into a ListQuery, keeping only known filters. */
export function listQueryFrom(q: Record<string, string | undefined>, filters: string[] = []) {
  const n = (v?: string) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
  return {
    sort: q.sort, dir: q.dir === 'desc' ? 'desc' as const : q.dir === 'asc' ? 'asc' as const : undefined,
    q: q.q?.slice(0, 200), page: n(q.page), perPage: n(q.perPage),
    filters: Object.fromEntries(filters.map((f) => [f, q[f] === undefined || q[f] === '' ? undefined : q[f]])),
  };
}
