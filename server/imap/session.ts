/*
 * One IMAP account's connection, run by the node holding its lease: connect (with backoff
 * after failures), sync each monitored folder (new mail above the stored UID, then the first
 * sync's backfill newest first in pages), then IDLE on the first folder until new mail, the
 * periodic check or a stop. Messages are committed in batches by the sync repo (lease-fenced).
 */
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import type { Log } from '../log.js';
import type { Clock } from '../context.js';
import type { ImapAccountRow, ImapState } from '../db/repos/imap/accounts.js';
import { LeaseLostError, type BatchKey, type CursorMove, type FetchedMessage, type ImapSyncRepo } from '../db/repos/imap/sync.js';
import { rawChunks, type NewInbound, type StoredRecipient } from '../db/repos/inbound/store.js';
import type { BackoffOptions } from '../lib/backoff.js';
import { dedupeKey, denseFolder, errorText, headerBlock, messageIdOf, rangePages, reconnectDelay, returnPathOf, searchedPages, stateAfterError, type BackfillPage } from './logic.js';

/** What start() hands the app (the shape of feature.ts's Running, declared here: importing it would make a cycle). */
export interface Running { stop(): Promise<void> }

export interface SyncOptions {
  /** How long a lease lasts; the supervisor renews it every `tickMs`. */
  leaseMs: number;
  tickMs: number;
  /** The periodic check under IDLE (a fallback for a missed EXISTS). */
  pollMs: number;
  /** First-sync page (UIDs per page: a UID range of a dense folder, or that many a SEARCH found) and commit batch sizes. */
  pageSize: number;
  batchSize: number;
  /** No successful command for this long with the connection up: `stalled`, and it reconnects. */
  stalledMs: number;
  backoff: BackoffOptions;
  connectTimeoutMs: number;
}
export const SYNC_DEFAULTS: SyncOptions = {
  leaseMs: 60_000, tickMs: 15_000, pollMs: 60_000, pageSize: 5000, batchSize: 500, stalledMs: 10 * 60_000,
  backoff: { baseMs: 1000, maxMs: 5 * 60_000, jitter: 0.5 }, connectTimeoutMs: 15_000,
};

export interface SessionDeps {
  sync: ImapSyncRepo; log: Log; clock: Clock; node: string; opts: SyncOptions;
  password(a: ImapAccountRow): string;
  recipients(a: ImapAccountRow): Promise<StoredRecipient[]>;
  setState(id: number, state: ImapState, extra: { error?: string | null; syncedAt?: number }): Promise<void>;
  /** A message that could not be stored (logged under its UID, kept on the server): reported once per UID. */
  messageFailed?(a: ImapAccountRow, folder: string, uid: number, error: string): Promise<void>;
  /** After each durable batch (the fsync), e.g. to count; optional. */
  onBatch?(accountId: number, n: number): void;
  durable(): Promise<void>;
}

/**
 * A fetched message as the inbound store takes it: the fields the account shares are the
 * account's (one object), the raw's chunks a method, not a closure per message. With the header
 * patterns compiled once (logic.ts) a message's preparation went from 7–10 to 4–4.6 µs of the
 * main thread (10,000 messages of 2 KB, warm, four rounds).
 */
class HeldInbound implements NewInbound {
  readonly listener = 'imap' as const;
  readonly remote_ip = '';
  readonly credential_id = null;
  readonly size: number;
  constructor(readonly raw: Buffer, readonly mail_from: string, readonly rcpt_to: string[], readonly helo: string, readonly tls: boolean, readonly recipients: StoredRecipient[],
    readonly bulk: boolean) {
    this.size = raw.length;
  }
  async* chunks() { yield* rawChunks(this.raw); }
}

export function accountSession(d: SessionDeps, a: ImapAccountRow) {
  const log = d.log.child({ mod: 'imap', account: a.id });
  const now = () => d.clock.now();
  let stopped = false;
  let client: ImapFlow | null = null;
  let wake: (() => void) | null = null;
  let dirty = false;
  let state: ImapState = 'connecting';
  let lastSuccess = now();
  /** Set by the watchdog: the failure that follows is the stall, and the state stays `stalled` until the reconnect. */
  let stalledNow = false;
  let running: Promise<void> = Promise.resolve();
  let recipients: StoredRecipient[] = [];
  const folders = a.folders.length ? a.folders : ['INBOX'];

  const poke = () => { dirty = true; wake?.(); };
  const ok = () => { lastSuccess = now(); };
  async function setState(s: ImapState, extra: { error?: string | null; syncedAt?: number } = {}) {
    state = s;
    await d.setState(a.id, s, extra).catch((e: unknown) => log.warn({ evt: 'imap.state_write_failed', err: e }, 'account state not written'));
  }
  const sleep = (ms: number) => new Promise<void>((res) => { const t = setTimeout(() => { wake = null; res(); }, ms); wake = () => { clearTimeout(t); wake = null; res(); }; });

  // The same for every message of the account (the store only reads them).
  const rcptTo = [a.mailbox_address || a.username];
  const helo = `imap:${a.host}`;
  const tls = a.security !== 'none';
  /** `bulk`: the first sync's backfill (mail that was there before the account synced it), which notifies nobody. */
  function fetched(m: FetchMessageObject, bulk: boolean): FetchedMessage | null {
    if (!m.source) return null;
    const raw = m.source;
    const headers = headerBlock(raw);
    const messageId = messageIdOf(headers);
    return { uid: m.uid, dedupeKey: dedupeKey(messageId, raw), messageId, inbound: new HeldInbound(raw, returnPathOf(headers), rcptTo, helo, tls, recipients, bulk) };
  }

  async function failed(key: BatchKey, uid: number, dedupe: string, messageId: string | null, error: string) {
    if (await d.sync.fail(key, uid, dedupe, messageId, error, now())) await d.messageFailed?.(a, key.folder, uid, error).catch(() => undefined);
  }

  /**
   * Commits one batch after `after` (the previous batch's commit, see the sync repo); a batch
   * that fails is retried message by message, and one that still fails is logged as failed.
   */
  async function commit(key: BatchKey, batch: FetchedMessage[], cursor: CursorMove, after: Promise<void> | null, inFlight: readonly string[]) {
    try {
      await d.sync.commit(key, batch, cursor, now(), { after: after ?? undefined, inFlight });
    } catch (e) {
      if (e instanceof LeaseLostError) throw e;
      // The previous batch failed: this one must not move the cursor past it (the caller reconnects).
      if (after && (await after.then(() => false, () => true))) throw e;
      for (const m of batch) {
        try { await d.sync.commit(key, [m], {}, now()); } catch (e2) {
          if (e2 instanceof LeaseLostError) throw e2;
          log.error({ evt: 'imap.message_failed', folder: key.folder, uid: m.uid, err: e2 }, 'message could not be stored; logged and skipped');
          await failed(key, m.uid, m.dedupeKey, m.messageId, errorText(e2));
        }
      }
      await d.sync.commit(key, [], cursor, now());
    }
    await d.durable();
    ok();
    d.onBatch?.(a.id, batch.length);
  }

  /**
   * A folder's commit pipeline: batches commit in order, up to two in flight, each after the one
   * before (on MariaDB a 500-message batch took ~110 ms to commit and the fetch stood still
   * meanwhile: 2.6 of 3.0 s; see README). It spans the folder's fetches, so the next page is
   * fetched while the last batches of the one before commit (that wait was 20–90 ms a page).
   */
  function committer(key: BatchKey) {
    let newest: Promise<void> | null = null;
    let older: Promise<void> | null = null;
    let newestKeys: readonly string[] = [];
    return {
      key,
      /** Queues a batch; waits only while two are in flight, and throws when one before failed. */
      async push(batch: FetchedMessage[], cursor: CursorMove) {
        if (older) await older;
        const p = commit(key, batch, cursor, newest, newestKeys);
        p.catch(() => undefined); // awaited by the next push or drain(); a failure surfaces there
        older = newest;
        newest = p;
        newestKeys = batch.map((m) => m.dedupeKey);
      },
      /** Everything queued is committed; throws what failed. */
      async drain() { await older; await newest; },
      /** Everything queued has settled, committed or not (when giving up). */
      async settled() { await Promise.all([older, newest].map((p) => p?.catch(() => undefined))); },
    };
  }
  type Committer = ReturnType<typeof committer>;

  /**
   * Fetches `range` (UIDs) into the folder's commit pipeline in batches; the last one carries
   * `cursorOf(true, …)`. A full batch is queued when the next message is in hand, so the last
   * one is empty only when the fetch brought nothing: an empty last batch was a transaction
   * and an fsync of its own for every page of 5,000.
   */
  async function fetchInto(c: ImapFlow, pipe: Committer, range: string, keep: (uid: number) => boolean, cursorOf: (last: boolean, uids: number[]) => CursorMove, bulk = false) {
    let batch: FetchedMessage[] = [];
    const uidsOf = (b: FetchedMessage[]) => b.map((m) => m.uid);
    for await (const m of c.fetch(range, { uid: true, source: true }, { uid: true })) {
      if (stopped) return;
      if (!keep(m.uid)) continue;
      const f = fetched(m, bulk);
      if (!f) { await failed(pipe.key, m.uid, '', null, 'the server returned no body'); continue; }
      if (batch.length >= d.opts.batchSize) {
        const b = batch;
        batch = [];
        await pipe.push(b, cursorOf(false, uidsOf(b)));
      }
      batch.push(f);
    }
    if (!stopped) await pipe.push(batch, cursorOf(true, uidsOf(batch)));
  }

  async function syncFolder(c: ImapFlow, name: string) {
    const before = c.mailbox;
    let lock;
    try { lock = await c.getMailboxLock(name, { readOnly: true }); } catch (e) {
      log.warn({ evt: 'imap.select_failed', folder: name, err: e }, 'folder not selectable');
      await d.sync.setFolderState(a.id, name, 'connect_error', errorText(e), now());
      return;
    }
    let pipe: Committer | null = null;
    try {
      const mb = c.mailbox;
      if (!mb) return;
      // The lock SELECTed just now (imapflow makes a new mailbox object for each SELECT): its
      // UIDNEXT is current. The lock of a folder already selected runs no SELECT, and an EXISTS
      // under IDLE does not move UIDNEXT. Mail that comes after the SELECT sends an EXISTS,
      // which pokes another pass.
      const fresh = mb !== before;
      const uidvalidity = String(mb.uidValidity);
      const top = Math.max(0, mb.uidNext - 1);
      const { folder, reset } = await d.sync.open(a.id, name, uidvalidity, top, now());
      if (reset) log.warn({ evt: 'imap.uidvalidity_changed', folder: name, uidvalidity }, 'UIDVALIDITY changed: resyncing (the UID log and content keys prevent duplicates)');
      await d.sync.setFolderState(a.id, name, 'syncing', undefined, now());
      const key: BatchKey = { accountId: a.id, folder: name, uidvalidity, node: d.node, leaseMs: d.opts.leaseMs };
      pipe = committer(key);
      // New mail: UIDs above the cursor, oldest first; the cursor moves with each committed batch.
      const high = folder.high_uid;
      if (fresh && top <= high) {
        // Nothing above the cursor. `high+1:*` would still bring the newest message (`n:*`
        // always includes the last one), which on a first sync is a whole body fetched to be
        // dropped. An idle pass still records the check, as a fetch of nothing did.
        if (folder.backfill_done && mb.exists > 0) await pipe.push([], {});
      } else if (mb.exists > 0) {
        await fetchInto(c, pipe, `${high + 1}:*`, (u) => u > high, (_last, uids) => (uids.length ? { high: Math.max(...uids) } : {}));
      }
      // First sync: below the starting point, newest first, page by page, within the age limit.
      if (!folder.backfill_done && !stopped) {
        const low = folder.low_uid;
        const since = a.max_age_days ? new Date(now() - a.max_age_days * 86_400_000) : undefined;
        let pages: Iterator<BackfillPage>;
        if (!since && denseFolder(mb.exists, top)) pages = rangePages(low, d.opts.pageSize);
        else {
          const found = low > 1 ? await c.search(since ? { uid: `1:${low - 1}`, since } : { uid: `1:${low - 1}` }, { uid: true }) : [];
          pages = searchedPages(Array.isArray(found) ? found : [], low, d.opts.pageSize);
        }
        let next = pages.next();
        if (next.done) await pipe.push([], { backfillDone: true });
        while (!stopped && !next.done) {
          const page = next.value;
          next = pages.next();
          // The last page's cursor ends the backfill too.
          const end: CursorMove = next.done ? { low: page.floor, backfillDone: true } : { low: page.floor };
          // What was in the folder when its sync began (or its UIDVALIDITY changed): imported in bulk.
          await fetchInto(c, pipe, page.set, page.has, (last) => (last ? end : {}), true);
        }
      }
      if (stopped) await pipe.settled();
      else {
        await pipe.drain();
        await d.sync.setFolderState(a.id, name, 'idle', null, now());
      }
    } catch (e) {
      await pipe?.settled();
      throw e;
    } finally { lock.release(); }
  }

  async function connected(c: ImapFlow) {
    while (!stopped && c.usable) {
      dirty = false;
      // A round trip proves the connection alive (a selected folder's lock is taken without one).
      await c.noop();
      // imapflow settles pending commands when the socket closes: only a usable connection counts as alive.
      if (!c.usable) break;
      ok();
      await setState('syncing');
      for (const f of folders) { if (!stopped) await syncFolder(c, f); }
      if (stopped || !c.usable) return;
      await setState('idle', { syncedAt: now(), error: null });
      if (dirty) continue;
      const lock = await c.getMailboxLock(folders[0]!, { readOnly: true });
      try {
        if (dirty || stopped) continue;
        // IDLE ends by itself when the next command is sent; an EXISTS wakes the loop.
        void c.idle().catch(() => undefined);
        await sleep(d.opts.pollMs);
      } finally { lock.release(); }
    }
  }

  async function loop() {
    let failures = 0;
    while (!stopped) {
      const c = new ImapFlow({
        host: a.host, port: a.port, secure: a.security === 'tls', doSTARTTLS: a.security === 'starttls' ? true : a.security === 'none' ? false : undefined,
        auth: { user: a.username, pass: d.password(a) }, tls: { rejectUnauthorized: a.verify_cert }, logger: false, disableAutoIdle: true,
        connectionTimeout: d.opts.connectTimeoutMs, greetingTimeout: d.opts.connectTimeoutMs,
      });
      client = c;
      c.on('error', (e: unknown) => log.warn({ evt: 'imap.connection_error', err: e }, 'connection error'));
      c.on('exists', () => poke());
      c.on('close', () => wake?.());
      try {
        await setState('connecting');
        await c.connect();
        ok();
        failures = 0;
        recipients = await d.recipients(a);
        log.info({ evt: 'imap.connected', host: a.host }, 'connected');
        await connected(c);
        if (!stopped) throw new Error('the connection closed');
      } catch (e) {
        if (e instanceof LeaseLostError) { log.warn({ evt: 'imap.lease_lost' }, 'lease lost: another node syncs this account'); stopped = true; break; }
        if (stopped) break;
        failures++;
        if (stalledNow) stalledNow = false;
        else {
          const s = c.authenticated ? 'connect_error' : stateAfterError(e);
          log.warn({ evt: 'imap.sync_failed', state: s, failures, err: e }, 'IMAP sync failed; reconnecting with backoff');
          await setState(s, { error: errorText(e) });
        }
      } finally {
        client = null;
        try { c.close(); } catch { /* already closed */ }
      }
      if (!stopped) await sleep(reconnectDelay(failures || 1, d.opts.backoff));
    }
  }

  return {
    id: a.id,
    account: a,
    get state() { return state; },
    get lastSuccess() { return lastSuccess; },
    start() { running = loop().catch((e: unknown) => log.error({ evt: 'imap.session_crashed', err: e }, 'IMAP session ended')); },
    poke,
    /** Watchdog: the connection looks up but nothing succeeded for `stalledMs`. */
    async checkStalled() {
      if (stopped || !client || state === 'connecting' || now() - lastSuccess < d.opts.stalledMs) return false;
      log.warn({ evt: 'imap.stalled', sinceMs: now() - lastSuccess }, 'nothing succeeded for too long: reconnecting');
      stalledNow = true;
      await setState('stalled', { error: `nothing succeeded for ${Math.round(d.opts.stalledMs / 1000)} s though the connection looked up` });
      try { client.close(); } catch { /* closing anyway */ }
      return true;
    },
    /** Ends the session: with `abrupt`, drops the connection mid-batch as a crash would (tests). */
    async stop(abrupt = false) {
      stopped = true;
      const c = client;
      if (c) {
        if (abrupt) { try { c.close(); } catch { /* gone */ } }
        else await Promise.race([c.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
        try { c.close(); } catch { /* gone */ }
      }
      wake?.();
      if (!abrupt) await running;
    },
  };
}
export type AccountSession = ReturnType<typeof accountSession>;
