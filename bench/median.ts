/*
 * The median the paired benches report (bench/imap.ts, bench/routing-drain.ts): of the finite
 * values (a missing anchor is NaN), the mean of the middle two for an even count; NaN for none.
 */
export function median(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}
