/*
 * CSV injection guard (OWASP): a cell a spreadsheet would read as a formula — starting with
 * =, +, -, @, tab or carriage return — is written with a leading apostrophe, and the import
 * side removes exactly that apostrophe again; and rows as a CSV stream for exports. No I/O.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';

/** Apostrophes already in front of a trigger are part of the rule, so that restoreCell inverts it for every cell. */
const NEEDS_GUARD = /^'*[=+\-@\t\r]/;
const GUARDED = /^'+[=+\-@\t\r]/;

export function neutralizeCell(v: string): string {
  return NEEDS_GUARD.test(v) ? `'${v}` : v;
}

/** The inverse of neutralizeCell, for importing a file we exported (a leading ' before anything else is data). */
export function restoreCell(v: string): string {
  return GUARDED.test(v) ? v.slice(1) : v;
}

/** Rows (arrays of cells) as a CSV stream read as the consumer reads; an error while producing ends the stream with it. */
export function csvStream(rows: AsyncIterable<unknown[]>): Readable {
  const out = stringify({ record_delimiter: 'unix' });
  const src = Readable.from(rows);
  src.on('error', (e) => out.destroy(e));
  return src.pipe(out);
}
