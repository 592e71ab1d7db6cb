/*
 * Relay of mail that apps submitted on the submission port: a pipeline route hook turns a
 * stored submission into an outbound message that points at the stored bytes (sent as the
 * app wrote it, with our DKIM signature and VERP return path added at send time). The unique
 * key `submission:<inbound id>` keeps a reprocessed submission from being sent twice.
 */
import type { PipelineHook } from '../inbound/pipeline/steps.js';
import { enqueue } from './enqueue.js';

export const submissionRelayHook: PipelineHook = {
  name: 'relay',
  when: (c) => c.msg.listener === 'submission',
  async run(c) {
    const rcpts = c.recipients.filter((r) => r.kind === 'relay').map((r) => ({ address: r.address, kind: 'to' as const }));
    const r = await enqueue(c.s, {
      message: { source: 'submission', account_id: null, message_type_id: null, from_addr: c.msg.mail_from || 'postmaster@invalid', from_name: '', reply_to: null,
        subject: c.msg.subject ?? '', html: null, text: null, headers: null, bulk: false, created_by: null, send_at: null, inbound_id: c.msg.id },
      recipients: rcpts, uniqueKeyPrefix: `submission:${c.msg.id}`,
    });
    return { outboundMessage: r.messageId, queued: r.queued, suppressed: r.suppressed, duplicates: r.duplicates };
  },
};
