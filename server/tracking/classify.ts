/*
 * Who fetched a tracking pixel or followed a tracked link: a person, a mailbox provider's proxy, a
 * security scanner or a prefetch. Pure: one request's facts in, a class and the name of the rule
 * that decided out (what an agent says is memoized per agent). Rules run in a fixed order and the
 * first that applies wins, so the order below is part of the contract (tests pin it).
 */
import { isbot } from 'isbot';
import { appleNetworks, scannerNetworks } from './networks.js';

export type EventClass = 'human' | 'apple-proxy' | 'provider-proxy' | 'scanner' | 'prefetch' | 'unknown';
export type HitRule =
  | 'head-request' | 'prefetch-header' | 'gmail-image-proxy' | 'yahoo-image-proxy' | 'apple-mpp-ua' | 'apple-network'
  | 'isbot' | 'scanner-ua' | 'scanner-network' | 'too-fast' | 'all-links' | 'too-fast-open' | 'no-user-agent' | 'default';

export interface TrackingHit {
  kind: 'open' | 'click';
  method: string;
  userAgent: string | null;
  /** IPv4 or IPv6 (may be IPv4-mapped ::ffff:a.b.c.d). */
  ip: string | null;
  headers?: { purpose?: string | null; secPurpose?: string | null; xMoz?: string | null; secFetchMode?: string | null };
  /** Since the upstream accepted the message. */
  msSinceSent: number | null;
  /** Clicks: DISTINCT links of this message (this recipient) clicked within the last 10 s, this one included. */
  recentDistinctClicks?: number;
  /** Clicks: how many tracked links the message has. */
  linksInMessage?: number;
}
export interface HitVerdict { class: EventClass; rule: HitRule }

/** A provider proxy fetching this soon after delivery is prefetching for its cache, not showing the mail to anyone. */
export const PROXY_PREFETCH_MS = 5_000;
/** Nobody reads a mail and clicks in it within 2 s of its delivery; a scanner does. */
export const CLICK_TOO_FAST_MS = 2_000;
/** An open within 1 s of delivery is a client or gateway fetching on arrival. */
export const OPEN_TOO_FAST_MS = 1_000;
/** A burst of this many distinct links within the caller's 10 s window is a scanner whatever the message's link count. */
export const ALL_LINKS_MIN = 3, ALL_LINKS_ALWAYS = 5;

const GMAIL_PROXY = /GoogleImageProxy/;
const YAHOO_PROXY = /YahooMailProxy/;
// Apple MPP sends exactly this and nothing more; every real browser and mail client says more.
const APPLE_MPP_UA = 'Mozilla/5.0';
// Security gateways and link scanners that say who they are (isbot knows some of them already).
const SCANNER_UA = /barracuda|mimecast|proofpoint|urldefense|symantec|broadcom|messagelabs|trend ?micro|ironport|cisco|fortinet|fortiguard|fortimail|sophos|forcepoint/i;
// Office's own fetcher. On a click it is a preview or link check: a real click in Outlook desktop
// opens the default browser, which sends that browser's UA. On an open it IS Outlook desktop
// loading the images for a reader, so it only counts against clicks.
const OFFICE_UA = /ms-office|MSOffice|Microsoft Office|Microsoft Outlook/i;

const isPrefetchHint = (v: string | null | undefined) => !!v && /^\s*prefetch\b/i.test(v);

/** What the user agent alone says, worked out once per distinct agent. */
interface UaFacts { gmail: boolean; yahoo: boolean; bot: boolean; scanner: boolean; office: boolean }
// isbot's one large regex was 1.9 % of a hit's CPU (--cpu-prof, bench/tracking.sh); the same few agents come
// back on hit after hit. Bounded: emptied when full (a flood of distinct agents costs the regex only).
const UA_MEMO_MAX = 2_000;
const uaMemo = new Map<string, UaFacts>();
function uaFacts(ua: string): UaFacts {
  let f = uaMemo.get(ua);
  if (!f) {
    f = { gmail: GMAIL_PROXY.test(ua), yahoo: YAHOO_PROXY.test(ua), bot: isbot(ua), scanner: SCANNER_UA.test(ua), office: OFFICE_UA.test(ua) };
    if (uaMemo.size >= UA_MEMO_MAX) uaMemo.clear();
    uaMemo.set(ua, f);
  }
  return f;
}

function verdict(cls: EventClass, rule: HitRule): HitVerdict {
  return { class: cls, rule };
}

export function classifyHit(h: TrackingHit): HitVerdict {
  const ua = h.userAgent?.trim() || null;
  const method = h.method.toUpperCase();
  const since = h.msSinceSent;
  const open = h.kind === 'open';
  const u = ua ? uaFacts(ua) : null;

  // People's mail clients and browsers GET (a form-style link may POST); HEAD and the rest are link checkers.
  if (method !== 'GET' && method !== 'POST') return verdict('scanner', 'head-request');
  const hd = h.headers ?? {};
  if (isPrefetchHint(hd.purpose) || isPrefetchHint(hd.secPurpose) || isPrefetchHint(hd.xMoz)) return verdict('prefetch', 'prefetch-header');

  // Gmail's and Yahoo's image proxies fetch when a person opens the mail, except right after delivery.
  if (open && u?.gmail) return verdict(since !== null && since < PROXY_PREFETCH_MS ? 'provider-proxy' : 'human', 'gmail-image-proxy');
  if (open && u?.yahoo) return verdict(since !== null && since < PROXY_PREFETCH_MS ? 'provider-proxy' : 'human', 'yahoo-image-proxy');

  // Apple MPP fetches images only; a click with the bare UA falls to isbot (which flags it) below.
  if (open && ua === APPLE_MPP_UA) return verdict('apple-proxy', 'apple-mpp-ua');
  if (open && appleNetworks.has(h.ip)) return verdict('apple-proxy', 'apple-network');

  if (u?.bot) return verdict('scanner', 'isbot');
  if (u && (u.scanner || (!open && u.office))) return verdict('scanner', 'scanner-ua');
  if (scannerNetworks.has(h.ip)) return verdict('scanner', 'scanner-network');

  if (!open) {
    if (since !== null && since < CLICK_TOO_FAST_MS) return verdict('scanner', 'too-fast');
    const n = h.recentDistinctClicks ?? 0;
    if (n >= ALL_LINKS_MIN && (n >= ALL_LINKS_ALWAYS || (h.linksInMessage !== undefined && n >= h.linksInMessage))) return verdict('scanner', 'all-links');
  } else if (since !== null && since < OPEN_TOO_FAST_MS) {
    return verdict('prefetch', 'too-fast-open');
  }

  if (!ua) return verdict('unknown', 'no-user-agent');
  return verdict('human', 'default');
}
