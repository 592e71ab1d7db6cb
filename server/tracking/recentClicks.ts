/*
 * The links of a row clicked in the last seconds, per node in memory (bounded): the "clicks on
 * every link within seconds" rule asks on every click. A query per click kept clicks at 0.22 of
 * the bare-fastify anchor (bench/tracking.sh); a scanner whose clicks a load balancer spreads
 * over several nodes is seen per node (the user agent, network and delivery-time rules remain).
 */
export function recentClicks(windowMs: number, maxRows = 10_000) {
  const rows = new Map<number, Array<{ link: string; at: number }>>();
  return {
    /** Records a click and answers how many distinct links of the row were clicked within the window (this one included). */
    add(queueId: number, link: string, at: number): number {
      const kept = (rows.get(queueId) ?? []).filter((c) => at - c.at < windowMs);
      kept.push({ link, at });
      rows.delete(queueId);
      if (rows.size >= maxRows) rows.delete(rows.keys().next().value!);
      // Only what the rule needs: a bot hammering one link keeps a short list.
      rows.set(queueId, kept.slice(-64));
      return new Set(kept.map((c) => c.link)).size;
    },
  };
}
