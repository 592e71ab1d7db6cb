/*
 * One place where sources check user-supplied header values (subject, names, file names)
 * before anything is stored: CR, LF and NUL are refused through the shared header hygiene
 * (lib/headers.ts), other control characters here, so no header can be injected. Also the
 * header policy for mail apps submit over SMTP (checkSubmittedHeaders).
 */
import { assertHeaderValue, HeaderInjectionError, readHeaderSection } from '../../lib/headers.js';
import { parseMailbox } from '../../lib/addresses.js';
import { decodeWords } from '../../lib/mime.js';

export function headerProblem(v: string): string | null {
  try {
    assertHeaderValue('value', v);
  } catch (e) {
    if (e instanceof HeaderInjectionError) return 'Line breaks (CR/LF) and NUL are not allowed here';
    throw e;
  }
  if (/[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(v)) return 'Control characters are not allowed here';
  return null;
}

export type SubmittedHeaders = { ok: true; hasDate: boolean } | { ok: false; code: number; message: string };

const syntax = (message: string): SubmittedHeaders => ({ ok: false, code: 550, message: `5.6.0 ${message}` });
// Anything shaped like an address, in a display name or a comment too: a reader sees those.
const ADDR_LIKE = /[^\s<>",;()]+@[^\s<>",;()]+/g;

/**
 * The header section of a submitted message (`head`: at least up to its empty line).
 * Mail is signed for and relayed as its From, and DKIM, DMARC and every mail reader must
 * agree on which From that is: so exactly one From and at most one Sender, in today's
 * syntax (no `From :`, route addresses, empty list elements or groups), a header section
 * that ends at its empty line (a parser that reads past a non-header line would find
 * headers we never checked), and every address they show allowed for the credential.
 */
export function checkSubmittedHeaders(head: Buffer, allowed: (address: string) => boolean): SubmittedHeaders {
  const section = readHeaderSection(head, 10_000);
  if (!section.separated && section.end < head.length) {
    const line = head.toString('latin1', section.end, Math.min(head.length, section.end + 40)).split(/\r?\n/)[0];
    return syntax(`Malformed header section: "${line!.replace(/[^\x20-\x7e]/g, '?')}" is not a header field`);
  }
  const froms = section.fields.filter(([k]) => k === 'from').map(([, v]) => v);
  const senders = section.fields.filter(([k]) => k === 'sender').map(([, v]) => v);
  if (!froms.length) return syntax('Message has no From header field');
  if (froms.length > 1) return syntax(`Message has ${froms.length} From header fields: exactly one is allowed`);
  if (senders.length > 1) return syntax(`Message has ${senders.length} Sender header fields: at most one is allowed`);
  // readHeaderSection accepts RFC 5322's obsolete "From :"; readers disagree on it, so we do not.
  const obsolete = /^(from|sender)[ \t]+:/im.exec(head.toString('latin1', 0, section.end));
  if (obsolete) return syntax(`${obsolete[1]} header field in obsolete syntax (space before the colon)`);
  const from = mailboxList(froms[0]!);
  if (!from.ok) return syntax(`From header field: ${from.why}`);
  const sender = senders.length ? mailboxList(senders[0]!) : null;
  if (sender && !sender.ok) return syntax(`Sender header field: ${sender.why}`);
  if (sender?.ok && sender.addresses.length !== 1) return syntax('Sender header field must name exactly one mailbox');
  if (from.addresses.length > 1 && !sender) return syntax('From names several mailboxes: a Sender header field is required (RFC 5322 3.6.2)');
  for (const [name, value, parsed] of [['From', froms[0]!, from], ['Sender', senders[0] ?? '', sender]] as const) {
    const shown = [...(parsed?.ok ? parsed.addresses : []), ...[...decodeWords(value).matchAll(ADDR_LIKE)].map((m) => m[0].toLowerCase())];
    const foreign = shown.find((a) => !allowed(a));
    if (foreign) return { ok: false, code: 550, message: `5.7.1 Header ${name} ${foreign} is not a sender this credential may use` };
  }
  return { ok: true, hasDate: section.fields.some(([k]) => k === 'date') };
}

type Parsed = { ok: true; addresses: string[] } | { ok: false; why: string };

/** RFC 5322 mailbox-list without the obsolete forms: `[phrase] <addr-spec>` or `addr-spec`, comma separated. */
function mailboxList(value: string): Parsed {
  // Comments become a space (their text was checked as shown text); quoted strings stay.
  let clean = '';
  let depth = 0, quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (quoted || depth)) { if (!depth) clean += c + (value[i + 1] ?? ''); i++; continue; }
    if (depth) { if (c === '(') depth++; else if (c === ')') { depth--; if (!depth) clean += ' '; } continue; }
    if (c === '"') quoted = !quoted;
    else if (c === '(' && !quoted) { depth = 1; continue; }
    clean += c;
  }
  if (quoted || depth) return { ok: false, why: 'syntax error (unterminated quoted string or comment)' };
  const elements: string[] = [];
  let cur = '', inQuote = false, inAngle = false;
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '\\' && inQuote) { cur += c + (clean[i + 1] ?? ''); i++; continue; }
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && c === '<') { if (inAngle) return { ok: false, why: 'syntax error (nested <)' }; inAngle = true; }
    else if (!inQuote && c === '>') { if (!inAngle) return { ok: false, why: 'syntax error (stray >)' }; inAngle = false; }
    else if (!inQuote && !inAngle && c === ',') { elements.push(cur); cur = ''; continue; }
    cur += c;
  }
  if (inAngle) return { ok: false, why: 'syntax error (unclosed <)' };
  elements.push(cur);
  const addresses: string[] = [];
  for (const raw of elements) {
    const el = raw.trim();
    if (!el) return { ok: false, why: 'obsolete syntax (empty list element)' };
    let spec = el;
    const lt = el.indexOf('<');
    if (lt >= 0 && !/^(?:"(?:[^"\\]|\\.)*"|[^"<]+)*$/.test(el.slice(0, lt))) return { ok: false, why: 'syntax error in display name' };
    if (lt >= 0) {
      const gt = el.indexOf('>', lt);
      if (el.slice(gt + 1).trim()) return { ok: false, why: 'syntax error (text after the address)' };
      // Phrase words: atoms (dots allowed, as obs-phrase; senders use "A. Person") and quoted strings.
      const phrase = el.slice(0, lt).replace(/"(?:[^"\\]|\\.)*"/g, ' ');
      if (/[()<>[\]:;@\\,]/.test(phrase)) return { ok: false, why: 'syntax error in display name (group syntax is not allowed here)' };
      spec = el.slice(lt + 1, gt).trim();
      if (spec.startsWith('@')) return { ok: false, why: 'obsolete syntax (route address)' };
    }
    if (/[\s<>]/.test(spec.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) return { ok: false, why: `syntax error in address "${spec}"` };
    const p = parseMailbox(spec);
    if (!p.ok) return { ok: false, why: `${p.message} ("${spec}")` };
    addresses.push(p.address.toLowerCase());
  }
  return { ok: true, addresses };
}
