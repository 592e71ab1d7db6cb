/*
 * Which upstream account sends an auto-reply follows an account change made on this node at once:
 * the routing hooks cache the accounts per node (routing/settings.ts), and the accounts service's
 * onChange drops that cache. Without it the change showed only after the cache's 5 s.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { autoReplyRig } from './rig.js';

void eachDb(t, async (t, tdb) => {
  const r = await autoReplyRig(t, tdb);
  const { api, json, inject, settle, up } = r;
  const knex = tdb.db.knex;
  await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', autoReply: { subject: 'Got it', text: 'Thanks' } }) });
  r.app.services.directory.invalidate();
  const [def] = await knex('upstream_accounts').where({ name: 'up' }).select('id');

  /** Mail from `from` to support@, and the account its auto-reply was queued on. */
  async function replyAccount(from: string): Promise<number | null> {
    await inject({ from, to: ['support@ours.example'] }, [`From: ${from}`, 'To: support@ours.example', 'Subject: Help', `Message-ID: <${from.replace('@', '.')}@customer.example>`, 'Date: Sat, 05 Dec 2026 10:00:00 +0000']);
    t.ok(await settle(), `settled after mail from ${from}`);
    const row = await knex('outbound_queue').where({ recipient: from }).first('account_id');
    return row ? Number(row.account_id) : null;
  }

  t.equal(await replyAccount('ann@customer.example'), Number(def.id), 'the default account answers while it is the only one');
  // An account whose allowed From names the mailbox itself ranks above one that allows any From.
  const side = await json(api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'support-side', host: '127.0.0.1', port: up.port, security: 'none', allowedFrom: ['support@ours.example'] }) }));
  t.equal(await replyAccount('bob@customer.example'), side.id, 'a new account that names the mailbox answers the very next message');
  const off = await api(`/api/v1/accounts/${side.id}`, { method: 'PATCH', body: JSON.stringify({ active: false }) });
  t.equal(off.status, 200);
  t.equal(await replyAccount('cid@customer.example'), Number(def.id), 'deactivated, it answers no more: the default account again');
});
