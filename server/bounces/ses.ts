/*
 * Amazon SES notifications delivered by mail (SNS e-mail subscriptions): JSON documents of
 * type Bounce, Complaint or Delivery instead of a DSN. Returns null for anything else.
 */
export interface SesNotice {
  type: 'Bounce' | 'Complaint' | 'Delivery';
  bounceType?: string; bounceSubType?: string; feedbackType?: string;
  recipients: Array<{ address: string; status?: string; action?: string; diagnostic?: string }>;
  messageId?: string;
}

/** The parts of an SES (or SNS envelope) document read here; JSON, so every field is checked before use. */
interface SesDoc {
  Message?: unknown; notificationType?: unknown; mail?: { messageId?: string };
  bounce?: { bounceType?: string; bounceSubType?: string; bouncedRecipients?: Array<{ emailAddress?: unknown; status?: string; action?: string; diagnosticCode?: string }> };
  complaint?: { complaintFeedbackType?: string; complainedRecipients?: Array<{ emailAddress?: unknown }> };
  delivery?: { recipients?: unknown[] };
}

function findJson(text: string): SesDoc | null {
  const start = text.indexOf('{');
  if (start < 0 || !/notificationType|"Type"\s*:\s*"Notification"/.test(text)) return null;
  // The document ends at one of the last few braces (a footer may follow); a bounded number
  // of tries keeps a text full of braces from costing a parse per brace.
  let tries = 0;
  for (let end = text.lastIndexOf('}'); end > start && tries++ < 16; end = text.lastIndexOf('}', end - 1)) {
    try { return JSON.parse(text.slice(start, end + 1)) as SesDoc; } catch { /* try a shorter span */ }
  }
  return null;
}

export function parseSes(text: string): SesNotice | null {
  let doc = findJson(text);
  if (doc && typeof doc.Message === 'string') { try { doc = JSON.parse(doc.Message) as SesDoc; } catch { return null; } }
  if (!doc || typeof doc.notificationType !== 'string') return null;
  const type = doc.notificationType as SesNotice['type'];
  const messageId = doc.mail?.messageId as string | undefined;
  if (type === 'Bounce') {
    return {
      type, bounceType: doc.bounce?.bounceType, bounceSubType: doc.bounce?.bounceSubType, messageId,
      recipients: (doc.bounce?.bouncedRecipients ?? []).map((r) => ({
        address: String(r.emailAddress ?? ''), status: r.status, action: r.action, diagnostic: r.diagnosticCode,
      })),
    };
  }
  if (type === 'Complaint') {
    const recipients = (doc.complaint?.complainedRecipients ?? []).map((r) => ({ address: String(r.emailAddress ?? '') }));
    return { type, feedbackType: doc.complaint?.complaintFeedbackType ?? 'abuse', messageId, recipients };
  }
  if (type === 'Delivery') return { type, messageId, recipients: (doc.delivery?.recipients ?? []).map((a) => ({ address: String(a) })) };
  return null;
}
