/*
 * /api/v1/records/{accounts|contacts|leads}/export.csv: every record of a type as CSV,
 * streamed (read in id-ordered pages as the client reads), in the columns the import maps
 * back (`postern import records` and the admin UI's import re-import it unchanged).
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { TYPE_OF_PLURAL } from '../../records/types.js';

const TypeParams = Type.Object({ type: Type.Union([Type.Literal('accounts'), Type.Literal('contacts'), Type.Literal('leads')]) });

export function recordsCsvApi(app: Api, s: Services) {
  app.get('/records/:type/export.csv', {
    schema: { tags: ['records'], summary: 'Export every record of a type as CSV (columns as the CSV import reads them; formula cells neutralised)', params: TypeParams },
  }, async (req, reply) => {
    const { type } = req.params;
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${type}.csv"`);
    return reply.send(s.recordsCsv.export(TYPE_OF_PLURAL[type]!));
  });
}
