/*
 * The bag of domain services that adapters (HTTP, SMTP, CLI) call. app.ts builds it; each
 * feature adds its service here, so an adapter never constructs policy itself.
 */
import type { Ctx } from './context.js';
import type { AuthService } from './auth/service.js';
import type { Metrics } from './http/metrics.js';
import type { SuppressionService } from './suppression/service.js';
import type { SchedulerService } from './scheduler/service.js';
import type { Directory } from './inbound/directory.js';
import type { DomainsService } from './inbound/domains.js';
import type { InboundPipeline } from './inbound/pipeline/worker.js';
import type { CredentialsService } from './inbound/credentials.js';
import type { AccountsService } from './outbound/accounts/service.js';
import type { DkimService } from './outbound/dkim/service.js';
import type { sandboxRepo } from './db/repos/outboundQueue.js';
import type { createDeliveryWorker } from './outbound/queue/worker.js';
import type { SourcesService } from './outbound/sources/service.js';

export interface Services {
  ctx: Ctx;
  auth: AuthService;
  metrics: Metrics;
  suppressions: SuppressionService;
  scheduler: SchedulerService;
  directory: Directory;
  domains: DomainsService;
  inboundPipeline: InboundPipeline;
  credentials: CredentialsService;
  accounts: AccountsService;
  dkim: DkimService;
  sandbox: ReturnType<typeof sandboxRepo>;
  delivery: ReturnType<typeof createDeliveryWorker>;
  /** Ports the SMTP listeners bound (tests ask for port 0). */
  smtpPorts?: { mx?: number; submission?: number };
  sources: SourcesService;
}
