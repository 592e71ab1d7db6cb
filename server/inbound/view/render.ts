/*
 * What the admin sees of an inbound message: headers, text, HTML and attachments, parsed
 * on demand with mailparser. Inbound HTML is hostile: scripts, event handlers, forms,
 * frames and remote resources are removed here, and the page that shows it adds a
 * sandboxed iframe and a CSP that allows nothing. Names and header values come back with
 * control and bidi characters neutralised; the header section ends where the pipeline's does.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import { parseMessage, walk, LIMITS, type Part } from '../../lib/mime.js';
import { withHeaderBoundary } from '../../lib/headers.js';
import { displayText } from '../../lib/display.js';

export interface MessageView {
  headers: Array<[string, string]>; text: string | null; html: string | null; remoteImagesBlocked: number;
  attachments: Array<{ index: number; filename: string; contentType: string; size: number }>;
}

export function sanitizeInboundHtml(html: string): { html: string; remoteImagesBlocked: number } {
  let blocked = 0;
  const clean = sanitizeHtml(html, {
    allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img', 'h1', 'h2', 'center', 'font', 'span', 'div', 'table', 'thead', 'tbody', 'tr', 'td', 'th']),
    allowedAttributes: { '*': ['style', 'align', 'width', 'height', 'bgcolor', 'color', 'colspan', 'rowspan', 'dir'], a: ['href', 'title'], img: ['src', 'alt', 'width', 'height'], font: ['face', 'size', 'color'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['data', 'cid'] },
    allowProtocolRelative: false,
    transformTags: {
      img: (tag, attribs) => {
        if (attribs.src && !/^(data|cid):/i.test(attribs.src)) { blocked++; return { tagName: 'span', attribs: { style: 'color:#888' }, text: `[remote image blocked${attribs.alt ? `: ${attribs.alt}` : ''}]` }; }
        return { tagName: tag, attribs };
      },
      a: (tag, attribs) => ({ tagName: tag, attribs: { ...attribs, rel: 'noopener noreferrer', target: '_blank' } }),
    },
    allowedStyles: { '*': { color: [/.*/], 'background-color': [/.*/], 'text-align': [/.*/], 'font-size': [/.*/], 'font-weight': [/.*/], 'font-family': [/.*/], padding: [/.*/], margin: [/.*/], border: [/.*/], width: [/.*/] } },
  });
  return { html: clean, remoteImagesBlocked: blocked };
}

export class TooComplexError extends Error { readonly code = 'too_complex'; }

const depthOf = (p: Part): number => p.parts.reduce((d, c) => Math.max(d, 1 + depthOf(c)), 0);

export async function viewMessage(input: Buffer): Promise<MessageView & { parsed: ParsedMail }> {
  // A message whose first line is not a header has no headers: its body must not lend it a sender or subject.
  const raw = withHeaderBoundary(input);
  // A cheap bounded pass first: 60,000 parts or a 2,000-deep nesting would keep mailparser busy for minutes.
  const root = parseMessage(raw);
  if (walk(root).length >= LIMITS.parts) throw new TooComplexError(`more than ${LIMITS.parts} MIME parts: download the raw message to inspect it`);
  if (depthOf(root) >= LIMITS.depth) throw new TooComplexError(`MIME parts nested more than ${LIMITS.depth} deep: download the raw message to inspect it`);
  const parsed = await simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 2 * 1024 * 1024 }).catch((e: Error) => {
    // mailparser's own limits (child nodes, header size) are limits too, not failures of ours.
    throw /max allowed|exceeded/i.test(e.message) ? new TooComplexError(`${e.message}: download the raw message to inspect it`) : e;
  });
  const headers: Array<[string, string]> = parsed.headerLines.map((h) => [displayText(h.key), displayText(h.line.slice(h.line.indexOf(':') + 1).trim())]);
  const html = typeof parsed.html === 'string' ? sanitizeInboundHtml(parsed.html) : null;
  return {
    parsed, headers, text: parsed.text ?? null, html: html?.html ?? null, remoteImagesBlocked: html?.remoteImagesBlocked ?? 0,
    attachments: parsed.attachments.map((a, index) => ({ index, filename: displayText(a.filename) || `attachment-${index + 1}`, contentType: displayText(a.contentType), size: a.size })),
  };
}
