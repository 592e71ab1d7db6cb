/*
 * Auto-reply as a feature: the last routing hook of the pipeline's `route` step (after filters
 * and cases), for mail that came in over MX or IMAP and that no filter skipped.
 */
import type { Feature } from '../../feature.js';

export const autoReplyFeature: Feature = {
  name: 'auto-reply',
  hooks: (s) => [{
    name: 'auto-reply',
    when: (c) => c.msg.listener !== 'submission' && !c.routing?.skip,
    run: (c) => s.autoReply.handle(c),
  }],
};
