/*
 * What kind of message arrived at a bounce address: bounce, ARF complaint, auto-reply
 * (RFC 3834 and the common non-standard markers), challenge-response, delivery
 * notification, or normal mail. Out-of-office replies are never bounces.
 */
import type { Part } from './mime.js';

export type Kind = 'bounce' | 'complaint' | 'auto-reply' | 'challenge-response' | 'delivery-notification' | 'normal';

const BOUNCE_FROM = /mailer-daemon|postmaster|mail delivery (subsystem|system)|mail administrator|mailadmin|mail-daemon|\bmdaemon\b|bounce[sd]?@|noreply-dmarc|microsoftexchange|mailer@|deliverystatus/i;
const BOUNCE_SUBJECT = /undeliver|undelivered|returned mail|delivery (status notification|failure|failed|has failed|problem|report)|mail delivery failed|failure notice|could not be delivered|delivery notification|non[- ]?remis|unzustellbar|nicht zustellbar|no se puede entregar|message (not delivered|delivery failure|rejected|blocked)|rejected:|warning: message|mail system error|notice: mail|nondeliverable|non-delivery|bounced|returned to sender|delivery incomplete|permanent (error|failure)|spam firewall|blocked by/i;
const AUTO_SUBJECT = /out of (the )?office|automatische antwort|auto(matic)?[ -]?(reply|response|antwort|respuesta|risposta|réponse)|autoreply|vacation|away from (my|the) (mail|office|desk)|on (holiday|leave|vacation)|abwesen|abwesenheit|urlaub|absence|absent|en vacances|fuera de la oficina|не в офисе|отпуск|автоответ|nicht im büro|congé|ausente/i;
const CHALLENGE = /(please )?(confirm|verify) (that )?(you|your (e-?mail|message|address))|challenge[- ]response|whitelist request|spam ?arrest|boxbe|verify you are (a )?human|sender verification/i;

export function detectKind(root: Part, parts: Part[], bodyText: string): Kind {
  if (parts.some((p) => p.contentType === 'message/feedback-report')) return 'complaint';
  const h = root.headers;
  const subject = h.get('subject') ?? '';
  const from = h.get('from') ?? '';
  const dsn = parts.filter((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
  if (dsn.length) {
    const actions = dsn.flatMap((p) => [...p.body.matchAll(/^action:\s*([a-z]+)/gim)].map((m) => m[1]!.toLowerCase()));
    if (actions.length && actions.every((a) => a === 'delivered' || a === 'relayed' || a === 'expanded')) return 'delivery-notification';
    return 'bounce';
  }
  const looksBounce = BOUNCE_FROM.test(from) || BOUNCE_SUBJECT.test(subject) || Boolean(h.get('x-failed-recipients'))
    || /report-type=delivery-status/i.test(h.get('content-type') ?? '');
  if (looksBounce && !AUTO_SUBJECT.test(subject)) return 'bounce';
  const auto = (h.get('auto-submitted') ?? '').toLowerCase();
  const precedence = (h.get('precedence') ?? '').toLowerCase();
  if (auto.startsWith('auto-replied') || h.get('x-autoreply') || h.get('x-autorespond') || h.get('x-auto-response-suppress')?.match(/oof/i)
    || /auto_reply|auto-reply/.test(precedence) || AUTO_SUBJECT.test(subject) || (h.get('x-autoreply-from')) || /^auto(matic)?[ -]?reply/i.test(h.get('x-mailer') ?? '')) {
    return 'auto-reply';
  }
  if (CHALLENGE.test(subject) || CHALLENGE.test(bodyText.slice(0, 2000))) return 'challenge-response';
  if (looksBounce) return 'bounce';
  // Old vacation(1) programs mark their replies only with Precedence: junk/bulk and a body.
  if ((precedence === 'junk' || precedence === 'bulk') && /(will not be reading|away|out of (the )?office|on vacation|return)/i.test(bodyText.slice(0, 2000))) return 'auto-reply';
  return 'normal';
}
