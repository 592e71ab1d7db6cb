/*
 * The campaign log's group write on both databases: one group of 75 events (written as
 * multi-row statements of 64, 8, 2 and 1 rows) marks as first exactly the earliest event of
 * each row, action, link and humanity, counts only those, fills in recipients from the rows
 * and drops events whose row is gone; the same group again adds log rows but no first event.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { campaignLogRepo, FROM_ROW, type LogEvent } from '../../../server/db/repos/tracking/log.js';

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex;
  const now = Date.now();
  const [mid] = await k('outbound_messages').insert({ source: 'campaign', from_addr: 'news@ours.example', subject: 'News', created_at: now, updated_at: now });
  const ids: number[] = [];
  for (let i = 1; i <= 40; i++) {
    const [qid] = await k('outbound_queue').insert({ message_id: mid, source: 'campaign', recipient: `r${i}@rcpt.example`, unique_key: `log:${i}`, state: 'sent', mass_email_id: 7, record_type: 'contact', record_id: 100 + i, created_at: now, updated_at: now });
    ids.push(Number(qid));
  }
  const ev = (queueId: number, action: 'opened' | 'clicked', human: boolean, link = ''): LogEvent =>
    ({ campaignId: 3, massEmailId: 7, queueId, action, address: FROM_ROW, recordType: null, recordId: null, link, human, class: human ? 'human' : 'scanner', rule: 'default', at: now });
  const group = [
    ...ids.map((q) => ev(q, 'opened', true)), // 0..39: first opens
    ...ids.slice(0, 20).map((q) => ev(q, 'opened', true)), // 40..59: repeats within the group
    ...ids.slice(0, 10).map((q) => ev(q, 'opened', false)), // 60..69: machine opens, first of their kind
    ...Array.from({ length: 5 }, () => ev(ids[0]!, 'clicked', true, 'u1')), // 70..74: one first click
  ];
  const wanted = [...group.slice(0, 40), ...group.slice(60, 71)];
  const log = campaignLogRepo(tdb.db);
  const firsts = await log.record([...group, ev(999_999, 'opened', true)]);
  t.equal(firsts.length, 51, '40 human opens, 10 machine opens, 1 click');
  t.ok(firsts.every((e, i) => e === wanted[i]), 'the earliest event of each key, in order');
  t.match(firsts[0], { address: 'r1@rcpt.example', recordType: 'contact', recordId: 101 }, 'the recipient from the row');
  const rows = await k('campaign_log').select('queue_id', 'first', 'address').orderBy('id');
  t.equal(rows.length, 75, 'every event logged; the one whose row is gone dropped');
  t.same(rows.map((r) => Boolean(Number(r.first))), group.map((e) => wanted.includes(e)), 'first marks the same events');
  t.ok(rows.every((r) => /^r\d+@rcpt\.example$/.test(r.address)));
  const stats = await log.stats('m', 7);
  t.match(stats, { opened: 40, opened_machine: 10, clicked: 1, 'click:u1': 1 });
  t.match(await log.stats('c', 3), { opened: 40, opened_machine: 10, clicked: 1 });

  const again = await log.record(group.map((e) => ({ ...e, address: FROM_ROW })));
  t.equal(again.length, 0, 'a replayed group has no first event');
  t.equal(Number((await k('campaign_log').count({ n: '*' }))[0]!.n), 150);
  t.same(await log.stats('m', 7), stats, 'counters unchanged');
});
