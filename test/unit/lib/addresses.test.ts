/* The mailbox parser refuses every routing trick an open-relay probe uses. */
import t from 'tap';
import { parseMailbox, matchesDomainList, normalizeDomain, isLoopbackIp } from '../../../server/lib/addresses.js';

const ok: Array<[string, string]> = [
  ['user@example.com', 'user@example.com'],
  ['<User.Name+tag@Example.COM>', 'User.Name+tag@example.com'],
  ['user@example.com.', 'user@example.com'],
  ['"john smith"@example.com', '"john smith"@example.com'],
  ["o'brien@example.co.uk", "o'brien@example.co.uk"],
];
for (const [input, address] of ok) t.test(`accepts ${input}`, async (t) => t.match(parseMailbox(input), { ok: true, address }));

const bad: Array<[string, string]> = [
  // input, code — each is a known open-relay probe or malformed path
  ['@relay.example,@other.example:user@example.com', 'source-route'],
  ['@relay.example:user@example.com', 'source-route'],
  ['user%foreign.example@example.com', 'percent-hack'],
  ['foreign.example!user@example.com', 'bang-path'],
  ['user@[127.0.0.1]', 'address-literal'],
  ['user@[IPv6:::1]', 'address-literal'],
  ['"user@foreign.example"@example.com', 'quoted-at'],
  ['"user%foreign.example"@example.com', 'quoted-at'],
  ['"foreign!user"@example.com', 'quoted-at'],
  ['user@foreign.example@example.com', 'syntax'],
  ['user', 'syntax'],
  ['@example.com', 'source-route'],
  ['user@', 'syntax'],
  ['us er@example.com', 'syntax'],
  ['user@exa mple.com', 'bad-domain'],
  ['user@-example.com', 'bad-domain'],
  ['user@example..com', 'bad-domain'],
  ['user@localhost', 'bad-domain'],
  ['user\r\n@example.com', 'syntax'],
  ['üser@example.com', 'syntax'],
  [`${'a'.repeat(65)}@example.com`, 'too-long'],
  [`a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(10)}.com`, 'too-long'],
];
for (const [input, code] of bad) t.test(`refuses ${JSON.stringify(input).slice(0, 60)}`, async (t) => t.match(parseMailbox(input), { ok: false, code }));

t.test('8-bit local parts only with SMTPUTF8', async (t) => {
  t.match(parseMailbox('üser@example.com', { smtputf8: true }), { ok: true });
});

const domains: Array<[string, boolean, string]> = [
  ['example.com', true, 'same domain'],
  ['EXAMPLE.com', true, 'case does not matter'],
  ['example.com.', true, 'a trailing dot is the same domain'],
  ['example.com.evil.test', false, 'a suffix is another domain'],
  ['evil-example.com', false, 'a prefix is another domain'],
  ['sub.example.com', false, 'subdomains are not included'],
  ['exampIe.com', false, 'capital I for l is another domain'],
  ['exаmple.com', false, 'Cyrillic а: the punycode differs'],
  ['0xample.com', false, 'digit zero for o'],
];
for (const [d, want, why] of domains) t.test(why, async (t) => t.equal(matchesDomainList(d, ['example.com']), want));

t.test('IDN domains normalise to punycode', async (t) => {
  t.equal(normalizeDomain('Bücher.example'), 'xn--bcher-kva.example');
});

t.test('only loopback peers may AUTH without TLS on the submission port', async (t) => {
  const table: Array<[string, boolean]> = [
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['::ffff:127.0.0.1', true], ['::FFFF:127.0.0.2', true],
    ['192.0.2.2', false], ['10.0.0.1', false], ['::ffff:192.0.2.2', false], ['fe80::1', false], ['::', false], ['0.0.0.0', false],
    ['128.0.0.1', false], ['1127.0.0.1', false], ['::11', false], ['127.0.0.1.evil', false], ['', false],
  ];
  for (const [ip, want] of table) t.equal(isLoopbackIp(ip), want, ip || '(empty)');
});
