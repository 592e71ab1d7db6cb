/*
 * The links of a row clicked in the last seconds, per node in memory (bounded): the "clicks on
 * every link within seconds" rule asks on every click. A query per click kept clicks at 0.22 of
 * the bare-fastify anchor (bench/tracking.sh); a scanner whose clicks a load balancer spreads
 * over several nodes is seen per node (the user agent, network and delivery-time rules remain).
 * A row keeps one entry per link (its latest click), edited in place: the rule counts distinct
 * links, and a list of every click made a bot hammering one link walk up to 64 entries and a
 * `distinct` array per click (1.8 % of a hit's CPU in the single-link bench, --cpu-prof).
 */
interface Click { link: string; at: number }

/** Links remembered per row; a message has few, and the rule needs at most ALL_LINKS_ALWAYS. */
const MAX_LINKS = 64;

export function recentClicks(windowMs: number, maxRows = 10_000) {
  const rows = new Map<number, Click[]>();
  return {
    /** Records a click and answers how many distinct links of the row were clicked within the window (this one included). */
    add(queueId: number, link: string, at: number): number {
      let kept = rows.get(queueId);
      if (kept) rows.delete(queueId);
      else kept = [];
      let n = 0, mine: Click | null = null;
      for (const c of kept) {
        if (c.link === link) { mine = c; if (at > c.at) c.at = at; kept[n++] = c; }
        else if (at - c.at < windowMs) kept[n++] = c;
      }
      kept.length = n;
      if (!mine) {
        // The least recently clicked link goes first when a row holds too many.
        if (n >= MAX_LINKS) { let o = 0; for (let i = 1; i < n; i++) if (kept[i]!.at < kept[o]!.at) o = i; kept.splice(o, 1); }
        kept.push({ link, at });
      }
      if (rows.size >= maxRows) rows.delete(rows.keys().next().value!);
      rows.set(queueId, kept);
      return kept.length;
    },
  };
}
