/*
 * Prometheus metrics on a registry owned by one app instance (tests build several):
 * process metrics, HTTP request durations, and queue-depth gauges fed by callbacks that
 * each queue module registers.
 */
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';

export type GaugeSource = () => Promise<Array<{ labels: Record<string, string>; value: number }>>;

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'postern_' });
  const httpDuration = new client.Histogram({
    name: 'postern_http_request_duration_seconds', help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  const smtpCommit = new client.Histogram({
    name: 'postern_smtp_commit_seconds', help: 'From the end of DATA to the 250 reply (spool, commit)', labelNames: ['listener'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2], registers: [registry],
  });
  const queueSources = new Map<string, GaugeSource>();
  new client.Gauge({
    name: 'postern_queue_rows', help: 'Rows per queue and state', labelNames: ['queue', 'state'], registers: [registry],
    async collect() {
      this.reset();
      for (const [queue, src] of queueSources) {
        for (const { labels, value } of await src()) this.set({ queue, ...labels }, value);
      }
    },
  });
  return {
    registry,
    smtpCommit,
    /** A queue module reports its depth per state through this. */
    addQueue(name: string, src: GaugeSource) { queueSources.set(name, src); },
    instrument(app: FastifyInstance) {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions.url ?? 'unmatched';
        httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      });
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
