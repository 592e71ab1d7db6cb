/*
 * The message catalog: every key a page or module uses exists in English; formats follow the
 * user's locale and time zone; bad settings fall back to the defaults.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { en } from '../../../server/i18n/en.js';
import { messages, interpolate, isTimeZone, isLocale } from '../../../server/i18n/catalog.js';
import { FEATURES } from '../../../server/app.js';

const root = join(import.meta.dirname, '../../..');
function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((f) => { const p = join(dir, f); return statSync(p).isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : []; });
}

t.test('every t(\'key\') in the views and the server exists in the English catalog', async (t) => {
  const used = new Set<string>();
  for (const f of [...files(join(root, 'admin-ui/views'), '.eta'), ...files(join(root, 'server'), '.ts')]) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\bth?\('([a-zA-Z0-9_.]+)'\s*[,)]/g)) used.add(m[1]!);
  }
  for (const e of FEATURES.flatMap((f) => f.menu ?? [])) used.add(e.label);
  t.ok(used.size > 20, `found ${used.size} keys in use`);
  const missing = [...used].filter((k) => !(k in en));
  t.same(missing, [], 'no key is missing');
});

/*
 * A heuristic for "every page text goes through the catalog": outside `<% … %>`, no text node
 * and no title / placeholder / aria-label / data-confirm / alt holds two letters in a row,
 * except code samples (`<code>`, `<pre>`) and the names below, which no language translates.
 */
const UNTRANSLATED = ['Postern', 'DKIM', 'SPF', 'DMARC', 'HTML', 'CSV', 'BCC', 'CC', 'Reply-To', 'API', 'pst_'];
export function bareTexts(template: string): string[] {
  const html = template.replace(/<%[\s\S]*?%>/g, '\u0000')
    .replace(/<(code|pre|script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '\u0000');
  const words = (s: string) => UNTRANSLATED.reduce((acc, w) => acc.split(w).join(' '), s.replace(/&[a-z]+;|&#\d+;|\/[\w/.-]*/g, ' '));
  const found: string[] = [];
  for (const m of html.matchAll(/>([^<]*)</g)) if (/[A-Za-z]{2}/.test(words(m[1]!))) found.push(m[1]!.trim());
  for (const m of html.matchAll(/\s(?:title|placeholder|aria-label|data-confirm|alt)="([^"]*)"/g)) {
    // Example values (an address, a domain, a key name, JSON) are not sentences.
    if (/\s/.test(m[1]!) && !/[@{]/.test(m[1]!) && /[A-Za-z]{2}/.test(words(m[1]!))) found.push(m[1]!);
  }
  return found;
}

t.test('the heuristic finds bare English and lets catalog texts, code and brand names pass', async (t) => {
  t.same(bareTexts('<h1>Users</h1>'), ['Users']);
  t.same(bareTexts('<label>Name <input name="q"></label>'), ['Name']);
  t.same(bareTexts('<form data-confirm="Delete it?">'), ['Delete it?']);
  t.same(bareTexts('<h1><%= it.t(\'users.list.title\') %></h1><a href="/x"><%= u.name %></a>'), []);
  t.same(bareTexts('<label>DKIM <select></select></label><p><code>GET /api/v1/x</code></p><a class="brand">Postern</a>'), []);
  t.same(bareTexts('<input placeholder="a@example.com, B &lt;b@example.org&gt;"><input placeholder="crm-sync">'), []);
  t.same(bareTexts('<td>—</td><td>&nbsp;</td><span>#<%= r.id %> · </span><a href="/api/docs">/api/docs</a>'), []);
});

t.test('no view holds a bare English text outside t(…)', async (t) => {
  const views = files(join(root, 'admin-ui/views'), '.eta');
  t.ok(views.length > 25, `${views.length} views`);
  for (const f of views) t.same(bareTexts(readFileSync(f, 'utf8')), [], f.slice(root.length + 1));
});

t.test('interpolation', async (t) => {
  const cases: Array<[string, Record<string, string | number> | undefined, string]> = [
    ['Node {node} runs {roles}.', { node: 'a', roles: 'http' }, 'Node a runs http.'],
    ['{n} of {n}', { n: 3 }, '3 of 3'],
    ['{missing} stays', {}, '{missing} stays'],
    ['no params', undefined, 'no params'],
  ];
  for (const [text, p, want] of cases) t.equal(interpolate(text, p), want, text);
});

t.test('formats per locale and time zone', async (t) => {
  const at = Date.UTC(2026, 11, 5, 23, 30); // 5 Dec 2026 23:30 UTC
  const cases: Array<[string | null, string | null, RegExp, RegExp]> = [
    ['en-US', 'UTC', /Dec 5, 2026/, /^1,234,567\.5$/],
    ['en-GB', 'Europe/Oslo', /6 Dec 2026/, /^1,234,567\.5$/], // already the 6th in Oslo
    ['ru-RU', 'UTC', /5 дек/, /^1\s234\s567,5$/],
    ['nb-NO', 'America/New_York', /5\. des/, /^1\s234\s567,5$/],
    ['pl-PL', 'UTC', /5 gru/, /^1\s234\s567,5$/],
    ['tr-TR', 'UTC', /5 Ara/, /^1\.234\.567,5$/],
    [null, null, /Dec 5, 2026/, /^1,234,567\.5$/],
    ['xx-bogus', 'Mars/Olympus', /Dec 5, 2026/, /^1,234,567\.5$/],
  ];
  for (const [loc, tz, date, num] of cases) {
    const m = messages(loc, tz);
    t.match(m.fmt.dateTime(at), date, `${loc} ${tz} date`);
    t.match(m.fmt.number(1234567.5), num, `${loc} number`);
  }
  t.equal(messages('ru-RU').t('menu.users'), en['menu.users'], 'a language without a catalog falls back to English per key');
});

t.test('settings validation', async (t) => {
  t.ok(isTimeZone('Europe/Warsaw')); t.notOk(isTimeZone('Europe/Nowhere')); t.notOk(isTimeZone('')); t.notOk(isTimeZone(3));
  t.ok(isLocale('nb-NO')); t.notOk(isLocale('nb')); t.notOk(isLocale('<script>'));
});
