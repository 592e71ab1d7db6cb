/*
 * Auto-reply against a naive echo auto-responder, on every database: the loopback upstream
 * answers every message it receives with a reply injected back into Postern's MX over SMTP
 * (no Auto-Submitted, "Re:" subject, From the address we wrote to), for two minutes of an
 * injected clock. At most two replies go out; a new period (the clock a day on) answers again.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { autoReplyRig, sleep } from './rig.js';

const DAY = 86_400_000;

void eachDb(t, async (t, tdb) => {
  // Ahead of the real time (rows the SMTP side dates itself are due at once) and one hour into a period, so two minutes stay in it.
  let now = (Math.floor(Date.now() / DAY) + 2) * DAY + 3_600_000;
  const start = now;
  const r = await autoReplyRig(t, tdb, { clock: { now: () => now } });
  const { api, inject, settle, outcome, up } = r;
  await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', autoReply: { subject: 'Re: {Message.subject}', text: 'Thanks, we will answer.' } }) });
  r.app.services.directory.invalidate();

  let echoed = 0;
  /** The naive responder: every message the upstream got gets an answer to its From, as a person would write it. */
  async function echo(i: number) {
    const m = up.received[i]!;
    const raw = m.raw.toString();
    const from = /^From: (?:.*<)?([^<>\s]+@[^<>\s]+?)>?\r?$/m.exec(raw)![1]!;
    const subject = /^Subject: (.*)\r?$/m.exec(raw)![1]!.trim();
    const mid = /^Message-ID: (<[^>]+>)\r?$/im.exec(raw)![1]!;
    echoed++;
    await inject({ from: m.to[0]!, to: [from] }, [`From: ${m.to[0]}`, `To: ${from}`, `Subject: Re: ${subject}`, `Message-ID: <echo${echoed}@customer.example>`, `In-Reply-To: ${mid}`],
      'I am away. I will read your message when I am back.');
  }

  await inject({ from: 'ann@customer.example', to: ['support@ours.example'] },
    ['From: Ann <ann@customer.example>', 'To: support@ours.example', 'Subject: Where is my order?', 'Message-ID: <first@customer.example>']);
  let seen = 0;
  while (now - start < 120_000) {
    t.ok(await settle(), `settled at +${(now - start) / 1000} s`);
    while (seen < up.received.length) await echo(seen++);
    now += 5_000;
  }
  t.ok(await settle(), 'settled after two minutes');
  await sleep(200);
  const sent = up.received.length;
  t.ok(sent >= 1 && sent <= 2, `at most two replies in two minutes (${sent})`);
  t.ok(echoed >= 1, 'the responder answered');
  for (let i = 1; i <= echoed; i++) t.match(await outcome(`echo${i}@customer.example`), [{ sent: false, reason: 'limit' }], `echo ${i} was held by the per-sender limit`);
  console.log(`RESULT autoreply-echo-loop simulatedSeconds=120 repliesSent=${sent} echoesInjected=${echoed}`);

  // A day later the sender is answered again (a new period).
  now += DAY;
  await inject({ from: 'ann@customer.example', to: ['support@ours.example'] },
    ['From: Ann <ann@customer.example>', 'To: support@ours.example', 'Subject: Still waiting', 'Message-ID: <next-day@customer.example>']);
  t.ok(await settle(), 'settled');
  await sleep(200);
  t.equal(up.received.length, sent + 1, 'answered again in the next period');
  t.match(await outcome('next-day@customer.example'), [{ sent: true }]);
});
