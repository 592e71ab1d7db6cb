/*
 * Prometheus metrics on a registry owned by one app instance (tests build several):
 * process metrics, HTTP request durations, queue-depth gauges fed by callbacks that each
 * queue module registers, this node's inbound kinds, and the cluster-wide counters and
 * gauges the status service reads from the database at scrape time (`addSource`).
 * Every name is documented in the README ("Metrics").
 */
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { MetricSource } from '../status/service.js';

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
  // Counted where the pipeline's route step runs (the status feature's hook): per node, like the HTTP histogram.
  const inboundKinds = new client.Counter({
    name: 'postern_inbound_messages_total', help: 'Inbound messages through the pipeline by detected kind, this node', labelNames: ['kind'], registers: [registry],
  });
  return {
    registry,
    smtpCommit,
    inboundKind(kind: string | undefined) { inboundKinds.inc({ kind: kind ?? 'unknown' }); },
    /** A counter or gauge whose values are read from `src` at each scrape (the database's numbers, the same on every node). */
    addSource(src: MetricSource) {
      if (src.type === 'gauge') {
        new client.Gauge({ name: src.name, help: src.help, labelNames: src.labelNames, registers: [registry], async collect() {
          this.reset();
          for (const { labels, value } of await src.collect()) this.set(labels, value);
        } });
      } else {
        // A counter's value is the database's running total: reset and set it to that at each scrape.
        new client.Counter({ name: src.name, help: src.help, labelNames: src.labelNames, registers: [registry], async collect() {
          this.reset();
          for (const { labels, value } of await src.collect()) this.inc(labels, value);
        } });
      }
    },
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
