/*
 * Who we accept mail for: local domains, mailboxes, catch-alls, postmaster@/abuse@ of every
 * local domain (RFC 5321 §4.5.1) and signed VERP addresses on the bounce domain. A bare
 * <Postmaster> (any case) is postmaster@ of the primary local domain (the oldest one), then
 * treated like that address: its mailbox, else the domain's catch-all, else postmaster mail.
 * RCPT classification reads a snapshot refreshed every 5 s (a DB round trip per RCPT would
 * cost more than the rest of the SMTP path), and at once after any change made on this node.
 */
import type { Ctx } from '../context.js';
import { parseMailbox } from '../lib/addresses.js';
import { parseVerpAddress } from '../lib/verp.js';
import { deriveKey } from '../lib/keys.js';
import { domainsRepo, mailboxesRepo } from '../db/repos/domains.js';

const SNAPSHOT_TTL_MS = 5000;

export type RcptDecision =
  | { ok: true; address: string; kind: 'mailbox' | 'catchall' | 'postmaster' | 'verp' | 'case'; mailboxId: number | null; targetId: number | null }
  | { ok: false; code: number; message: string };

interface Snapshot { at: number; local: Map<string, { id: number; catchAll: number | null }>; bounce: string[]; mailboxes: Map<string, number> }

/** Extra resolvers (case reply addresses…) that features add; first non-null answer wins. */
export type RecipientResolver = (local: string, domain: string) => Promise<RcptDecision | null>;

export function createDirectory(s: { ctx: Ctx }) {
  const domains = domainsRepo(s.ctx.db);
  const mailboxes = mailboxesRepo(s.ctx.db);
  const verpKey = deriveKey(s.ctx.config.secret, 'verp');
  const resolvers: RecipientResolver[] = [];
  let snap: Snapshot | null = null;
  let loading: Promise<Snapshot> | null = null;

  async function load(): Promise<Snapshot> {
    const [ds, ms] = await Promise.all([domains.all(), mailboxes.activeAddresses()]);
    const local = new Map<string, { id: number; catchAll: number | null }>();
    const bounce: string[] = [];
    for (const d of ds) {
      if (!d.active) continue;
      if (d.kind === 'bounce') bounce.push(d.name); else local.set(d.name, { id: d.id, catchAll: d.catch_all_mailbox_id });
    }
    return { at: Date.now(), local, bounce, mailboxes: new Map(ms.map((m) => [m.address.toLowerCase(), m.id])) };
  }
  async function snapshot(): Promise<Snapshot> {
    if (snap && Date.now() - snap.at < SNAPSHOT_TTL_MS) return snap;
    loading ??= load().then((x) => { snap = x; return x; }).finally(() => { loading = null; });
    return loading;
  }

  /** The oldest local domain (else a bounce domain, else this host): where bare <Postmaster> goes. */
  async function primaryDomain(): Promise<string> {
    const sn = await snapshot();
    let best: [string, number] | null = null;
    for (const [name, d] of sn.local) if (!best || d.id < best[1]) best = [name, d.id];
    return best?.[0] ?? sn.bounce[0] ?? s.ctx.config.smtp.hostname;
  }

  return {
    addResolver(r: RecipientResolver) { resolvers.push(r); },
    invalidate() { snap = null; },
    async bounceDomains() { return (await snapshot()).bounce; },
    /** The RCPT TO decision: accept with a classification, or the SMTP reply that refuses it. */
    async classify(raw: string): Promise<RcptDecision> {
      if (raw.trim().toLowerCase() === 'postmaster') return this.classify(`postmaster@${await primaryDomain()}`);
      const p = parseMailbox(raw, { smtputf8: true });
      if (!p.ok) {
        if (p.code === 'syntax' || p.code === 'too-long' || p.code === 'bad-domain') return { ok: false, code: 553, message: `5.1.3 Bad recipient address syntax (${p.message})` };
        return { ok: false, code: 550, message: `5.7.1 Relaying denied: ${p.message}` };
      }
      const sn = await snapshot();
      const local = p.local.toLowerCase();
      const address = `${local}@${p.domain}`;
      const isPostmaster = local === 'postmaster' || local === 'abuse';
      if (sn.bounce.includes(p.domain)) {
        const v = parseVerpAddress({ key: verpKey, prefix: s.ctx.config.outbound.verpPrefix, bounceDomains: sn.bounce }, address);
        if (v.ok) return { ok: true, address, kind: 'verp', mailboxId: null, targetId: v.id };
        if (isPostmaster) return { ok: true, address, kind: 'postmaster', mailboxId: null, targetId: null };
        return { ok: false, code: 550, message: '5.1.1 No such bounce address' };
      }
      const dom = sn.local.get(p.domain);
      if (!dom) {
        for (const r of resolvers) { const d = await r(local, p.domain); if (d) return d; }
        return { ok: false, code: 550, message: '5.7.1 Relaying denied' };
      }
      // A plus-addressed local part of a mailbox may be a signed case reply address (routing/cases):
      // its resolver decides before the base mailbox would take it, and refuses a forged one.
      const base = sn.mailboxes.get(`${local.split('+')[0]}@${p.domain}`);
      if (local.includes('+') && base !== undefined && !sn.mailboxes.has(address)) {
        for (const r of resolvers) {
          const d = await r(local, p.domain);
          if (d) return d.ok ? { ...d, address, mailboxId: d.mailboxId ?? base } : d;
        }
      }
      const exact = sn.mailboxes.get(address) ?? base;
      if (exact !== undefined) return { ok: true, address, kind: 'mailbox', mailboxId: exact, targetId: null };
      for (const r of resolvers) { const d = await r(local, p.domain); if (d) return d; }
      if (isPostmaster) return { ok: true, address, kind: 'postmaster', mailboxId: null, targetId: null };
      if (dom.catchAll !== null) return { ok: true, address, kind: 'catchall', mailboxId: dom.catchAll, targetId: null };
      return { ok: false, code: 550, message: '5.1.1 User unknown' };
    },
  };
}
export type Directory = ReturnType<typeof createDirectory>;
