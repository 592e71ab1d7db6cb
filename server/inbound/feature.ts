/*
 * The inbound front door as a feature: the directory of local addresses, domains and
 * mailboxes management (API and pages), config-as-code bootstrap, and the MX listener
 * under the smtp role.
 */
import type { Feature } from '../feature.js';
import { createDirectory } from './directory.js';
import { domainsService } from './domains.js';
import { createCommitter } from './committer.js';
import { smtpTls } from './tls.js';
import { startMx } from '../smtp/mx.js';
import { domainsApi } from '../http/api/domains.js';
import { domainsUi } from '../http/ui/domains.js';
import { addNav } from '../http/ui/render.js';
import { inboundApi } from '../http/api/inbound.js';
import { inboundUi } from '../http/ui/inbound.js';
import { credentialsService } from './credentials.js';
import { credentialsApi } from '../http/api/credentials.js';
import { credentialsUi } from '../http/ui/credentials.js';
import { startSubmission } from '../smtp/submission.js';
import { createPipeline, INBOUND_QUEUE } from './pipeline/worker.js';
import { sweep, countByState } from '../db/queue.js';

export const inboundFeature: Feature = {
  name: 'inbound',
  setup(s) {
    s.directory = createDirectory(s);
    s.domains = domainsService(s, () => s.directory.invalidate());
    s.inboundPipeline = createPipeline(s);
    s.credentials = credentialsService(s);
    s.scheduler.addSweeper('inbound', (now) => sweep(s.ctx.db, INBOUND_QUEUE, now));
    s.metrics.addQueue('inbound', async () => Object.entries(await countByState(s.ctx.db, 'inbound_messages')).map(([state, value]) => ({ labels: { state }, value })));
    addNav({ href: '/admin/inbound', label: 'Inbound' }, '/admin/suppressions');
    addNav({ href: '/admin/domains', label: 'Domains & mailboxes' }, '/admin/suppressions');
    addNav({ href: '/admin/credentials', label: 'App credentials', adminOnly: true }, '/admin/suppressions');
  },
  async bootstrap(s) { await s.domains.bootstrap(); },
  api: [domainsApi, inboundApi, credentialsApi],
  ui: [domainsUi, inboundUi, credentialsUi],
  start: {
    async worker(s) { return s.inboundPipeline.start(); },
    async smtp(s) {
      const c = s.ctx.config;
      const tls = await smtpTls(s.ctx);
      const committer = createCommitter(s.ctx.db, s.ctx.clock);
      const common = { host: c.host, hostname: c.smtp.hostname, maxMessageBytes: c.smtp.maxMessageBytes, maxRecipients: c.smtp.maxRecipients, maxConnections: c.smtp.maxConnections, socketTimeoutMs: c.smtp.socketTimeoutMs, tls, committer, log: s.ctx.log,
        limits: { commandTimeoutMs: c.smtp.commandTimeoutMs, sessionTimeoutMs: c.smtp.sessionTimeoutMs } };
      const mx = await startMx({ ...common, observeCommit: (sec) => s.metrics.smtpCommit.observe({ listener: 'mx' }, sec), port: c.smtp.port, maxConnectionsPerIpPerMinute: c.smtp.maxConnectionsPerIpPerMinute, directory: s.directory });
      const sub = await startSubmission({ ...common, observeCommit: (sec) => s.metrics.smtpCommit.observe({ listener: 'submission' }, sec), port: c.smtp.submissionPort, credentials: s.credentials, auth: { baseDelayMs: c.smtp.authFailureDelayMs, maxFailures: c.smtp.authMaxFailures } }).catch(async (e) => { await mx.stop(1000); throw e; });
      s.smtpPorts = { mx: mx.port, submission: sub.port };
      return { stop: async () => { await Promise.all([mx.stop(c.shutdownTimeoutMs), sub.stop(c.shutdownTimeoutMs)]); } };
    },
  },
};
