/*
 * Records CSV in the admin UI: /admin/records/import (type, file, dry run, match), the
 * upload (the file's bytes as the request body, sent by admin-ui/static/records-import.js;
 * or pasted CSV in a form field without JavaScript), then /admin/records/import/:job with a
 * progress bar the script refreshes from …/status (JSON) and, when done, the summary with
 * the bad lines; and /admin/records/{type}/export.csv. The import runs in the background on
 * this node (an in-memory job, records/csvService.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireAdmin, requireUser } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';
import { BODY_LIMITS } from '../limits.js';
import { notFound, invalid } from '../../errors.js';
import { TYPE_OF_PLURAL, type RecordType } from '../../records/types.js';
import type { ImportJob } from '../../records/csvService.js';

const RAW_TYPES = ['text/csv', 'application/octet-stream'];
const PLURAL: Record<RecordType, string> = { account: 'accounts', contact: 'contacts', lead: 'leads' };

export function recordsImportUi(app: FastifyInstance, s: Services) {
  // The upload's body stays a stream: the service spools it to a temp file (bounded by the route's limit).
  app.addContentTypeParser(RAW_TYPES, (_req, payload, done) => done(null, payload));

  const showForm = (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) =>
    render(req, reply, 'pages/records/import.eta', { title: tr(req).t('records.import.title'), ...data });
  const jobOf = (req: FastifyRequest): ImportJob => {
    const j = s.recordsCsv.job((req.params as { job: string }).job);
    if (!j) throw notFound('Import');
    return j;
  };
  const statusOf = (j: ImportJob) => ({
    state: j.state, rows: j.progress.rows, bytes: j.progress.bytes, totalBytes: j.progress.totalBytes ?? 0,
    percent: j.state === 'running' ? Math.min(99, Math.floor((100 * j.progress.bytes) / Math.max(1, j.progress.totalBytes ?? 1))) : 100,
  });

  app.get('/records/import', { preHandler: requireAdmin }, async (req, reply) => {
    const q = req.query as Record<string, string>;
    return showForm(req, reply, { values: { type: TYPE_OF_PLURAL[q.type ?? ''] ?? 'contact', match: 'externalId', dryRun: false } });
  });

  app.post('/records/import', { bodyLimit: BODY_LIMITS.upload, preHandler: requireAdmin }, async (req, reply) => {
    const raw = req.body instanceof Readable;
    // A file upload carries the form's choices in the query string; a pasted CSV in the form body.
    const f = (raw ? req.query : req.body) as Body;
    const values = { type: str(f, 'type'), match: str(f, 'match') || 'externalId', dryRun: ['1', 'on', 'true'].includes(str(f, 'dryRun')), fileName: str(f, 'name') };
    return formAction(reply, {
      act: async () => {
        const type = (['account', 'contact', 'lead'] as const).find((x) => x === values.type);
        if (!type) throw invalid([{ field: 'type', message: 'Choose a record type', key: 'records.import.error.type' }]);
        if (values.match !== 'externalId' && values.match !== 'email') throw invalid([{ field: 'match', message: 'Choose what to match on', key: 'records.import.error.match' }]);
        const body = raw ? (req.body as Readable) : Readable.from([str(f, 'csv')]);
        return s.recordsCsv.startImport(body, {
          type, match: values.match, dryRun: values.dryRun, fileName: values.fileName || (raw ? 'upload.csv' : 'pasted.csv'),
          userId: req.user!.id, limit: BODY_LIMITS.upload,
        });
      },
      done: (job) => ({ to: `/admin/records/import/${job.id}` }),
      retry: (fe) => showForm(req, reply, { values, ...fe }),
    });
  });

  app.get('/records/import/:job', { preHandler: requireAdmin }, async (req, reply) => {
    const job = jobOf(req);
    return render(req, reply, 'pages/records/import-job.eta', {
      title: tr(req).t('records.import.jobTitle', { file: job.fileName }), job, status: statusOf(job), plural: PLURAL[job.type],
      errors: job.summary?.errors.slice(0, 200) ?? [],
    });
  });
  app.get('/records/import/:job/status', { preHandler: requireAdmin }, async (req) => {
    const st = statusOf(jobOf(req));
    const { t, fmt } = tr(req);
    return { ...st, text: t('records.import.running', { rows: fmt.number(st.rows), percent: st.percent }) };
  });

  app.get('/records/:type/export.csv', { preHandler: requireUser }, async (req, reply) => {
    const type = TYPE_OF_PLURAL[(req.params as { type: string }).type];
    if (!type) throw notFound('Page');
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${PLURAL[type]}.csv"`);
    return reply.send(s.recordsCsv.export(type));
  });
}
