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

function findJson(text: string): any | null {
  const start = text.indexOf('{');
  if (start < 0 || !/notificationType|"Type"\s*:\s*"Notification"/.test(text)) return null;
  // The document ends at one of the last few braces (a footer may follow); a bounded number
  // of tries keeps a text full of braces from costing a parse per brace.
  let tries = 0;
  for (let end = text.lastIndexOf('}'); end > start && tries++ < 16; end = text.lastIndexOf('}', end - 1)) {
    try { return JSON.parse(text.slice(start, end + 1)); } catch { /* try a shorter span */ }
  }
  return null;
}

export function parseSes(text: string): SesNotice | null {
  let doc = findJson(text);
  if (doc && typeof doc.Message === 'string') { try { doc = JSON.parse(doc.Message); } catch { return null; } }
  if (!doc || typeof doc.notificationType !== 'string') return null;
  const type = doc.notificationType as SesNotice['type'];
  const messageId = doc.mail?.messageId as string | undefined;
  if (type === 'Bounce') {
    return {
      type, bounceType: doc.bounce?.bounceType, bounceSubType: doc.bounce?.bounceSubType, messageId,
      recipients: (doc.bounce?.bouncedRecipients ?? []).map((r: any) => ({ address: String(r.emailAddress ?? ''), status: r.status, action: r.action, diagnostic: r.diagnosticCode })),
    };
  }
  if (type === 'Complaint') {
    return { type, feedbackType: doc.complaint?.complaintFeedbackType ?? 'abuse', messageId, recipients: (doc.complaint?.complainedRecipients ?? []).map((r: any) => ({ address: String(r.emailAddress ?? '') })) };
  }
  if (type === 'Delivery') return { type, messageId, recipients: (doc.delivery?.recipients ?? []).map((a: any) => ({ address: String(a) })) };
  return null;
}
