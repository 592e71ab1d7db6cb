/*
 * Builds every domain service once, in dependency order, each from only the services it
 * uses (no bag, no cast). Adapters (HTTP, SMTP, CLI) and jobs receive the result. What the
 * features declare (queues, jobs, pipeline hooks) comes in as plain data, so this module
 * needs no feature and no adapter.
 */
import type { Ctx } from './context.js';
import type { QueueSpec } from './db/queue.js';
import { countByState } from './db/queue.js';
import { sandboxRepo } from './db/repos/outbound/queue.js';
import { createMetrics } from './http/metrics.js';
import { authService } from './auth/service.js';
import { teamsService } from './auth/teams.js';
import { prefsService, type PrefsService } from './auth/prefs.js';
import { mailAccess } from './auth/access.js';
import { suppressionService } from './suppression/service.js';
import { createScheduler } from './scheduler/service.js';
import { createDirectory } from './inbound/directory.js';
import { domainsService } from './inbound/domains.js';
import { credentialsService } from './inbound/credentials.js';
import { createPipeline } from './inbound/pipeline/worker.js';
import type { PipelineHook } from './inbound/pipeline/steps.js';
import { accountsService } from './outbound/accounts/service.js';
import { dkimService } from './outbound/dkim/service.js';
import { createDeliveryWorker } from './outbound/queue/worker.js';
import { enqueue } from './outbound/enqueue.js';
import { composeService } from './outbound/compose/service.js';
import { templatesService, messageTypesService } from './outbound/templates/service.js';
import { queueAdminService } from './outbound/queueAdmin/service.js';
import { submissionRelay } from './outbound/submission/relay.js';
import { inboundViewService } from './inbound/view/service.js';
import { optOutService } from './tracking/optout.js';
import { recordsService, type RecordsService } from './records/service.js';
import { targetListsService, type TargetListsService } from './targetLists/service.js';
import { recordsCsvService, type RecordsCsvService } from './records/csvService.js';
import { campaignsService, type CampaignsService } from './campaigns/service.js';
import { createMassSender } from './campaigns/sender.js';
import { testSender } from './campaigns/testSend.js';
import { campaignRenderer } from './campaigns/personal.js';
import { preflightChecker } from './campaigns/checks.js';
import { campaignProgress } from './campaigns/progress.js';
import { trackingService, type TrackingService } from './tracking/service.js';
import { campaignLogActions, type CampaignLogActions } from './tracking/logActions.js';
import { webhooksService, type WebhooksService } from './webhooks/service.js';
import { mailerLogService, type MailerLogService } from './operations/mailerLog.js';
import type { MassEmailStateChange } from './operations/types.js';
import { imapService, type ImapService } from './imap/service.js';
import { statusService, type StatusService } from './status/service.js';
import { filtersService, type FiltersService } from './routing/filters/service.js';
import { casesService, type CasesService } from './routing/cases/service.js';
import { autoReplyService, type AutoReplyService } from './routing/autoReply/service.js';
import { caseReplyService, type CaseReplyService } from './routing/cases/reply.js';
import { inboxService, type InboxService } from './routing/inbox/service.js';
import { notificationsService, type NotificationsService } from './notifications/service.js';
import { followsService, type FollowsService } from './routing/links/follows.js';
import { linksService, type LinksService } from './routing/links/service.js';
import { routingSettings } from './routing/settings.js';
import { accountSource, imapSource, mailboxSource } from './status/sources.js';
import { mailStatsRepo } from './db/repos/status/stats.js';
import type { Metrics } from './http/metrics.js';
import type { AuthService } from './auth/service.js';
import type { SuppressionService } from './suppression/service.js';
import type { SchedulerService } from './scheduler/service.js';
import type { Directory } from './inbound/directory.js';
import type { DomainsService } from './inbound/domains.js';
import type { CredentialsService } from './inbound/credentials.js';
import type { InboundPipeline } from './inbound/pipeline/worker.js';
import type { AccountsService } from './outbound/accounts/service.js';
import type { DkimService } from './outbound/dkim/service.js';
import type { ComposeService } from './outbound/compose/service.js';
import type { TemplatesService, MessageTypesService } from './outbound/templates/service.js';
import type { QueueAdminService } from './outbound/queueAdmin/service.js';
import type { SubmissionRelay } from './outbound/submission/relay.js';
import type { InboundView } from './inbound/view/service.js';

/** Every service, built once per app. */
export interface Services {
  ctx: Ctx;
  metrics: Metrics;
  auth: AuthService;
  teams: ReturnType<typeof teamsService>;
  prefs: PrefsService;
  /** Who may read which mail and send from which address (agents vs admins). */
  access: ReturnType<typeof mailAccess>;
  suppressions: SuppressionService;
  scheduler: SchedulerService;
  directory: Directory;
  domains: DomainsService;
  credentials: CredentialsService;
  inboundPipeline: InboundPipeline;
  /** A stored inbound message's raw bytes and recipients, for the pages and the API. */
  inboundView: InboundView;
  accounts: AccountsService;
  dkim: DkimService;
  sandbox: ReturnType<typeof sandboxRepo>;
  delivery: ReturnType<typeof createDeliveryWorker>;
  /** Single emails: send and preview. */
  compose: ComposeService;
  templates: TemplatesService;
  messageTypes: MessageTypesService;
  /** The outbound queue's operator view: list, detail, retry, cancel, retry failed. */
  queueAdmin: QueueAdminService;
  /** Submitted mail (listener=submission) relayed out; called by the pipeline hook. */
  submissionRelay: SubmissionRelay;
  optOut: ReturnType<typeof optOutService>;
  /** CRM records (accounts, contacts, leads) and their shared addresses: bulk upsert, CRUD, opt-out. */
  records: RecordsService;
  /** Target lists: members of mixed types, filled by picking, by filter (set-based) or by criteria. */
  targetLists: TargetListsService;
  /** CSV import (streaming; background jobs for the admin UI) and export of records. */
  recordsCsv: RecordsCsvService;
  /** Campaigns and mass emails: CRUD, settings, preflight, operator actions. */
  campaigns: CampaignsService;
  /** The "Send mass emails" job: start, expand, release in portions, guard, complete. */
  massSender: ReturnType<typeof createMassSender>;
  /** Test sends of a mass email. */
  testSend: ReturnType<typeof testSender>;
  /** Open and click tracking, the campaign log's writers and stats. */
  tracking: TrackingService;
  /** Bulk actions on a campaign log selection: to a list, former employees, CSV, resend to non-openers. */
  campaignLog: CampaignLogActions;
  /** Progress reads for the campaign pages (mass emails per campaign, the observed send rate). */
  campaignProgress: ReturnType<typeof campaignProgress>;
  /** Webhook endpoints, their signed deliveries (a queue) and history; `emit` reports an event. */
  webhooks: WebhooksService;
  /** The mailer log: `record` is the seam other services are given; list, exports, retention. */
  mailerLog: MailerLogService;
  /** IMAP accounts (group and personal), their lossless sync (worker role) and sync status rows. */
  imap: ImapService;
  /** Mailer status (sources, jobs, queues), the dashboard numbers and the hourly mail counters' roll-up. */
  status: StatusService;
  /** Email filters (global, per mailbox, per personal mailbox), their dry run, and the first route hook. */
  filters: FiltersService;
  /** Email-to-case: threading, assignment, reply addresses and the Message-ID index; the `cases` route hook. */
  cases: CasesService;
  /** Auto-reply per mailbox: RFC 3834 guards, per-sender limit; the `auto-reply` route hook. */
  autoReply: AutoReplyService;
  /** Replies from a case: From the mailbox, Reply-To the signed case address, threading headers; the case's stream. */
  caseReplies: CaseReplyService;
  /** The agents' inbox: items per message and mailbox, folders, read/archive/tags; the `inbox` route hook. */
  inbox: InboxService;
  /** In-app notifications of followers (list, unread count, mark read) and their e-mails. */
  notifications: NotificationsService;
  /** Following records and cases (follow, unfollow; the case assignee follows automatically). */
  follows: FollowsService;
  /** Record links of inbound messages: the `links` route hook, a message's records, a record's emails. */
  links: LinksService;
  /** Ports the SMTP listeners bound (tests ask for port 0); set when the smtp role starts. */
  smtpPorts?: { mx?: number; submission?: number };
}

/** What the features declare that services are built from (see feature.ts). */
export interface ServiceDecls {
  queues: Array<{ name: string; spec: QueueSpec }>;
  jobs: Array<{ name: string; description: string; cron: string; run(s: Services): Promise<unknown> }>;
  hooks: Array<(s: Services) => PipelineHook[]>;
}

export function buildServices(ctx: Ctx, decls: ServiceDecls): Services {
  const metrics = createMetrics();
  const auth = authService(ctx);
  const teams = teamsService({ ctx, auth });
  const prefs = prefsService({ ctx });
  const access = mailAccess(ctx.db, auth.users);
  const suppressions = suppressionService(ctx);
  // Built early: most services report to the mailer log, and several emit webhook events.
  const mailerLog = mailerLogService({ ctx });
  const webhooks = webhooksService({ ctx, suppressions });
  const massState = async (c: MassEmailStateChange) => {
    await mailerLog.massState(c);
    await webhooks.emit('mass_email.state', { id: c.id, campaignId: c.campaignId, from: c.from, to: c.to, action: c.action, reason: c.reason ?? null });
  };
  const directory = createDirectory({ ctx });
  // The routing hooks' cached mailbox settings and domains are dropped with the directory's snapshot.
  const routing = routingSettings({ ctx });
  const domains = domainsService({ ctx, auth }, () => { directory.invalidate(); routing.invalidate(); });
  const credentials = credentialsService({ ctx });
  // Filled below, once every service a hook may call exists; read per message.
  const hooks: PipelineHook[] = [];
  const inboundPipeline = createPipeline({ ctx, suppressions, directory, hooks, emit: webhooks.emit, mailerLog: mailerLog.record });
  const inboundView = inboundViewService({ ctx });
  const accounts = accountsService({ ctx, mailerLog: mailerLog.record, onChange: () => routing.invalidate() });
  const dkim = dkimService({ ctx });
  const tracking = trackingService({ ctx, emitMany: webhooks.emitMany });
  suppressions.observe((e) => tracking.returned(e));
  const delivery = createDeliveryWorker({
    ctx, accounts, suppressions, dkim, directory, mailerLog: mailerLog.record, webhooks,
    campaigns: campaignRenderer({ ctx, dkim, directory, trackUrl: (ref) => tracking.trackUrl(ref), onSent: (rows) => tracking.sent(rows) }),
  });
  const templates = templatesService({ ctx });
  const messageTypes = messageTypesService({ ctx });
  const compose = composeService({ ctx, suppressions, accounts, templates, messageTypes }, enqueue);
  const queueAdmin = queueAdminService({ ctx });
  const relay = submissionRelay({ ctx, suppressions, accounts }, enqueue);
  const targetLists = targetListsService({ ctx });
  const records = recordsService({ ctx, onRemoved: (type, id) => targetLists.forgetMember(type, id) });
  const recordsCsv = recordsCsvService({ ctx, records });
  const optOut = optOutService({ ctx, suppressions, records, targetLists, tracking });
  const preflightOf = preflightChecker({ ctx, accounts, dkim, templates, targetLists, directory });
  const campaigns = campaignsService({ ctx, onState: massState }, preflightOf);
  const massSender = createMassSender({ ctx, campaigns, targetLists, templates, accounts, suppressions, preflightOf, onState: massState });
  const testSend = testSender({ ctx, campaigns, templates, accounts });
  const imap = imapService({ ctx, accounts, directory, users: auth.users, mailerLog: mailerLog.record });
  const scheduler = createScheduler({ ctx, jobs: () => jobs, queues: () => decls.queues, mailerLog: mailerLog.record });
  const filters = filtersService({ ctx, access, settings: routing });
  // `follows` is made below (it checks cases exist); a case is only reassigned once both are built.
  const cases = casesService({ ctx, emit: webhooks.emit, mailerLog: mailerLog.record, settings: routing, onAssigned: (userId, caseId) => follows.autoFollow(userId, 'case', caseId) });
  const autoReply = autoReplyService({ ctx, suppressions, settings: routing }, enqueue);
  const caseReplies = caseReplyService({ ctx, suppressions, accounts, cases, access, inboundView, emit: webhooks.emit }, enqueue);
  const inbox = inboxService({ ctx, access, settings: routing });
  const notifications = notificationsService({ ctx, suppressions, accounts }, enqueue);
  const follows = followsService({ ctx, records, cases });
  const links = linksService({ ctx, notifications, caseOf: (id) => cases.repo.get(id) });
  // The status page's sources, in page order: IMAP accounts plug in here with one entry.
  const mailStats = mailStatsRepo(ctx.db);
  const status = statusService({ ctx, scheduler, campaigns, queues: () => decls.queues,
    sources: [accountSource({ accounts, stats: mailStats }), mailboxSource({ domains, stats: mailStats }), imapSource({ imap })] });

  const services: Services = {
    ctx, metrics, auth, teams, prefs, access, suppressions, scheduler, directory, domains, credentials, inboundPipeline, inboundView,
    accounts, dkim, sandbox: sandboxRepo(ctx.db), delivery, compose, templates, messageTypes, queueAdmin, submissionRelay: relay, optOut, records, targetLists, recordsCsv,
    campaigns, massSender, testSend, campaignProgress: campaignProgress({ ctx }), tracking,
    campaignLog: campaignLogActions({ ctx, tracking, targetLists, records, campaigns }),
    mailerLog,
    webhooks, imap, status, filters, cases, autoReply, caseReplies, notifications, follows, links, inbox,
  };
  const jobs = decls.jobs.map((j) => ({ name: j.name, description: j.description, cron: j.cron, run: () => j.run(services) }));
  for (const q of decls.queues) {
    metrics.addQueue(q.name, async () => Object.entries(await countByState(ctx.db, q.spec.table)).map(([state, value]) => ({ labels: { state }, value })));
  }
  for (const m of status.metricSources()) metrics.addSource(m);
  hooks.push(...decls.hooks.flatMap((h) => h(services)));
  return services;
}
