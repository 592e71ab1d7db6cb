/*
 * The ordered list of migrations, served to knex's migrator as a custom source so the same
 * list runs from the TypeScript sources and from dist/. Append only; never edit a shipped one.
 */
import type { Migration } from './helpers.js';
import { core } from './001_core.js';
import { jobs } from './002_jobs.js';
import { inbound } from './010_inbound.js';
import { outbound } from './020_outbound.js';
import { suppressions } from './030_suppressions.js';
import { credentialUsage } from './011_credential_usage.js';
import { inboundStepsJson } from './012_inbound_steps_json.js';
import { loginThrottle } from './013_login_throttle.js';
import { userPrefs } from './003_user_prefs.js';
import { records } from './040_records.js';
import { campaigns } from './050_campaigns.js';
import { tracking } from './051_tracking.js';
import { massEmailCounts } from './052_mass_email_counts.js';
import { webhooks } from './060_webhooks.js';
import { mailerLog } from './061_mailer_log.js';
import { mailStats } from './062_mail_stats.js';
import { imap } from './070_imap.js';
import { imapSmtp } from './071_imap_smtp.js';
import { cases } from './081_cases.js';
import { autoReply } from './082_auto_reply.js';
import { filters } from './080_filters.js';
import { linksNotifications } from './084_links_notifications.js';
import { inbox } from './083_inbox.js';
import { caseReplies } from './085_case_replies.js';
import { caseReplyKeys } from './086_case_reply_keys.js';
import { trackingLogWrites } from './087_tracking_log_writes.js';
import { caseSenderLocks } from './088_case_sender_locks.js';
import { imapDedupeHash } from './089_imap_dedupe_hash.js';
import { inboundBulk } from './090_inbound_bulk.js';

export const migrations: Migration[] = [
  core, jobs, inbound, outbound, suppressions, credentialUsage, inboundStepsJson, loginThrottle, userPrefs, records, campaigns, tracking,
  webhooks, massEmailCounts, mailerLog, mailStats, imap, filters, cases, autoReply, linksNotifications, inbox, caseReplies, imapSmtp, caseReplyKeys,
  trackingLogWrites, caseSenderLocks, imapDedupeHash, inboundBulk,
];
