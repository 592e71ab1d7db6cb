/* POSTERN_CONFIG mailboxes take the case settings (createCases, assignment, assignUserId, teams, reopen, replyFromName) when they are created. */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';

void eachDb(t, async (t, tdb) => {
  const { api } = await startTestApp(t, {
    tdb, overrides: { mailboxes: [
      { address: 'help@config.example', name: 'Help', createCases: true, assignment: 'less-busy', teams: ['No such team yet'], reopen: 'new-after', reopenAfterDays: 30, replyFromName: 'agent' },
      { address: 'info@config.example', name: 'Info' },
    ] },
  });
  const items = ((await (await api('/api/v1/mailboxes?sort=address')).json()) as { items: any[] }).items;
  t.match(items.find((m) => m.address === 'help@config.example'), { createCases: true, assignment: 'less-busy', reopen: 'new-after', reopenAfterDays: 30, replyFromName: 'agent' });
  t.match(items.find((m) => m.address === 'info@config.example'), { createCases: false, assignment: 'round-robin', reopen: 'reopen', reopenAfterDays: null, replyFromName: 'mailbox' });
});
