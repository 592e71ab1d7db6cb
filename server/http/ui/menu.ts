/*
 * The admin sidebar: entries that features declare (area, order, label key), grouped into
 * areas in a fixed order and filtered by role. Pure: one menu per app, built per request.
 */
export const MENU_AREAS = ['overview', 'inbound', 'outbound', 'crm', 'deliverability', 'administration'] as const;
export type MenuArea = (typeof MENU_AREAS)[number];

export interface MenuEntry {
  area: MenuArea;
  /** Position within the area; gaps leave room for features that land later. */
  order: number;
  href: string;
  /** A message-catalog key (server/i18n). */
  label: string;
  adminOnly?: boolean;
}
export interface MenuSection { area: MenuArea; label: string; items: Array<MenuEntry & { active: boolean }> }

/** Duplicates (the same href declared twice) keep the first; empty areas are left out. */
export function buildMenu(entries: MenuEntry[], o: { role?: string; path: string }): MenuSection[] {
  const seen = new Set<string>();
  const visible = entries.filter((e) => !seen.has(e.href) && seen.add(e.href) && (!e.adminOnly || o.role === 'admin'));
  // The longest matching href wins, so /admin/queue is not also lit by /admin.
  const active = visible.filter((e) => o.path === e.href || (e.href !== '/admin' && o.path.startsWith(`${e.href}/`)))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  return MENU_AREAS.map((area) => ({
    area, label: `menu.area.${area}`,
    items: visible.filter((e) => e.area === area).sort((a, b) => a.order - b.order || a.href.localeCompare(b.href)).map((e) => ({ ...e, active: e.href === active })),
  })).filter((s) => s.items.length);
}
