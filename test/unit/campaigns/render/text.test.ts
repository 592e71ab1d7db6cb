/* The text part derived from a campaign's HTML: tags, links, entities, line breaks. */
import t from 'tap';
import { htmlToText, decodeEntities } from '../../../../server/campaigns/render/text.js';

t.test('htmlToText', async (t) => {
  const cases: Array<[string, string, string]> = [
    // name, html, text
    ['paragraphs', '<p>One</p><p>Two</p>', 'One\n\nTwo'],
    ['br and source newlines', 'a<br>b<BR/>c\n   d', 'a\nb\nc d'],
    ['head, style, script and comments dropped', '<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><!-- hi -->Body</body></html>', 'Body'],
    ['a link', 'See <a href="https://x.example/a?b=1&amp;c=2">our <b>shop</b></a>.', 'See our shop (https://x.example/a?b=1&c=2).'],
    ['a link whose text is its URL', '<a href="https://x.example">https://x.example</a>', 'https://x.example'],
    ['a mailto link', "<a href='mailto:a@x.example'>a@x.example</a>", 'mailto:a@x.example'],
    ['an empty link text', '<a href=https://x.example><img src="logo.png"></a>', 'https://x.example'],
    ['anchors and javascript: text only', '<a href="#top">Top</a> <a href="javascript:void(0)">Do</a>', 'Top Do'],
    ['placeholders pass through', '<p>Hi {Person.firstName},</p><a href="{optOutUrl}">Unsubscribe</a>', 'Hi {Person.firstName},\n\nUnsubscribe ({optOutUrl})'],
    ['tracking placeholder links', '<a href="{trackingUrl:3}">Go</a>', 'Go ({trackingUrl:3})'],
    ['entities decoded once', '&lt;b&gt; &amp;lt; &eacute;x &#233; &#xE9; &nbsp;&copy; &bogus;', '<b> &lt; éx é é © &bogus;'],
    ['lists', '<ul><li>One</li><li>Two</li></ul>', '- One\n- Two'],
    ['headings and divs', '<h1>Title</h1><div>a</div><div>b</div>', 'Title\n\na\nb'],
    ['table cells', '<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>', 'a b\nc'],
    ['at most one empty line', '<p>a</p><br><br><br><p>b</p>', 'a\n\nb'],
    ['text outside tags, odd spacing', '  Hello   <span>world</span>  ', 'Hello world'],
  ];
  for (const [name, html, want] of cases) t.equal(htmlToText(html), want, name);
});

t.test('decodeEntities', async (t) => {
  for (const [s, want] of [
    ['a &amp; b', 'a & b'], ['&#128512;', '😀'], ['&#x1F600;', '😀'], ['&#0;', '\uFFFD'], ['&#xD800;', '\uFFFD'], ['&#99999999;', '&#99999999;'],
    ['&rsquo;&hellip;', '’…'], ['&Auml;&szlig;&yuml;&iexcl;&shy;', 'Äßÿ¡'], ['no entities', 'no entities'], ['&amp', '&amp'],
  ] as const) t.equal(decodeEntities(s), want, s);
});
