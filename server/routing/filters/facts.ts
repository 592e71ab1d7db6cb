/*
 * What filter conditions read of a message, pure: From, To/Cc, Subject and every header as
 * the MIME reader decoded them, the first text part (or an HTML part's text) capped at
 * LIMITS.body, the verdicts and kind the pipeline stored, and the size.
 */
import { walk, type Part } from '../../lib/mime.js';
import { LIMITS, type MessageFacts } from './match.js';

/** The body text conditions read: the first inline text/plain part, else a text/html part without tags. */
export function bodyText(root: Part): string {
  const parts = walk(root).filter((p) => !p.parts.length && !/^\s*attachment/i.test(p.headers.get('content-disposition') ?? ''));
  const plain = parts.find((p) => p.contentType === 'text/plain');
  if (plain) return plain.body.slice(0, LIMITS.body);
  const html = parts.find((p) => p.contentType === 'text/html');
  // Tags dropped by a linear scan over a capped slice: no regex over hostile markup.
  return html ? stripTags(html.body.slice(0, LIMITS.body * 2)).slice(0, LIMITS.body) : '';
}

function stripTags(s: string): string {
  let out = '';
  let inTag = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '<') inTag = true;
    else if (c === '>' && inTag) { inTag = false; out += ' '; } else if (!inTag) out += c;
  }
  return out;
}

export interface StoredFacts { spf: string | null; dkim: string | null; dmarc: string | null; kind: string | null; size: number; from_addr?: string | null }

export function factsOf(root: Part, m: StoredFacts): MessageFacts {
  const h = root.headers;
  return {
    from: h.all('from').join(', ') || m.from_addr || '',
    to: [...h.all('to'), ...h.all('cc')].join(', '),
    subject: h.get('subject') ?? '',
    body: bodyText(root),
    headers: h.list,
    spf: m.spf ?? '', dkim: m.dkim ?? '', dmarc: m.dmarc ?? '', kind: m.kind ?? '', size: m.size,
  };
}
