/* Campaign templates compiled once, filled per recipient: placeholders, escaping per part, the opt-out footer. */
import t from 'tap';
import { compileCampaign, hasOptOutLink, fillPart, withHtmlFooter, type CampaignTemplate, type CompileOptions } from '../../../../server/campaigns/render/compile.js';
import { placeholderData, type RecipientRecord } from '../../../../server/campaigns/render/data.js';

const contact: RecipientRecord = {
  type: 'contact', id: 7, externalId: 'C-7', firstName: 'Ann', lastName: "O'Neil", name: "Ann O'Neil", title: 'CTO <Ops>', phone: null,
  attributes: { tier: 'gold', score: 42, vip: true, nested: { a: 1 }, list: [1, 2], none: null, firstName: 'shadowed', deep: { city: 'Köln' } },
  account: { name: 'Acme & Sons', attributes: { region: 'EU' } },
};
const URL = 'https://p.example/u/t0k?a=1&b=2';

/** Fills one template part for `contact`; html/text/subject choose the escaping. */
function fill(part: 'html' | 'text' | 'subject', template: string, r: RecipientRecord | null = contact, optOut: CompileOptions['optOut'] = 'none', url = URL) {
  const c = compileCampaign({ subject: part === 'subject' ? template : '', html: part === 'html' ? template : '', text: part === 'text' ? template : '' }, { optOut });
  return fillPart(c[part], placeholderData(r, 'ann@example.org'), url);
}

t.test('placeholders: values, escaping per part, missing → empty, unknown kept', async (t) => {
  const cases: Array<[string, 'html' | 'text' | 'subject', string, string]> = [
    // name, part, template, expected
    ['first name', 'text', 'Hi {Person.firstName}!', 'Hi Ann!'],
    ['html escapes the value', 'html', '<b>{Person.lastName}</b> {Person.title}', '<b>O&#39;Neil</b> CTO &lt;Ops&gt;'],
    ['text keeps it raw', 'text', '{Person.lastName} {Person.title}', "O'Neil CTO <Ops>"],
    ['name, address, account', 'text', '{Person.name} <{Person.emailAddress}> at {Account.name}', "Ann O'Neil <ann@example.org> at Acme & Sons"],
    ['account name escaped in html', 'html', '{Account.name}', 'Acme &amp; Sons'],
    ['record fields', 'text', '{Record.type}/{Record.externalId}/{Record.id}', 'contact/C-7/7'],
    ['attributes, long form', 'text', '{Person.attributes.tier}', 'gold'],
    ['attributes, short form', 'text', '{Person.tier} {Person.score} {Person.vip}', 'gold 42 true'],
    ['a built-in field wins over an attribute of that name', 'text', '{Person.firstName}/{Person.attributes.firstName}', 'Ann/shadowed'],
    ['nested attribute path', 'text', '{Person.attributes.deep.city}', 'Köln'],
    ['objects and arrays render empty', 'text', '[{Person.nested}][{Person.list}][{Person.attributes}][{Person.deep}]', '[][][][]'],
    ['null and missing → empty', 'text', '[{Person.phone}][{Person.none}][{Person.nope}][{Account.nope}][{Record.nope}]', '[][][][][]'],
    ['prototype keys find nothing', 'text', '[{Person.constructor}][{Person.__proto__}][{Person.toString}]', '[][][]'],
    ['account attributes', 'text', '{Account.region}/{Account.attributes.region}', 'EU/EU'],
    ['unknown root stays as written', 'html', '{Foo.bar} {person.firstName} {firstName}', '{Foo.bar} {person.firstName} {firstName}'],
    ['not the grammar: untouched', 'html', '{trackingUrl:12} { Person.firstName } {Person.} {} {Person.first-name}', '{trackingUrl:12} { Person.firstName } {Person.} {} {Person.first-name}'],
    ['optOutUrl with "none" renders empty', 'html', '<a href="{optOutUrl}">x</a>', '<a href="">x</a>'],
    ['subject: the value as it is', 'subject', 'Re: {Person.tier} & {Person.title}', 'Re: gold & CTO <Ops>'],
  ];
  for (const [name, part, template, want] of cases) t.equal(fill(part, template), want, name);
  const evil: RecipientRecord = { ...contact, firstName: 'A\r\nBcc: x@evil.example\tZ\u0000' };
  t.equal(fill('subject', 'Hi {Person.firstName}', evil), 'Hi A  Bcc: x@evil.example Z ');
  t.equal(fill('subject', 'Hi\r\n{Person.firstName}'), 'Hi  Ann', 'the template subject itself is made one line too');
  t.equal(fill('text', '{Person.firstName}', evil), 'A\r\nBcc: x@evil.example\tZ\u0000', 'text values are raw');
});

t.test('placeholderData: names, accounts, null records', async (t) => {
  const base = { ...contact, attributes: null, account: null };
  const cases: Array<[string, RecipientRecord | null, string, string]> = [
    ['name falls back to first + last', { ...base, name: '' }, '{Person.name}', "Ann O'Neil"],
    ['only a last name', { ...base, name: '', firstName: null }, '{Person.name}', "O'Neil"],
    ['no names at all', { ...base, name: '', firstName: null, lastName: null }, '[{Person.name}]', '[]'],
    ['a contact without an account', base, '[{Account.name}]', '[]'],
    ['an account is its own account', { ...base, type: 'account', name: 'Globex', firstName: null, lastName: null, attributes: { size: 9 } }, '{Account.name} {Account.size} {Person.name}', 'Globex 9 Globex'],
    ['a user', { ...base, type: 'user' }, '{Record.type} {Person.firstName}', 'user Ann'],
    ['no record: only the address', null, '[{Person.firstName}][{Account.name}][{Record.type}] {Person.emailAddress}', '[][][] ann@example.org'],
    ['externalId null', { ...base, externalId: null }, '[{Record.externalId}]', '[]'],
  ];
  for (const [name, r, template, want] of cases) t.equal(fill('text', template, r), want, name);
});

t.test('a compiled campaign is reused: each recipient gets their own values', async (t) => {
  const c = compileCampaign({ subject: 'For {Person.firstName}', html: '<p>{Person.firstName}</p>', text: null }, { optOut: 'none' });
  const a = placeholderData({ ...contact, firstName: 'Ann' }, 'a@x.example');
  const b = placeholderData({ ...contact, firstName: 'Bob' }, 'b@x.example');
  t.same([fillPart(c.subject, a, ''), fillPart(c.subject, b, ''), fillPart(c.html, b, ''), fillPart(c.text, a, '')], ['For Ann', 'For Bob', '<p>Bob</p>', 'Ann']);
  t.equal(c.html.slots.length, 1, 'one slot, statics around it');
});

t.test('opt-out footer', async (t) => {
  const render = (tpl: CampaignTemplate, optOut: CompileOptions['optOut'], url = URL) => {
    const c = compileCampaign(tpl, { optOut });
    const d = placeholderData(contact, 'ann@example.org');
    return { html: fillPart(c.html, d, url), text: fillPart(c.text, d, url) };
  };
  const htmlFooter = /<p style="[^"]*"><a href="https:\/\/p\.example\/u\/t0k\?a=1&amp;b=2" style="[^"]*">Unsubscribe<\/a><\/p>/;

  let r = render({ subject: 's', html: '<html><BODY><p>Hi</p></Body></html>', text: 'Hi' }, 'required');
  t.match(r.html, new RegExp(`^<html><BODY><p>Hi</p>${htmlFooter.source}</Body></html>$`), 'html footer before </body>, any case');
  t.equal(r.text, `Hi\n\n-- \nUnsubscribe: ${URL}\n`, 'text footer, URL raw');

  r = render({ subject: 's', html: '<p>Hi</p>', text: null }, 'required');
  t.match(r.html, new RegExp(`^<p>Hi</p>${htmlFooter.source}$`), 'no </body>: at the end');
  t.equal(r.text, `Hi\n\n-- \nUnsubscribe: ${URL}\n`, 'derived text gets the plain footer, not the html one');

  r = render({ subject: 's', html: '<p><a href="{optOutUrl}">Leave</a></p>', text: 'Leave: {optOutUrl}' }, 'required');
  t.equal(r.html, '<p><a href="https://p.example/u/t0k?a=1&amp;b=2">Leave</a></p>', 'the template has its link: nothing added');
  t.equal(r.text, `Leave: ${URL}`);

  r = render({ subject: 's', html: '<p><a href="{optOutUrl}">Leave</a></p>', text: 'No link here' }, 'required');
  t.notMatch(r.html, /Unsubscribe/, 'html has it');
  t.equal(r.text, `No link here\n\n-- \nUnsubscribe: ${URL}\n`, 'text lacks it: footer in the text only');

  r = render({ subject: 's', html: '<p><a href="{optOutUrl}">Leave</a></p>', text: null }, 'required');
  t.equal(r.text, `Leave (${URL})`, 'a derived text keeps the template link, no footer');

  r = render({ subject: 's', html: '<body><p>Hi <a href="{optOutUrl}">x</a></p></body>', text: 'Hi {optOutUrl}' }, 'none');
  t.same(r, { html: '<body><p>Hi <a href="">x</a></p></body>', text: 'Hi ' }, "'none': nothing appended, the link renders empty");

  r = render({ subject: 's', html: '<p>Hi</p>', text: 'Hi' }, 'required', '');
  t.equal(r.text, 'Hi\n\n-- \nUnsubscribe: \n', 'no URL for this recipient (a test send): the footer stays, empty');

  const labelled = compileCampaign({ subject: 's', html: '<p>x</p>', text: 'x' }, { optOut: 'required', optOutLabel: 'Se désabonner <ici>' });
  t.match(fillPart(labelled.html, placeholderData(null, 'a@x.example'), URL), />Se désabonner &lt;ici&gt;<\/a>/);
  t.match(fillPart(labelled.text, placeholderData(null, 'a@x.example'), URL), /Se désabonner <ici>: https:/);
});

t.test('withHtmlFooter and hasOptOutLink', async (t) => {
  for (const [html, want] of [
    ['<body>a</body>', '<body>aF</body>'], ['<body>a</BODY >', '<body>aF</BODY >'], ['a', 'aF'], ['<body>a</body><!-- </body> -->', '<body>aF</body><!-- </body> -->'],
    ['<body>a<!-- </body> --></body>', '<body>a<!-- </body> -->F</body>'], ['<!-- <body></body> -->a', '<!-- <body></body> -->aF'],
  ] as const) t.equal(withHtmlFooter(html, 'F'), want, html);
  for (const [tpl, want] of [
    [{ subject: '', html: '<a href="{optOutUrl}">x</a>', text: null }, true],
    [{ subject: '', html: '<a href="{optOutUrl}">x</a>', text: 'x {optOutUrl}' }, true],
    [{ subject: '', html: '<a href="{optOutUrl}">x</a>', text: 'x' }, false],
    [{ subject: '', html: 'x', text: '{optOutUrl}' }, false],
    [{ subject: '{optOutUrl}', html: '{optouturl}', text: null }, false],
  ] as const) t.equal(hasOptOutLink(tpl), want, JSON.stringify(tpl));
});
