/*
 * The seeding half of bench/tracking.sh: a fresh SQLite file (POSTERN_DATABASE_URL) gets one
 * campaign with a tracking URL, one tracking mass email (track_links on), its outbound message
 * and N outbound_queue rows in state 'sent' (set-based INSERT … SELECT over a recursive
 * sequence), then writes the public tracking paths of every row, one per line:
 *   <OUT>/pixel.txt   /t/o/<token>.gif            (row i, i = 1..N)
 *   <OUT>/click.txt   /t/c/<token>                (row i, the campaign's tracking URL)
 * Tokens come from services.tracking.trackUrl(queueId), so they are signed with POSTERN_SECRET,
 * which the server must share. Run: node dist/bench/tracking-seed.js <OUT_DIR>  (N from env).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../server/config.js';
import { createApp } from '../server/app.js';
import { silentLogger } from '../server/log.js';

const N = Number(process.env.N ?? 10000);
const out = process.argv[2];
if (!out) throw new Error('usage: tracking-seed.js OUT_DIR');
const config = loadConfig({ env: process.env, persistSecret: false, overrides: { roles: ['worker'], log: { level: 'warn' } } });
// Tokens carry when their copy was rendered: an hour ago, as the rows were sent (not "too fast" for a person).
const app = await createApp(config, { log: silentLogger(), clock: { now: () => Date.now() - 3_600_000 } });
const s = app.services;
const k = s.ctx.db.knex;
const now = Date.now();
const t0 = performance.now();

const [campaignId] = await k('campaigns').insert({ name: 'Bench campaign', type: 'newsletter', status: 'active', created_at: now, updated_at: now });
const url = await s.tracking.createUrl(Number(campaignId), { name: 'Pricing', url: 'https://shop.example/pricing?from=mail' });
const [meId] = await k('mass_emails').insert({ campaign_id: campaignId, name: 'Bench wave', status: 'complete', from_addr: 'news@bench.example', tracking: true, track_links: true, created_at: now, updated_at: now });
const html = `<html><body><p>Hello</p><a href="https://shop.example/pricing?from=mail">Pricing</a> <a href="https://shop.example/blog">Blog</a></body></html>`;
const [msgId] = await k('outbound_messages').insert({ source: 'campaign', source_id: meId, from_addr: 'news@bench.example', subject: 'News', html, text: 'News', bulk: true, created_at: now, updated_at: now });
await k('mass_emails').where({ id: meId }).update({ message_id: msgId });
const sentAt = now - 3_600_000; // sent an hour ago: opens and clicks are not "too fast" for a person
await k.raw(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${N})
  INSERT INTO outbound_queue (id, state, run_at, attempts, message_id, source, recipient, unique_key, sent_at, mass_email_id, record_type, record_id, created_at, updated_at)
  SELECT n, 'sent', 0, 1, ${msgId}, 'campaign', 'r' || n || '@rcpt.example', 'bench:' || n, ${sentAt}, ${meId}, 'contact', n, ${now}, ${now} FROM seq`);
const pixel: string[] = [];
const click: string[] = [];
const strip = (u: string) => u.replace(/^https?:\/\/[^/]+/, '');
for (let i = 1; i <= N; i++) {
  const t = s.tracking.trackUrl({ queueId: i, massEmailId: meId, messageId: msgId });
  pixel.push(strip(t('o', 0)));
  click.push(strip(t('u', url.id)));
}
writeFileSync(join(out, 'pixel.txt'), `${pixel.join('\n')}\n`);
writeFileSync(join(out, 'click.txt'), `${click.join('\n')}\n`);
await app.stop();
process.stderr.write(`seeded campaign ${campaignId}, mass email ${meId}, ${N} sent rows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
