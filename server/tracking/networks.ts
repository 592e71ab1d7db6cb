/*
 * The networks whose tracking hits are machines, kept as data, and the CIDR matching they need
 * (IPv4 and IPv6; an IPv4-mapped IPv6 address matches IPv4 ranges). Pure: addresses in, yes/no out.
 * Our own small matcher rather than ipaddr.js, which is only a transitive dependency here.
 */

/** A parsed address: 4 bytes (IPv4, including IPv4-mapped IPv6) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array;
export interface Cidr { bytes: IpBytes; bits: number }
export interface NetworkList { has(ip: string | null | undefined): boolean }

const V4_PART = /^(0|[1-9]\d{0,2})$/;
const V6_GROUP = /^[0-9a-f]{1,4}$/i;

function parseV4(s: string): IpBytes | null {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

function parseV6(s: string): IpBytes | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  // A trailing dotted quad (::ffff:192.0.2.1, 64:ff9b::192.0.2.1) stands for the last two groups.
  const last = halves.length === 2 ? tail : head;
  let v4: IpBytes | null = null;
  if (last.length && last[last.length - 1].includes('.')) {
    v4 = parseV4(last.pop() as string);
    if (!v4) return null;
  }
  const want = v4 ? 6 : 8;
  const given = head.length + tail.length;
  if (halves.length === 2 ? given > want - 1 : given !== want) return null;
  if (![...head, ...tail].every((g) => V6_GROUP.test(g))) return null;
  const words = [...head, ...Array<string>(want - given).fill('0'), ...tail].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  if (v4) out.set(v4, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address (brackets and a %zone allowed); IPv4-mapped IPv6 comes back as IPv4. */
export function parseIp(raw: string): IpBytes | null {
  const s = raw.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (!s.includes(':')) return parseV4(s);
  const b = parseV6(s);
  if (b && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  return b;
}

/** Parses `address/bits`; throws on a malformed entry, since these lists are our own data. */
export function parseCidr(s: string): Cidr {
  const [addr, len, extra] = s.split('/');
  const bytes = addr === undefined ? null : parseIp(addr);
  const bits = Number(len);
  if (!bytes || extra !== undefined || !/^\d{1,3}$/.test(len ?? '') || bits > bytes.length * 8) throw new Error(`bad CIDR: ${s}`);
  return { bytes, bits };
}

export function inCidr(ip: IpBytes, c: Cidr): boolean {
  if (ip.length !== c.bytes.length) return false;
  const whole = c.bits >> 3, rest = c.bits & 7;
  for (let i = 0; i < whole; i++) if (ip[i] !== c.bytes[i]) return false;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole] & mask) === (c.bytes[whole] & mask);
}

/**
 * A dotted quad (a.b.c.d, no leading zeros, each ≤ 255) as an unsigned 32-bit number, or -1 for
 * anything else (which then goes through parseIp). Most hits come from IPv4 or IPv4-mapped
 * peers: parsing them with split/regex/Uint8Array was 1.4 % of a hit's CPU (--cpu-prof, bench/tracking.sh).
 */
export function v4Number(s: string, from = 0): number {
  let out = 0, part = 0, digits = 0, dots = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) { // '.'
      if (digits === 0 || ++dots > 3) return -1;
      out = out * 256 + part; part = 0; digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? out * 256 + part : -1;
}

export function networkList(cidrs: readonly string[]): NetworkList {
  const parsed = cidrs.map(parseCidr);
  // IPv4 ranges as (network, mask) numbers for the fast path.
  const v4 = parsed.filter((c) => c.bytes.length === 4).map((c) => {
    const mask = c.bits === 0 ? 0 : (0xffffffff << (32 - c.bits)) >>> 0;
    return { net: ((c.bytes[0]! << 24 | c.bytes[1]! << 16 | c.bytes[2]! << 8 | c.bytes[3]!) & mask) >>> 0, mask };
  });
  const inV4 = (n: number) => v4.some((r) => ((n & r.mask) >>> 0) === r.net);
  return {
    has(ip) {
      if (!ip) return false;
      const n = v4Number(ip, ip.startsWith('::ffff:') ? 7 : 0);
      if (n >= 0) return inV4(n);
      const b = parseIp(ip);
      return !!b && parsed.some((c) => inCidr(b, c));
    },
  };
}

/*
 * Apple Mail Privacy Protection fetches from Apple's own 17.0.0.0/8 (ARIN, Apple Inc.). Its image
 * fetches are also seen from iCloud Private Relay egress ranges, but those carry real people's
 * Safari browsing (clicks), so they are deliberately not listed.
 */
export const APPLE_MPP_CIDRS = ['17.0.0.0/8'] as const;

/*
 * Link and image scanners by network.
 * - Microsoft Exchange Online Protection (Safe Links, attachment/URL detonation): the Exchange Online
 *   SMTP range of Microsoft's "Microsoft 365 URLs and IP address ranges" list (endpoint set 'Exchange Online').
 * - Google's crawlers: googlebot.json / "Verifying Googlebot" (66.249.64.0/19; the 2001:4860:4801::/48
 *   covers the /64s listed there). Gmail's image proxy also fetches from 66.249.x.x, so the classifier
 *   recognises it by user agent before it looks here.
 * Proofpoint and Mimecast ranges are left out: their published lists are per customer region and change;
 * their scanners are caught by user agent instead.
 */
export const SCANNER_CIDRS = [
  // Microsoft Exchange Online Protection
  '40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17', '2a01:111:f400::/48', '2a01:111:f403::/48',
  // Google crawlers
  '66.249.64.0/19', '2001:4860:4801::/48',
] as const;

export const appleNetworks = networkList(APPLE_MPP_CIDRS);
export const scannerNetworks = networkList(SCANNER_CIDRS);
