/* When Postern warns at start that a MySQL server could lose acknowledged mail: InnoDB's log flush, and the binlog's sync when it is on. */
import t from 'tap';
import { durabilityWarnings } from '../../../server/db/connect.js';

const evts = (v: { flushLogAtTrxCommit: number; logBin: number; syncBinlog: number }) => durabilityWarnings(v).map((w) => w.fields.evt);

t.same(evts({ flushLogAtTrxCommit: 1, logBin: 0, syncBinlog: 0 }), [], 'durable InnoDB, no binlog: quiet');
t.same(evts({ flushLogAtTrxCommit: 1, logBin: 1, syncBinlog: 1 }), [], 'binlog synced at each commit: quiet');
t.same(evts({ flushLogAtTrxCommit: 2, logBin: 0, syncBinlog: 0 }), ['db.not_durable'], 'log flushed once a second: warns');
t.same(evts({ flushLogAtTrxCommit: 0, logBin: 0, syncBinlog: 1 }), ['db.not_durable']);
t.same(evts({ flushLogAtTrxCommit: 1, logBin: 1, syncBinlog: 0 }), ['db.binlog_not_durable'], 'binlog on, not synced: warns');
t.same(evts({ flushLogAtTrxCommit: 2, logBin: 1, syncBinlog: 100 }), ['db.not_durable', 'db.binlog_not_durable'], 'both');
