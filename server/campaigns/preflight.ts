/*
 * Preflight of a mass email before it may start (pure): the checks, each with the reason it
 * fails, from facts the service gathers. A failed check blocks the start and names the reason
 * (the seed CRMs start anyway and fail row by row, or send without an opt-out link).
 */
import { getDomain } from 'tldts';

export interface PreflightFacts {
  account: { name: string; active: boolean; paused_reason: string | null; fromProblem: string | null } | null;
  fromAddr: string;
  /** Whether the From domain has an active DKIM key. */
  dkimKey: boolean;
  /** The envelope (VERP) domain, or null when mail goes out with the From address as return path. */
  bounceDomain: string | null;
  informational: boolean;
  template: { found: boolean; hasOptOutLink: boolean };
  optOutMandatory: boolean;
  /** Members of the target lists (before exclusions). */
  audience: number;
}
export interface PreflightProblem { check: 'account' | 'dkim' | 'alignment' | 'optout' | 'audience' | 'template' | 'from'; message: string }

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();
/** The organisational domain DMARC's relaxed alignment compares (public suffix list). */
export const orgDomain = (d: string) => (getDomain(d, { allowPrivateDomains: true }) ?? d).toLowerCase();

export function preflight(f: PreflightFacts): PreflightProblem[] {
  const out: PreflightProblem[] = [];
  const from = domainOf(f.fromAddr);
  if (!f.account) out.push({ check: 'account', message: 'No upstream account is set, or it no longer exists' });
  else if (!f.account.active) out.push({ check: 'account', message: `Upstream account ${f.account.name} is not active` });
  else if (f.account.fromProblem) out.push({ check: 'from', message: f.account.fromProblem });
  if (!f.template.found) out.push({ check: 'template', message: 'No template is set, or it no longer exists' });
  if (!f.dkimKey) out.push({ check: 'dkim', message: `The From domain ${from} has no active DKIM key (Outbound → DKIM keys)` });
  if (f.bounceDomain && orgDomain(f.bounceDomain) !== orgDomain(from)) {
    out.push({ check: 'alignment', message: `The return path domain ${f.bounceDomain} is not aligned with the From domain ${from} (SPF would not pass DMARC)` });
  }
  if (!f.informational && f.template.found && !f.template.hasOptOutLink && !f.optOutMandatory) {
    out.push({ check: 'optout', message: 'The template has no {optOutUrl} link and the mandatory opt-out link is turned off' });
  }
  if (f.audience <= 0) out.push({ check: 'audience', message: 'The target lists have no members' });
  return out;
}

/** The bounce domain a campaign's return path uses: one aligned with the From domain when there is one. */
export function pickBounceDomain(fromAddr: string, domains: string[]): string | null {
  const org = orgDomain(domainOf(fromAddr));
  return domains.find((d) => orgDomain(d) === org) ?? domains[0] ?? null;
}
