/*
 * The auto-reply tests' rig: a Postern with smtp, worker and http roles on a chosen clock, a
 * loopback upstream as its default account, a bounce (VERP) domain, mailboxes with auto-replies
 * set over the API, mail injected into the MX over SMTP, and waits for the pipeline and the
 * outbound queue to settle.
 */
import type { Test } from 'tap';
import nodemailer from 'nodemailer';
import type { Clock } from '../../../server/context.js';
import type { TestDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { startUpstream } from '../../helpers/upstream.js';
import { stepsOf } from '../../../server/db/repos/inbound/pipeline.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function autoReplyRig(t: Test, tdb: TestDb, o: { clock?: Clock; overrides?: Record<string, unknown> } = {}) {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const ta = await startTestApp(t, {
    tdb, clock: o.clock, roles: ['http', 'smtp', 'worker'],
    overrides: { domains: ['ours.example'], worker: { pollMs: 20, leaseMs: 5000, batchSize: 50 }, ...o.overrides },
  });
  const { app, api } = ta;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'up', host: '127.0.0.1', port: up.port, security: 'none', isDefault: true }) });
  app.services.directory.invalidate();
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: app.services.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  const knex = tdb.db.knex;

  /** A message into the MX as it came: envelope and header lines. */
  async function inject(envelope: { from: string; to: string[] }, headers: string[], body = 'Hello, I need help.') {
    await mx.sendMail({ envelope, raw: [...headers, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n') });
  }
  /** Until every inbound message is processed and nothing is waiting in the outbound queue. */
  async function settle(ms = 15_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const [{ n: inb }] = await knex('inbound_messages').whereNotIn('state', ['processed', 'failed']).count({ n: '*' });
      const [{ n: out }] = await knex('outbound_queue').whereIn('state', ['queued', 'sending', 'deferred']).count({ n: '*' });
      if (Number(inb) === 0 && Number(out) === 0) return true;
      await sleep(30);
    }
    return false;
  }
  /** What the route step recorded for the auto-reply hook of the message with this Message-ID. */
  async function outcome(messageId: string): Promise<any> {
    const rows: Array<{ steps: string | null }> = await knex('inbound_messages').where('message_id', messageId).orderBy('id').select('steps');
    return rows.map((r) => stepsOf(r.steps).find((x) => x.step === 'route')?.result as Record<string, unknown> | null | undefined)
      .map((res) => (res as Record<string, unknown> | null | undefined)?.['auto-reply']);
  }
  return { ...ta, up, json, inject, settle, outcome };
}
