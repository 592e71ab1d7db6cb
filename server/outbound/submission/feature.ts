/*
 * The submission relay as a feature: mail apps submit (listener=submission, relay
 * recipients) is relayed out, headers kept, from the inbound pipeline's `route` step.
 */
import type { Feature } from '../../feature.js';

export const submissionFeature: Feature = {
  name: 'outbound-submission',
  hooks: (s) => [{
    name: 'submission-relay',
    when: (c) => c.msg.listener === 'submission' && c.recipients.some((r) => r.kind === 'relay'),
    run: (c) => s.submissionRelay.relay(c.msg.id),
  }],
};
