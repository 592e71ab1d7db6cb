/*
 * Migration 089 on every database: UID log rows written before it get their dedupe hash, the
 * duplicate index is on the hash; then the sync repo finds a message imported under another UID
 * by it, and a row that shares only the hash (not the whole key) is no duplicate; a row an old
 * node logged without the hash is still found. Down restores.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { migrations } from '../../../migrations/index.js';
import { dedupeHash, imapSyncRepo, type FetchedMessage } from '../../../server/db/repos/imap/sync.js';

const KEY_A = 'a'.repeat(64);
/** The same first 13 hex digits as KEY_A (the same hash), another key. */
const KEY_B = `${'a'.repeat(13)}${'b'.repeat(51)}`;

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex;
  const at = migrations.findIndex((m) => m.name === '089_imap_dedupe_hash');
  t.ok(at > 0, 'the migration is listed');
  for (const m of migrations.slice(0, at)) await m.up(k);
  const now = Date.now();
  const [accountId] = await k('imap_accounts').insert({ name: 'a', kind: 'group', host: 'h', port: 143, security: 'none', username: 'u', password_enc: 'x', folders: '["INBOX"]',
    locked_by: 'n1', locked_until: now + 600_000, created_at: now, updated_at: now });
  const log = (uid: number, key: string, outcome: string) => ({ account_id: accountId, folder: 'INBOX', uidvalidity: '1', uid, dedupe_key: key, outcome, at: now });
  await k('imap_messages').insert([log(1, KEY_A, 'imported'), log(2, '', 'failed')]);
  const indexes = async () => (tdb.kind === 'sqlite'
    ? ((await k.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'imap_messages'")) as Array<{ name: string }>).map((r) => r.name)
    : ((await k.raw('SHOW INDEX FROM imap_messages')) as [Array<{ Key_name: string }>])[0].map((r) => r.Key_name));

  await migrations[at]!.up(k);
  const hashes = (await k('imap_messages').orderBy('uid').select('uid', 'dedupe_hash')).map((r: { uid: number; dedupe_hash: number | string }) => [Number(r.uid), Number(r.dedupe_hash)]);
  t.same(hashes, [[1, dedupeHash(KEY_A)], [2, 0]], 'rows written before get the hash of their key (none without one)');
  t.equal(dedupeHash(KEY_A), 0xaaaaaaaaaaaaa, 'the first 52 bits');
  t.ok((await indexes()).includes('imap_messages_dedupe_hash_idx') && !(await indexes()).includes('imap_messages_dedupe_idx'), 'the duplicate index is on the hash');

  // The sync repo on the migrated table (the rest of the migrations first: its inbound store).
  for (const m of migrations.slice(at + 1)) await m.up(k);
  const sync = imapSyncRepo(tdb.db);
  await sync.open(Number(accountId), 'INBOX', '2', 10, now);
  const key = { accountId: Number(accountId), folder: 'INBOX', uidvalidity: '2', node: 'n1', leaseMs: 600_000 };
  const msg = (uid: number, dedupe: string): FetchedMessage => {
    const raw = Buffer.from(`Subject: ${uid}\r\n\r\nhi`);
    return { uid, dedupeKey: dedupe, messageId: null, inbound: { listener: 'imap', mail_from: '', rcpt_to: ['u'], remote_ip: '', helo: 'imap:h', tls: false, credential_id: null,
      size: raw.length, chunks: async function* () { yield raw; }, recipients: [], raw } };
  };
  const r = await sync.commit(key, [msg(5, KEY_A), msg(6, KEY_B)], { high: 6 }, now);
  t.same(r.duplicates, [5], 'the key imported under the old UIDVALIDITY is a duplicate');
  t.same(r.imported.map((i) => i.uid), [6], 'a key sharing only its hash is imported');
  // A node still on the code before 089 (rolling upgrade) logs rows without the hash (the column's default).
  const KEY_C = 'c'.repeat(64);
  await k('imap_messages').insert({ ...log(7, KEY_C, 'imported'), uidvalidity: '2' });
  const r2 = await sync.commit(key, [msg(8, KEY_C)], { high: 8 }, now);
  t.same(r2.duplicates, [8], 'a key an old node logged without its hash is still a duplicate');

  await migrations.slice(at + 1).reduceRight((p, m) => p.then(() => m.down(k)), Promise.resolve());
  await migrations[at]!.down(k);
  t.ok((await indexes()).includes('imap_messages_dedupe_idx') && !(await indexes()).includes('imap_messages_dedupe_hash_idx'), 'down brings the key index back');
  t.notOk(await k.schema.hasColumn('imap_messages', 'dedupe_hash'), 'and drops the column');
}, { migrate: false });
