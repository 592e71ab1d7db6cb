/*
 * `postern import records --type accounts|contacts|leads FILE.csv [--dry-run] [--match externalId|email]`:
 * streams the file through the records importer, shows progress on stderr, prints ONE summary
 * line on stdout and up to 20 `line N: reason` lines on stderr. Exit 0 when every row was
 * imported (or, with --dry-run, would be), 1 when a row or the file failed, 2 on bad usage.
 */
import { access } from 'node:fs/promises';
import type { RecordsCsvService } from '../records/csvService.js';
import { TYPE_OF_PLURAL, RECORD_TYPES, type RecordType } from '../records/types.js';
import type { ImportProgress } from '../records/import.js';

export const IMPORT_RECORDS_HELP = `Usage: postern import records --type accounts|contacts|leads FILE.csv [--dry-run] [--match externalId|email]

Imports (creates or updates) records from a CSV file, streamed (any size). Columns by header name,
any case, camelCase or snake_case: externalId, firstName, lastName, name, email, emails (several,
separated by ';'), accountExternalId, accountName, title, phone, formerEmployee (yes/no); any other
column becomes a custom attribute. An empty cell leaves that value unchanged.

  --match externalId   update the record with the row's externalId (default)
  --match email        update the record with the row's address
  --dry-run            check every row and count what would change; write nothing

Prints one summary line on stdout and up to 20 'line N: reason' lines on stderr.
Exit status: 0 every row imported, 1 a row or the file failed, 2 bad usage.`;

export interface Io { out(s: string): void; err(s: string): void }

/** Checks the arguments; null when they are bad usage (exit 2). */
export function importArgs(words: string[], flags: Record<string, string | true>):
  { type: RecordType; file: string; dryRun: boolean; match: 'externalId' | 'email' } | null {
  const t = typeof flags.type === 'string' ? flags.type.toLowerCase() : '';
  const type = TYPE_OF_PLURAL[t] ?? (RECORD_TYPES as readonly string[]).find((x) => x === t) as RecordType | undefined;
  const match = flags.match === undefined ? 'externalId' : flags.match === 'externalId' || flags.match === 'email' ? flags.match : null;
  if (!type || !match || words.length !== 1 || (flags['dry-run'] !== undefined && flags['dry-run'] !== true)) return null;
  return { type, file: words[0]!, dryRun: flags['dry-run'] === true, match };
}

export async function importRecordsCommand(csv: RecordsCsvService, a: NonNullable<ReturnType<typeof importArgs>>, io: Io,
  o: { tty?: boolean; progress?(s: string): void } = {}): Promise<number> {
  try { await access(a.file); } catch { io.err(`postern: cannot read ${a.file}`); return 1; }
  const plural = `${a.type}s`;
  let lastTenth = -1;
  const onProgress = (p: ImportProgress) => {
    const pct = p.totalBytes ? Math.min(100, Math.floor((p.bytes / p.totalBytes) * 100)) : 0;
    if (o.tty) { o.progress?.(`\rimporting ${plural}: ${p.rows} rows, ${pct}%`); return; }
    if (Math.floor(pct / 10) > lastTenth) { lastTenth = Math.floor(pct / 10); io.err(`importing ${plural}: ${p.rows} rows, ${pct}%`); }
  };
  const sum = await csv.importFile(a.file, { type: a.type, match: a.match, dryRun: a.dryRun, onProgress });
  if (o.tty) o.progress?.('\r\x1b[K');
  const rate = sum.secs > 0 ? Math.round(sum.rows / sum.secs) : sum.rows;
  io.out(`imported ${plural}: rows=${sum.rows} created=${sum.created} updated=${sum.updated} failed=${sum.failed} `
    + `secs=${sum.secs.toFixed(2)} rows_per_s=${rate}${a.dryRun ? ' dry_run=true' : ''}`);
  for (const e of sum.errors.slice(0, 20)) io.err(`line ${e.line}: ${e.message}`);
  if (sum.failed > 20) io.err(`… and ${sum.failed - 20} more`);
  return sum.failed ? 1 : 0;
}
