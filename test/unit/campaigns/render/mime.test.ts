/* The personalised campaign message, read back by mailparser: headers, parts and bodies exactly as given. */
import t from 'tap';
import { simpleParser } from 'mailparser';
import { buildCampaignMessage, pickBoundary, type CampaignMessage } from '../../../../server/campaigns/render/mime.js';
import { compileCampaign } from '../../../../server/campaigns/render/compile.js';
import { renderRecipient } from '../../../../server/campaigns/render/render.js';
import { HeaderInjectionError } from '../../../../server/lib/headers.js';

const base: CampaignMessage = {
  from: { address: 'news@shop.example', name: 'Shop News' }, to: 'jane@example.org', subject: 'Hello', date: Date.UTC(2025, 2, 4, 9, 0, 0),
  messageId: '<pm12.abc@shop.example>', text: 'Hi', html: '<p>Hi</p>',
};

/** The header block of a built message, as text. */
const headOf = (raw: Buffer) => raw.toString('utf8', 0, raw.indexOf('\r\n\r\n'));

t.test('round trip through mailparser', async (t) => {
  const longLine = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(12).trim();
  const cases: Array<[string, Partial<CampaignMessage>]> = [
    ['ASCII', { subject: 'Spring sale', text: 'Hello Jane,\n\nSee you.\n', html: '<p>Hello Jane,</p>' }],
    ['accents', { from: { address: 'news@shop.example', name: 'Café Müller' }, subject: 'Crème brûlée für Sie, Jänë', text: 'Grüße aus Köln — à bientôt', html: '<p>Grüße aus Köln — à bientôt</p>' }],
    ['emoji', { from: { address: 'news@shop.example', name: '🎉 Party' }, subject: '🎉🎉 It is on 🎉🎉', text: 'Fun 🎉 times 👨‍👩‍👧', html: '<p>Fun 🎉 times 👨‍👩‍👧</p>' }],
    ['long lines and a long subject', { subject: longLine.slice(0, 150), text: longLine, html: `<p style="x">${longLine}</p>` }],
    ['lines of dots, equals, trailing spaces, tabs', { text: '.\n..\n...\na = b  \n\tx\t\n-- \nsig', html: '<pre>.\n..\na=b \n</pre>' }],
    ['a display name with specials', { from: { address: 'news@shop.example', name: 'Shop, Inc. "Best"' }, subject: 'x' }],
    ['no display name, CRLF in the text', { from: { address: 'news@shop.example' }, text: 'a\r\nb\rc\n', html: '<p>a</p>\r\n<p>b</p>' }],
    ['a long non-ASCII subject', { subject: 'Ünïcödé '.repeat(20).trim() + ' 中文 ' + '🎉'.repeat(30) }],
    ['empty bodies', { text: '', html: '' }],
  ];
  for (const [name, over] of cases) {
    const m = { ...base, ...over };
    const raw = buildCampaignMessage(m);
    const p = await simpleParser(raw);
    t.equal(p.subject, m.subject, `${name}: subject`);
    t.same(p.from?.value, [{ address: m.from.address, name: m.from.name ?? '' }], `${name}: from`);
    t.same(p.to && !Array.isArray(p.to) ? p.to.value : null, [{ address: 'jane@example.org', name: '' }], `${name}: to`);
    // mailparser reads an empty text part as one line break.
    t.equal(m.text === '' ? p.text?.replace(/^\n$/, '') : p.text, m.text.replace(/\r\n|\r/g, '\n'), `${name}: text`);
    t.equal(p.html || '', m.html.replace(/\r\n|\r/g, '\n'), `${name}: html`);
    t.equal(p.messageId, m.messageId, `${name}: message id`);
    t.equal(p.date?.getTime(), m.date, `${name}: date`);
    // Wire rules: CRLF only, header lines ≤ 78, body lines ≤ 76 (the boundary lines are ours and short).
    t.notOk(/\r(?!\n)|(?<!\r)\n/.test(raw.toString('latin1')), `${name}: CRLF only`);
    const head = headOf(raw);
    t.same(head.split('\r\n').filter((l) => l.length > 78), [], `${name}: header lines ≤ 78`);
    t.same(raw.toString('latin1', head.length).split('\r\n').filter((l) => l.length > 76), [], `${name}: body lines ≤ 76`);
    t.notOk(/[^\x00-\x7f]/.test(raw.toString('latin1')), `${name}: 7-bit clean`);
  }
});

t.test('headers: order, bulk markers, list and unsubscribe', async (t) => {
  const raw = buildCampaignMessage({
    ...base, replyTo: 'help@shop.example', listId: '"Spring sale" <c12.lists.shop.example>', feedbackId: 'c12:m3:postern',
    unsubscribe: { https: 'https://p.example/u/T0K', mailto: 'mailto:unsubscribe+T0K@shop.example' }, test: true,
  });
  const lines = headOf(raw).split('\r\n');
  const boundary = /boundary="([^"]+)"/.exec(headOf(raw))![1]!;
  t.same(lines, [
    'From: Shop News <news@shop.example>', 'To: jane@example.org', 'Reply-To: help@shop.example', 'Subject: Hello',
    'Date: Tue, 04 Mar 2025 09:00:00 +0000', 'Message-ID: <pm12.abc@shop.example>', 'MIME-Version: 1.0',
    'List-Unsubscribe: <https://p.example/u/T0K>,', ' <mailto:unsubscribe+T0K@shop.example>', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    'List-Id: "Spring sale" <c12.lists.shop.example>', 'Feedback-ID: c12:m3:postern', 'Precedence: bulk', 'X-Postern-Test: yes',
    'Content-Type: multipart/alternative;', ` boundary="${boundary}"`,
  ]);
  const p = await simpleParser(raw);
  t.equal(p.replyTo?.text, 'help@shop.example');
  t.same(p.headers.get('list'), {
    unsubscribe: { url: 'https://p.example/u/T0K', mail: 'unsubscribe+T0K@shop.example' }, 'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' },
    id: { name: 'Spring sale', id: 'c12.lists.shop.example' },
  });
  t.equal(p.headers.get('precedence'), 'bulk');
  t.equal(p.headers.get('feedback-id'), 'c12:m3:postern');

  const plain = headOf(buildCampaignMessage({ ...base, messageId: 'bare@shop.example' }));
  t.notMatch(plain, /Reply-To|List-|Feedback-ID|X-Postern-Test/, 'optional headers absent');
  t.match(plain, /^Message-ID: <bare@shop\.example>$/m, 'angle brackets added');

  // mailparser leaves a List-Id phrase's encoded words as they are, so the line is compared.
  t.match(headOf(buildCampaignMessage({ ...base, listId: '"Soldes d’été" <c12.lists.shop.example>' })),
    /^List-Id: =\?UTF-8\?Q\?Soldes_d=E2=80=99=C3=A9t=C3=A9\?=\r\n <c12\.lists\.shop\.example>$/m, 'non-ASCII List-Id phrase encoded');
});

t.test('the boundary: stable per message id, never in the content', async (t) => {
  const a = headOf(buildCampaignMessage(base));
  t.equal(headOf(buildCampaignMessage({ ...base, text: 'other' })), a, 'same id, same boundary');
  t.not(headOf(buildCampaignMessage({ ...base, messageId: '<other@shop.example>' })), a);
  const boundary = /boundary="([^"]+)"/.exec(a)![1]!;
  // The content quotes the boundary outright, as a delimiter line too: QP turns its '=' into '=3D'.
  const hostile = `x\n--${boundary}\n--${boundary}--\n`;
  const raw = buildCampaignMessage({ ...base, text: hostile, html: hostile });
  t.equal(raw.toString('latin1').split(`--${boundary}`).length - 1, 3, 'only the three delimiter lines');
  const p = await simpleParser(raw);
  t.equal(p.text, hostile);
  // Should an encoded part ever hold a candidate, the next one is derived.
  const first = pickBoundary('<m@x.example>', Buffer.alloc(0));
  const second = pickBoundary('<m@x.example>', Buffer.from(`..${first}..`));
  t.not(second, first);
  t.match(second, /^=_pst_[A-Za-z0-9_-]{24}$/);
});

t.test('header injection is refused', async (t) => {
  const bad: Array<[string, Partial<CampaignMessage>]> = [
    ['subject', { subject: 'Hi\r\nBcc: victim@x.example' }], ['subject LF', { subject: 'Hi\nBcc: v@x.example' }],
    ['from name', { from: { address: 'news@shop.example', name: 'A\r\nBcc: v@x.example' } }],
    ['from address', { from: { address: 'news@shop.example\r\nBcc: v@x.example' } }],
    ['from address list', { from: { address: 'news@shop.example, v@x.example' } }],
    ['to', { to: 'jane@example.org\r\nBcc: v@x.example' }], ['to list', { to: 'jane@example.org, v@x.example' }],
    ['reply-to', { replyTo: 'a@x.example\nBcc: v@x.example' }], ['message id', { messageId: '<a@x>\r\nBcc: v@x.example' }],
    ['list id', { listId: 'x <l.example>\r\nBcc: v@x.example' }], ['feedback id', { feedbackId: 'a\rb' }],
    ['unsubscribe', { unsubscribe: { https: 'https://p.example/u/t\r\nBcc: v@x.example', mailto: 'u@x.example' } }],
    ['NUL', { subject: 'a\0b' }],
  ];
  for (const [name, over] of bad) t.throws(() => buildCampaignMessage({ ...base, ...over }), name);
  t.throws(() => buildCampaignMessage({ ...base, subject: 'a\r\nb' }), HeaderInjectionError);
});

t.test('renderRecipient: one recipient end to end', async (t) => {
  const c = compileCampaign({
    subject: 'Hi {Person.firstName}, news from {Account.name}',
    html: '<html><body><p>Dear {Person.name},</p><p>Your tier: <b>{Person.tier}</b></p><a href="https://shop.example/?r={Record.externalId}">Shop</a></body></html>',
    text: null,
  }, { optOut: 'required' });
  const r = renderRecipient(c, {
    address: 'ann@example.org', optOutUrl: 'https://p.example/u/T0K',
    record: { type: 'contact', id: 1, externalId: 'C&1', firstName: 'Ann\r\n', lastName: 'Lee', name: '', title: null, phone: null, attributes: { tier: '<gold>' }, account: { name: 'Acme' } as any },
    from: { address: 'news@shop.example', name: 'Acme' }, date: base.date, messageId: '<pm9.x@shop.example>',
    unsubscribe: { https: 'https://p.example/u/T0K', mailto: 'unsubscribe+T0K@shop.example' },
  });
  t.equal(r.subject, 'Hi Ann  , news from Acme');
  const p = await simpleParser(r.raw);
  t.equal(p.subject, r.subject);
  t.same(p.to && !Array.isArray(p.to) ? p.to.value : null, [{ address: 'ann@example.org', name: '' }]);
  t.equal(p.html, '<html><body><p>Dear Ann\n Lee,</p><p>Your tier: <b>&lt;gold&gt;</b></p><a href="https://shop.example/?r=C&amp;1">Shop</a>'
    + '<p style="margin:24px 0 0;font-family:Arial,sans-serif;font-size:12px;line-height:18px;color:#777777;text-align:center"><a href="https://p.example/u/T0K" style="color:#777777;text-decoration:underline">Unsubscribe</a></p></body></html>');
  t.equal(p.text, 'Dear Ann\n Lee,\n\nYour tier: <gold>\n\nShop (https://shop.example/?r=C&1)\n\n-- \nUnsubscribe: https://p.example/u/T0K\n');
});
