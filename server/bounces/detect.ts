/*
 * What kind of message arrived at a bounce address: bounce, ARF complaint, auto-reply
 * (RFC 3834 and the common non-standard markers, in several languages), challenge-response,
 * delivery notification, or normal mail. Out-of-office replies are never bounces, even
 * when they come with a null sender.
 */
import type { Part } from '../lib/mime.js';

export type Kind = 'bounce' | 'complaint' | 'auto-reply' | 'challenge-response' | 'delivery-notification' | 'normal';

const BOUNCE_FROM = /mailer-daemon|postmaster|mail delivery (subsystem|system|service)|mail administrator|mailadmin|mail-daemon|\bmdaemon\b|\bmailer@|deliverystatus|^"?mail ?system|microsoftexchange|\bmaildelivery|\bmail ?router|\bsmtp ?gateway|\binterscan\b/i;
const BOUNCE_SUBJECT = /undeliver|returned mail|delivery (status notification|failure|failed|has failed|problem|report|notification|status)|mail delivery failed|failure notice|could not be delivered|non[- ]?remis|unzustellbar|nicht zustellbar|no se puede entregar|message (not delivered|delivery failure|rejected|blocked|could not be delivered)|rejected:|warning: message|mail system error|notice: mail|nondeliverable|non-delivery|bounced|returned to sender|delivery incomplete|permanent (error|failure)|mail failure|failed delivery|delivery error|unable to deliver|error sending message|mail could not be delivered|ошибка доставки|不達|配信できません|配信に失敗|mail delivery status/i;
export const VACATION_SUBJECT = /out of (the )?office|\booo\b|automatische antwort|abwesenheitsnotiz|auto(matic|matisch|matische|matiskt?|maattinen)?[ -]?(reply|response|antwort|respuesta|risposta|réponse|resposta|antwoord|svar|vastaus|odpowied[zź])|autoreply|autorespond|vacation|away from (my|the) (mail|office|desk|e-?mail)|on (holiday|leave|vacation)|abwesen|urlaub|absence|absent\b|en vacances|fuera de la oficina|ausente|не в офисе|отпуск|автоответ|nicht im büro|congé|afwezig|frånvar|fravær|poza biurem|mimo kancelář|自動応答|自動返信|自动回复|不在|odsutan|respuesta autom[aá]tica|r[ée]ponse automatique|risposta automatica|away until|will be out|i am (currently )?(away|out)/i;
const CHALLENGE = /(please )?(confirm|verify) (that )?(you|your (e-?mail|message|address|identity))|challenge[- ]response|whitelist request|spam ?arrest|boxbe|verify you are (a )?human|sender verification|please click (the|this) link to (deliver|confirm)|awaiting your (confirmation|verification)|mailbox is protected by|approve (your|this) (message|email)/i;
const VACATION_BODY = /(will not be reading|am away|out of (the )?office|on vacation|on holiday|on leave|limited access to (my )?e-?mail|will (reply|respond|get back to you) (when|as soon|upon|on my return)|return(ing)? on|back (in the office )?on|currently away|abwesend|im urlaub|ausente|absent(e)? du bureau|vacances)/i;

/**
 * Whether mail that arrived with this envelope could be a report at all, before the costly
 * vendor-format search over its text. RFC 3464 and RFC 5321 §4.5.5 send reports from the
 * null sender; the non-compliant MTAs that do not still say who they are (MAILER-DAEMON,
 * postmaster, a "delivery failed" subject, a report content type). Mail to a VERP address
 * is always examined.
 */
export function couldBeReport(root: Part, parts: Part[], envelope: { sender: string; toVerp: boolean }): boolean {
  if (envelope.sender === '' || envelope.toVerp) return true;
  const h = root.headers;
  if (BOUNCE_FROM.test(h.get('from') ?? '') || BOUNCE_FROM.test(envelope.sender) || BOUNCE_SUBJECT.test(h.get('subject') ?? '')) return true;
  if (h.get('x-failed-recipients') || /multipart\/report/i.test(h.get('content-type') ?? '')) return true;
  return parts.some((p) => p.contentType.endsWith('delivery-status') || p.contentType === 'message/feedback-report');
}

export interface DetectInput { root: Part; parts: Part[]; text: string; vendorMatched: boolean }

function isAutoReply(h: Part['headers'], subject: string): boolean {
  const auto = (h.get('auto-submitted') ?? '').toLowerCase();
  const precedence = (h.get('precedence') ?? '').toLowerCase();
  return auto.startsWith('auto-replied') || Boolean(h.get('x-autoreply')) || Boolean(h.get('x-autorespond')) || Boolean(h.get('x-autoreply-from'))
    || Boolean(h.get('x-mail-autoreply')) || /auto[_-]?reply/.test(precedence) || /^auto(matic)?[ -]?repl/i.test(h.get('x-mailer') ?? '')
    || (/oof|autoreply/i.test(h.get('x-auto-response-suppress') ?? '') && VACATION_SUBJECT.test(subject))
    || /^(oof|autoreply)$/i.test(h.get('x-ms-exchange-inbox-rules-loop') ?? '') || VACATION_SUBJECT.test(subject);
}

export function detectKind({ root, parts, text, vendorMatched }: DetectInput): Kind {
  const h = root.headers;
  const ctype = h.get('content-type') ?? '';
  if (parts.some((p) => p.contentType === 'message/feedback-report') || /report-type="?feedback-report/i.test(ctype)) return 'complaint';
  const dsn = parts.filter((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
  if (dsn.length) {
    const actions = dsn.flatMap((p) => [...p.body.matchAll(/^action:\s*([a-z]+)/gim)].map((m) => m[1]!.toLowerCase()));
    if (actions.length && actions.every((a) => a === 'delivered' || a === 'relayed' || a === 'expanded')) return 'delivery-notification';
    return 'bounce';
  }
  const subject = h.get('subject') ?? '';
  const from = h.get('from') ?? '';
  const nullSender = (h.get('return-path') ?? '').trim() === '<>';
  const vacationSubject = VACATION_SUBJECT.test(subject);
  const strongBounce = BOUNCE_FROM.test(from) || vendorMatched || Boolean(h.get('x-failed-recipients')) || /report-type="?delivery-status/i.test(ctype);
  if (strongBounce && !vacationSubject && BOUNCE_SUBJECT.test(subject)) return 'bounce';
  if (isAutoReply(h, subject)) return 'auto-reply';
  if (CHALLENGE.test(subject) || CHALLENGE.test(text.slice(0, 3000))) return 'challenge-response';
  if (strongBounce || BOUNCE_SUBJECT.test(subject)) return 'bounce';
  // Old vacation(1) programs mark their replies only with Precedence: junk/bulk and a body.
  const precedence = (h.get('precedence') ?? '').toLowerCase();
  if ((precedence === 'junk' || precedence === 'bulk' || nullSender) && VACATION_BODY.test(text.slice(0, 3000))) return 'auto-reply';
  return 'normal';
}
