/*
 * The links of a row clicked in the last seconds, per node in memory (bounded): the "clicks on
 * every link within seconds" rule asks on every click. A query per click kept clicks at 0.22 of
 * the bare-fastify anchor (bench/tracking.sh); a scanner whose clicks a load balancer spreads
 * over several nodes is seen per node (the user agent, network and delivery-time rules remain).
 * A row's list is edited in place (filter/Set/slice copies per click were 0.9 % of a hit's CPU, --cpu-prof).
 */
interface Click { link: string; at: number }

export function recentClicks(windowMs: number, maxRows = 10_000) {
  const rows = new Map<number, Click[]>();
  return {
    /** Records a click and answers how many distinct links of the row were clicked within the window (this one included). */
    add(queueId: number, link: string, at: number): number {
      let kept = rows.get(queueId);
      if (kept) rows.delete(queueId);
      else kept = [];
      let n = 0;
      for (const c of kept) if (at - c.at < windowMs) kept[n++] = c;
      kept.length = n;
      kept.push({ link, at });
      const distinct: string[] = [];
      for (const c of kept) if (!distinct.includes(c.link)) distinct.push(c.link);
      // Only what the rule needs: a bot hammering one link keeps a short list.
      if (kept.length > 64) kept.splice(0, kept.length - 64);
      if (rows.size >= maxRows) rows.delete(rows.keys().next().value!);
      rows.set(queueId, kept);
      return distinct.length;
    },
  };
}
