/*
 * CSV import and export of records for the CLI, the API and the admin UI.
 * - export(type): a CSV stream (csv-stringify) of every record of a type, read in id-ordered
 *   pages as the consumer reads, so a large export never sits in memory.
 * - importFile(path): the streaming importer (import.ts) over a file.
 * - Background imports for the admin UI: an upload is spooled to a temp file, then imported
 *   while the page polls. The jobs live in memory on the node that took the upload (a restart
 *   forgets them; with several nodes the status page must reach the same node): kept for an
 *   hour after they end, at most MAX_JOBS.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { csvStream } from '../lib/csv.js';
import { byIdPages } from '../lib/pages.js';
import type { Ctx } from '../context.js';
import { AppError, invalid } from '../errors.js';
import { recordsExportRepo } from '../db/repos/records/exportPages.js';
import { exportHeader, exportRow, type MatchBy } from './csv.js';
import { importRecordsCsv, type BulkUpsert, type ImportProgress, type ImportSummary } from './import.js';
import type { RecordType } from './types.js';

export interface ImportJob {
  id: string; userId: number | null; type: RecordType; match: MatchBy; dryRun: boolean; fileName: string;
  state: 'running' | 'done' | 'failed'; progress: ImportProgress; summary?: ImportSummary; error?: string;
  startedAt: number; endedAt?: number;
}
export interface ImportRequest { type: RecordType; match?: MatchBy; dryRun?: boolean }

const MAX_JOBS = 100;
const KEEP_MS = 3600_000;
const PAGE = 1000;

export function recordsCsvService({ ctx, records }: { ctx: Ctx; records: { bulkUpsert: BulkUpsert } }) {
  const repo = recordsExportRepo(ctx.db);
  const jobs = new Map<string, ImportJob>();
  const bulk: BulkUpsert = (type, items, o) => records.bulkUpsert(type, items, o);

  function prune(now: number) {
    for (const [id, j] of jobs) if (j.endedAt && now - j.endedAt > KEEP_MS) jobs.delete(id);
    if (jobs.size < MAX_JOBS) return;
    for (const [id, j] of jobs) { if (j.state !== 'running') jobs.delete(id); if (jobs.size < MAX_JOBS) return; }
    throw new AppError('conflict', 'Too many imports are running; try again when one has finished');
  }

  return {
    /** The CSV of every record of a type; its columns re-import unchanged (csv.ts). */
    export(type: RecordType): Readable {
      async function* rows() {
        const names = await repo.attributeNames(type);
        const cols = exportHeader(type, names);
        yield cols.header;
        for await (const r of byIdPages((after, limit) => repo.page(type, after, limit), PAGE)) yield exportRow(r, cols);
      }
      return csvStream(rows());
    },

    /** Imports a CSV file (the CLI). */
    async importFile(path: string, req: ImportRequest & { onProgress?(p: ImportProgress): void }): Promise<ImportSummary> {
      const { size } = await stat(path);
      return importRecordsCsv(createReadStream(path, { highWaterMark: 256 * 1024 }), bulk, { ...req, totalBytes: size });
    },

    /**
     * Spools an upload to a temp file (at most `limit` bytes, else a 413) and imports it in the
     * background; the job's progress and summary are read with job(id).
     */
    async startImport(body: Readable, req: ImportRequest & { fileName: string; userId: number | null; limit: number }): Promise<ImportJob> {
      const now = ctx.clock.now();
      prune(now);
      const dir = await mkdtemp(join(tmpdir(), 'postern-import-'));
      const path = join(dir, 'upload.csv');
      let size = 0;
      const limiter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(size > req.limit ? invalid([{ field: 'file', message: 'The file is larger than the upload limit', key: 'records.import.error.tooLarge' }]) : null, chunk);
        },
      });
      try {
        await pipeline(body, limiter, createWriteStream(path));
        if (size === 0) throw invalid([{ field: 'file', message: 'Choose a CSV file to import', key: 'records.import.error.noFile' }]);
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
      const job: ImportJob = {
        id: randomUUID(), userId: req.userId, type: req.type, match: req.match ?? 'externalId', dryRun: req.dryRun === true,
        fileName: req.fileName, state: 'running', progress: { rows: 0, bytes: 0, totalBytes: size }, startedAt: now,
      };
      jobs.set(job.id, job);
      void importRecordsCsv(createReadStream(path), bulk, {
        type: job.type, match: job.match, dryRun: job.dryRun, totalBytes: size, onProgress: (p) => { job.progress = p; },
      }).then((summary) => {
        job.summary = summary;
        job.state = 'done';
        job.progress = { rows: summary.rows, bytes: size, totalBytes: size };
      }, (e: unknown) => {
        job.state = 'failed';
        job.error = e instanceof AppError && e.fields?.length ? e.fields.map((f) => f.message).join('; ') : (e as Error).message;
        if (!(e instanceof AppError)) ctx.log.error({ evt: 'records.import_failed', err: e }, 'records import failed');
      }).finally(() => {
        job.endedAt = ctx.clock.now();
        void rm(dir, { recursive: true, force: true });
      });
      return job;
    },

    job(id: string): ImportJob | undefined { return jobs.get(id); },
  };
}
export type RecordsCsvService = ReturnType<typeof recordsCsvService>;
