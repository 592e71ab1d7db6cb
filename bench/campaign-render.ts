/*
 * Campaign rendering speed on one core: compiles a 4.5 KB HTML mass email once, then
 * renders 20,000 personalised copies (placeholders, derived text, opt-out footer,
 * quoted-printable MIME; DKIM excluded) and prints one line:
 * RESULT campaign-render msgs_per_s=<n> us_per_msg=<µs>
 * For comparison it also times nodemailer's MailComposer on the same copies (stderr).
 * Run pinned for a one-core figure: `taskset -c 0 npx tsx bench/campaign-render.ts`.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { compileCampaign } from '../server/campaigns/render/compile.js';
import { renderRecipient } from '../server/campaigns/render/render.js';
import type { RecipientRecord } from '../server/campaigns/render/data.js';

const N = Number(process.env.MESSAGES ?? 20_000);
const row = (i: number) => `<tr><td style="padding:8px 16px;font-family:Arial,sans-serif;font-size:14px;color:#333333">Offer ${i}: Crème brûlée & more — save ${i * 5}% on item ${i}</td>`
  + `<td><a href="https://shop.example/p/${i}?utm_source=postern&amp;utm_campaign=spring">View</a></td></tr>\n`;
let html = '<html><head><style>p{margin:0}</style></head><body><table width="600">\n'
  + '<tr><td><p>Dear {Person.firstName} {Person.lastName},</p><p>As a {Person.tier} customer of {Account.name} you get early access.</p></td></tr>\n';
for (let i = 1; html.length < 4400; i++) html += row(i);
html += '<tr><td>Questions? Call us. Your reference: {Record.externalId}</td></tr></table></body></html>';
const compiled = compileCampaign({ subject: '{Person.firstName}, your spring offers 🌷', html, text: null }, { optOut: 'required' });

const records: RecipientRecord[] = Array.from({ length: 1000 }, (_x, i) => ({
  type: 'contact', id: i, externalId: `C-${i}`, firstName: i % 3 ? `Ann${i}` : `Zoë${i}`, lastName: "O'Neil", name: '', title: null, phone: null,
  attributes: { tier: i % 2 ? 'gold' : 'silver' }, account: { name: `Acme & Sons ${i % 50}`, attributes: null },
}));
const input = (i: number) => ({
  address: `user${i}@example.org`, record: records[i % records.length]!, optOutUrl: `https://p.example/u/tok${i}`,
  from: { address: 'news@shop.example', name: 'Shop News' }, date: 1_741_078_800_000, messageId: `<pm${i}.ab12@shop.example>`,
  listId: '"Spring sale" <c12.lists.shop.example>', feedbackId: 'c12:m3:postern',
  unsubscribe: { https: `https://p.example/u/tok${i}`, mailto: `unsubscribe+tok${i}@shop.example` },
});

for (let i = 0; i < 2000; i++) renderRecipient(compiled, input(i)); // warm up the JIT
let bytes = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < N; i++) bytes += renderRecipient(compiled, input(i)).raw.length;
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
process.stderr.write(`rendered ${N} messages (html ${html.length} chars, ${Math.round(bytes / N)} bytes each) in ${elapsed.toFixed(2)} s\n`);

// The same copies through MailComposer (what outbound/queue/render.ts uses for one-off mail).
const M = Math.min(N, 2000);
const one = renderRecipient(compiled, input(0));
const t0 = process.hrtime.bigint();
for (let i = 0; i < M; i++) {
  await new Promise<Buffer>((res, rej) => new MailComposer({ from: { name: 'Shop News', address: 'news@shop.example' }, to: `user${i}@example.org`, subject: one.subject, html, text: 'x'.repeat(2000) })
    .compile().build((e: Error | null, b: Buffer) => (e ? rej(e) : res(b))));
}
process.stderr.write(`MailComposer: ${(Number(process.hrtime.bigint() - t0) / 1e3 / M).toFixed(0)} µs per message (${M} messages)\n`);
console.log(`RESULT campaign-render msgs_per_s=${Math.round(N / elapsed)} us_per_msg=${((elapsed * 1e6) / N).toFixed(1)}`);
