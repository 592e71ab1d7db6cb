/*
 * One recipient's copy of a mass email: the compiled template filled with the recipient's
 * data and opt-out URL, written as a MIME message (unsigned: DKIM is the caller's next step).
 * Pure; the delivery worker supplies the record, the URLs and the header values.
 */
import type { CompiledCampaign } from './compile.js';
import { fillPart } from './compile.js';
import type { TrackUrl } from './links.js';
import { placeholderData, type RecipientRecord } from './data.js';
import { buildCampaignMessage, type CampaignMessage } from './mime.js';

export interface RecipientInput extends Omit<CampaignMessage, 'to' | 'subject' | 'text' | 'html'> {
  address: string;
  record: RecipientRecord | null;
  /** This recipient's opt-out page; null renders `{optOutUrl}` empty (as does a campaign compiled with optOut 'none'). */
  optOutUrl: string | null;
  /** This recipient's tracked URLs (open pixel, tracking URLs, tracked links); none: slots render empty. */
  track?: TrackUrl;
}

export interface RenderedRecipient { raw: Buffer; subject: string }

export function renderRecipient(c: CompiledCampaign, r: RecipientInput): RenderedRecipient {
  const d = placeholderData(r.record, r.address);
  const url = r.optOutUrl ?? '';
  const subject = fillPart(c.subject, d, url);
  const { address, record: _record, optOutUrl: _url, track, ...headers } = r;
  const raw = buildCampaignMessage({ ...headers, to: address, subject, text: fillPart(c.text, d, url, track), html: fillPart(c.html, d, url, track) });
  return { raw, subject };
}
