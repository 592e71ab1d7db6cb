/*
 * The inbound front door as a feature: the directory of local addresses, domains and
 * mailboxes management (API and pages), config-as-code bootstrap, and the MX listener
 * under the smtp role.
 */
import type { Feature } from '../feature.js';
import { createCommitter } from './committer.js';
import { smtpTls } from './tls.js';
import { startMx } from '../smtp/mx.js';
import { domainsApi } from '../http/api/domains.js';
import { domainsUi } from '../http/ui/domains.js';
import { inboundApi } from '../http/api/inbound.js';
import { inboundUi } from '../http/ui/inbound.js';
import { credentialsApi } from '../http/api/credentials.js';
import { credentialsUi } from '../http/ui/credentials.js';
import { startSubmission } from '../smtp/submission.js';
import { INBOUND_QUEUE } from './pipeline/worker.js';

export const inboundFeature: Feature = {
  name: 'inbound',
  queues: [{ name: 'inbound', spec: INBOUND_QUEUE }],
  menu: [
    { area: 'inbound', order: 10, href: '/admin/inbound', label: 'menu.inbound' },
    { area: 'inbound', order: 20, href: '/admin/domains', label: 'menu.domains' },
    { area: 'inbound', order: 30, href: '/admin/credentials', label: 'menu.credentials', adminOnly: true },
  ],
  async bootstrap(s) { await s.domains.bootstrap(); },
  api: [domainsApi, inboundApi, credentialsApi],
  ui: [domainsUi, inboundUi, credentialsUi],
  start: {
    async worker(s) { return s.inboundPipeline.start(); },
    async smtp(s) {
      const c = s.ctx.config;
      const tls = await smtpTls(s.ctx);
      const committer = createCommitter(s.ctx.db, s.ctx.clock);
      const common = {
        host: c.host, hostname: c.smtp.hostname, maxMessageBytes: c.smtp.maxMessageBytes, maxRecipients: c.smtp.maxRecipients,
        maxConnections: c.smtp.maxConnections, socketTimeoutMs: c.smtp.socketTimeoutMs, tls, committer, log: s.ctx.log, refused: s.mailerLog.refused,
        limits: { commandTimeoutMs: c.smtp.commandTimeoutMs, sessionTimeoutMs: c.smtp.sessionTimeoutMs } };
      const mx = await startMx({ ...common, observeCommit: (sec) => s.metrics.smtpCommit.observe({ listener: 'mx' }, sec), port: c.smtp.port, maxConnectionsPerIpPerMinute: c.smtp.maxConnectionsPerIpPerMinute, directory: s.directory });
      const sub = await startSubmission({ ...common, observeCommit: (sec) => s.metrics.smtpCommit.observe({ listener: 'submission' }, sec), port: c.smtp.submissionPort, credentials: s.credentials, auth: { baseDelayMs: c.smtp.authFailureDelayMs, maxFailures: c.smtp.authMaxFailures } }).catch(async (e) => { await mx.stop(1000); throw e; });
      s.smtpPorts = { mx: mx.port, submission: sub.port };
      return { stop: async () => { await Promise.all([mx.stop(c.shutdownTimeoutMs), sub.stop(c.shutdownTimeoutMs)]); } };
    },
  },
};
