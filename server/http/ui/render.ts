/*
 * Renders admin pages inside the layout with what every page needs: the user, the CSRF
 * token, flash message, navigation, and list helpers (sort links, pager) for list pages.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { takeFlash } from './session.js';
import type { Page } from '../../db/list.js';
import { buildMenu } from './menu.js';
import { messages, type Messages, type MessageKey } from '../../i18n/catalog.js';

const esc = (v: string | number) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The current user's catalog and formats, for texts made outside a view (flashes are set
 * now and shown on the next page, so they are translated now).
 */
export const tr = (req: FastifyRequest): Messages => messages(req.user?.locale, req.user?.time_zone);

export async function render(req: FastifyRequest, reply: FastifyReply, page: string, data: Record<string, unknown> = {}) {
  const path = req.url.split('?')[0]!;
  const i18n = messages(req.user?.locale, req.user?.time_zone);
  const menu = buildMenu(req.server.adminShell.menu, { role: req.user?.role, path });
  return reply.type('text/html; charset=utf-8').view(page, {
    title: 'Postern', user: req.user, csrf: req.csrfToken, flash: takeFlash(req, reply), menu, ...i18n,
    // A catalog text that holds markup (`<code>`, links): output raw with `<%~`, params escaped.
    th: (key: MessageKey, params?: Record<string, string | number>) =>
      i18n.t(key, params && Object.fromEntries(Object.entries(params).map(([k, v]) => [k, esc(v)]))),
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
