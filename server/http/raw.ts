/*
 * Raw routes: the few public endpoints hit once per opened mail (the tracking pixel and the
 * tracked link) answered straight from Node's HTTP server, in front of Fastify. Measured with
 * bench/tracking.sh: through Fastify with the admin app's hooks (cookies, metrics, onSend) a
 * pixel cost ~240 µs of CPU against ~50 µs for the bare-fastify anchor; the hooks do nothing
 * for a token URL. Everything else goes to Fastify unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../config.js';

/** A raw handler: the path after the prefix, the client address (trustProxy applied). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse, rest: string, ip: string) => void;
export interface RawRoute { prefix: string; handler: RawHandler }

const RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};
const unmap = (a: string) => (a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a);

/** The trusted proxies of a list (addresses, CIDRs, proxy-addr's range names) as one check. */
export function trustedList(entries: string[]): (addr: string) => boolean {
  const bl = new BlockList();
  for (const e of entries.flatMap((x) => RANGES[x] ?? [x])) {
    const [a, bits] = e.split('/') as [string, string | undefined];
    const fam = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) bl.addAddress(a, fam);
    else bl.addSubnet(a, Number(bits), fam);
  }
  return (addr) => {
    const a = unmap(addr);
    const fam = isIP(a);
    return fam !== 0 && bl.check(a, fam === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client address as Fastify's `trustProxy` gives it: the socket peer, or walking the
 * X-Forwarded-For list from the right while the hop is a trusted proxy (a hop count, or
 * addresses/CIDRs). Same answer as Fastify for the same setting (test/unit/http/raw.test.ts).
 */
export function clientIpOf(tp: TrustProxy): (req: IncomingMessage) => string {
  if (tp === false || (typeof tp === 'number' && tp <= 0)) return (req) => req.socket.remoteAddress ?? '';
  const isTrusted = typeof tp === 'number' ? null : trustedList(tp);
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    const list = (Array.isArray(xff) ? xff.join(',') : xff ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const hops = [peer, ...list.reverse()];
    for (let i = 0; i < hops.length - 1; i++) {
      if (!(isTrusted ? isTrusted(hops[i]!) : i < (tp as number))) return hops[i]!;
    }
    return hops[hops.length - 1]!;
  };
}

/** The request listener: a raw route when the path starts with its prefix (GET/HEAD only), Fastify otherwise. */
export function rawDispatch(routes: RawRoute[], ipOf: (req: IncomingMessage) => string, fallback: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    if (req.method === 'GET' || req.method === 'HEAD') {
      for (const r of routes) {
        if (url.startsWith(r.prefix)) {
          const q = url.indexOf('?');
          const rest = q < 0 ? url.slice(r.prefix.length) : url.slice(r.prefix.length, q);
          // Tokens are base64url: decoded only when escaped (a decode per hit for nothing otherwise).
          let seg: string | null = rest;
          if (rest.includes('%')) { try { seg = decodeURIComponent(rest); } catch { seg = null; /* a malformed escape: Fastify answers it */ } }
          if (seg && !rest.includes('/')) return r.handler(req, res, seg, ipOf(req));
        }
      }
    }
    return fallback(req, res);
  };
}
