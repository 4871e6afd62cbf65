// One ingest batch (DESIGN §2): files are read, every field checked, bad rows set aside with file,
// line, column and reason, good rows upserted by id, the metrics refreshed, and the batch logged —
// all in one transaction, so a crash or a fatal error leaves the database as it was.
//
// A file is read in bulk (bulk.ts: DuckDB reads it and checks every field in SQL; the row reader sees
// only the rows the SQL doubts) unless it is unusual enough (broken quotes, mixed line ends, not UTF-8,
// a wrong header...) to go through the row reader alone (readers.ts + the field readers of tables.ts),
// whose report is the reference: both give the same report, line for line.
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { BIGINT, VARCHAR } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import { queryRows } from '../db/database.js';
import { refreshMetrics, appendColumns, type RefreshSummary } from '../pipeline/refresh.js';
import { ensureActivePolicy } from '../policy/store.js';
import { stageBulk } from './bulk.js';
import { FileError, peekCsvHeader, peekParquetColumns, readCsv, readParquet, type RawRecord } from './readers.js';
import { FieldError, KINDS, TABLES, kindOfFile, withoutOptional, type FieldContext, type Kind, type TableSpec } from './tables.js';
import { earliestDayRule, isDay } from './timestamps.js';

/** Timestamps on a calendar day (in the platform time zone) before this one are rejected: see IngestOptions.earliestDay. */
export const DEFAULT_EARLIEST_DAY = '2000-01-01';

export interface Reject {
  line: number;
  column: string | null;
  reason: string;
  /** The row's id as written, when the row had one (helps find it in the file). */
  id?: string;
}

export interface FileReport {
  file: string;
  kind: Kind | null;
  accepted: number;
  rejected: number;
  rejects: Reject[];
  /** Set when the whole file was refused (nothing of it loaded). */
  error?: string;
}

export interface IngestReport {
  batchId: number;
  files: FileReport[];
  accepted: number;
  rejected: number;
  /** 0: every row loaded; 3: some rows rejected, the good ones loaded; 1: nothing loaded. */
  exitCode: 0 | 1 | 3;
  refresh: RefreshSummary | null;
}

export interface IngestOptions {
  /** Ingest time: timestamps after it are rejected. Defaults to now. */
  now?: Date;
  /**
   * The earliest accepted day, YYYY-MM-DD (EARLIEST_DAY; default 2000-01-01): a timestamp whose calendar
   * day in the platform time zone is before it is rejected (a placeholder such as 1970-01-01 would
   * otherwise become the data's first day).
   */
  earliestDay?: string;
  source?: string;
  /** Called as files are read: (file, done, total). */
  onProgress?: (file: string, done: number, total: number) => void;
  /** Display names for files (e.g. an upload's original name), by path. */
  displayNames?: Map<string, string>;
  /**
   * Read files in bulk (bulk.ts: DuckDB reads and checks every field in SQL, the row reader only sees the
   * rows it doubts); false reads every row in JavaScript (the reference the bulk path is tested against).
   */
  bulk?: boolean;
  /** Called after each file is staged, checked and upserted (before the batch's refresh), with the time it took. */
  onFileLoaded?: (file: string, ms: number, report: FileReport) => void;
  /** Runs inside the transaction just before it commits; a throw rolls the whole batch back (tests use it to fail midway). */
  beforeCommit?: () => Promise<void>;
  /**
   * Cluster mode (server/cluster/ingest.ts): computes the metrics in place of the embedded refresh, inside the
   * transaction, from the batch's earliest touched day (null: every day). The ids the batch stored are in the
   * temp tables batch_orders and batch_cases. A throw rolls the whole batch back.
   */
  refresh?: (conn: DuckDBConnection, from: string | null) => Promise<RefreshSummary | null>;
}

/** Files named on the command line, folders expanded (their .csv and .parquet files, sorted). */
export function expandInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      files.push(input); // reported as unreadable by the reader
      continue;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(input).sort()) {
        if (/\.(csv|parquet)$/i.test(name)) files.push(path.join(input, name));
      }
    } else files.push(input);
  }
  return files;
}

const STAGE_FLUSH = 16_384;

/**
 * case_orders holds the stored rows of the orders that have a case (migration 9), so that reading a shop's
 * cases with their orders is not a pass over every order. After a batch: the rows of the orders it loaded
 * that have a case, and of the orders its cases name, are made anew from orders; rows of orders no case
 * names any more (a case re-sent on another order) go.
 */
const CASE_ORDERS = [
  `CREATE OR REPLACE TEMP TABLE batch_case_orders AS
     SELECT order_id FROM batch_orders WHERE order_id IN (SELECT order_id FROM cases)
     UNION SELECT order_id FROM cases WHERE case_id IN (SELECT case_id FROM batch_cases)`,
  `DELETE FROM case_orders WHERE order_id IN (SELECT order_id FROM batch_case_orders) OR order_id NOT IN (SELECT order_id FROM cases)`,
  `INSERT INTO case_orders SELECT * FROM orders WHERE order_id IN (SELECT order_id FROM batch_case_orders)`,
  'DROP TABLE batch_case_orders',
];

export async function ingestFiles(db: Database, inputs: string[], options: IngestOptions = {}): Promise<IngestReport> {
  const files = expandInputs(inputs);
  const now = options.now ?? new Date();
  const earliestDay = options.earliestDay ?? DEFAULT_EARLIEST_DAY;
  if (!isDay(earliestDay)) throw new Error(`earliestDay: '${earliestDay}' is not a day as YYYY-MM-DD`);
  const started = new Date();
  const displayName = (file: string) => options.displayNames?.get(file) ?? file;
  // Tables are loaded in dependency order whatever order the files came in.
  const planned = files
    .map((file) => ({ file, kind: kindOfFile(file) }))
    .sort((a, b) => (a.kind === null ? -1 : KINDS.indexOf(a.kind)) - (b.kind === null ? -1 : KINDS.indexOf(b.kind)));

  return db.write(async (conn) => {
    const policy = await ensureActivePolicy(conn);
    const ctx: FieldContext & { countBasis: string } = {
      timeZone: policy.timeZone,
      countBasis: policy.countBasis,
      nowMicros: BigInt(now.getTime()) * 1000n,
      earliest: earliestDayRule(earliestDay, policy.timeZone),
    };
    // The order ids this batch loads, for the case checks' wording (tables.ts); gone with the batch.
    await conn.run('CREATE OR REPLACE TEMP TABLE batch_orders (order_id VARCHAR)');
    await conn.run('CREATE OR REPLACE TEMP TABLE batch_cases (case_id VARCHAR)');
    const reports: FileReport[] = [];
    const affected: Affected = { full: false, from: null };
    for (const { file, kind } of planned) {
      const report: FileReport = { file: displayName(file), kind, accepted: 0, rejected: 0, rejects: [] };
      reports.push(report);
      if (!fs.existsSync(file)) {
        report.error = 'does not exist';
        continue;
      }
      if (!kind) {
        report.error = `cannot tell its table from the name: the name must start with ${KINDS.join(', ')} and end in .csv or .parquet`;
        continue;
      }
      const fileStarted = performance.now();
      try {
        await loadFile(db, conn, file, TABLES[kind], ctx, report, affected, options.bulk ?? true, options.onProgress);
      } catch (error) {
        if (!(error instanceof FileError)) throw error;
        report.error = error.message;
        report.accepted = 0;
        report.rejected = 0;
        report.rejects = [];
      }
      options.onFileLoaded?.(report.file, performance.now() - fileStarted, report);
    }
    const accepted = reports.reduce((n, r) => n + r.accepted, 0);
    const rejected = reports.reduce((n, r) => n + r.rejected, 0);
    const anyFileError = reports.some((r) => r.error);
    const exitCode: 0 | 1 | 3 = accepted === 0 && (rejected > 0 || anyFileError) ? 1 : rejected > 0 || anyFileError ? 3 : 0;
    // Only the days whose windows the batch touched are recomputed (all of them when shops changed).
    const from = affected.full ? null : affected.from;
    if (accepted > 0) for (const statement of CASE_ORDERS) await conn.run(statement);
    const refresh = accepted > 0 ? await (options.refresh ? options.refresh(conn, from) : refreshMetrics(conn, { from })) : null;
    await conn.run('DROP TABLE batch_orders');
    await conn.run('DROP TABLE batch_cases');
    const batchId = await logBatch(conn, options.source ?? 'cli', started, reports, accepted, rejected, exitCode);
    await options.beforeCommit?.();
    return { batchId, files: reports, accepted, rejected, exitCode, refresh };
  });
}

/**
 * The columns a file is read with: all of the table's, when its header (CSV) or its columns (Parquet) hold
 * them all; otherwise without the optional ones (an orders file of four columns), and a file that is
 * neither is refused by the reader against that shorter list.
 */
async function specForFile(db: Database, file: string, spec: TableSpec): Promise<TableSpec> {
  if (!spec.optional?.length) return spec;
  const all = spec.columns.map((c) => c.name);
  if (/\.parquet$/i.test(file)) {
    const names = await peekParquetColumns(db, file);
    return names && names.length === all.length && all.every((n) => names.includes(n)) ? spec : withoutOptional(spec);
  }
  const header = peekCsvHeader(file);
  return header && header.length === all.length && header.every((n, i) => n === all[i]) ? spec : withoutOptional(spec);
}

async function loadFile(
  db: Database,
  conn: DuckDBConnection,
  file: string,
  tableSpec: TableSpec,
  ctx: FieldContext & { countBasis: string },
  report: FileReport,
  affected: Affected,
  useBulk: boolean,
  onProgress?: IngestOptions['onProgress'],
): Promise<void> {
  const spec = await specForFile(db, file, tableSpec);
  const names = spec.columns.map((c) => c.name);
  const reject = (line: number, column: string | null, reason: string, id?: string) => {
    report.rejects.push(id ? { line, column, reason, id: id.slice(0, 64) } : { line, column, reason });
  };
  /** The row reader: every field through its reader (tables.ts); the values, or null with the row rejected (the first bad field). */
  const readRecord = (line: number, fields: string[]): unknown[] | null => {
    if (fields.length !== names.length) {
      reject(line, null, `has ${fields.length} fields; expected ${names.length} (${names.join(',')})`, fields[0]?.trim());
      return null;
    }
    const values: unknown[] = [];
    for (let i = 0; i < spec.columns.length; i++) {
      try {
        values.push(spec.columns[i].read(fields[i], ctx));
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        reject(line, names[i], `${names[i]}: ${error.message}`, fields[0]?.trim());
        return null; // one reason per row: the first bad field
      }
    }
    return values;
  };
  const size = fileSize(file);
  const progress = onProgress ? (fraction: number) => onProgress(report.file, Math.round(fraction * size), size) : undefined;
  // The bulk path (bulk.ts) unless the file is unusual enough for the row reader alone.
  try {
    const bulk = useBulk && (await stageBulk(db, conn, file, spec, ctx, { readRecord, progress }));
    if (!bulk) await stageRows(db, conn, file, spec, readRecord, reject, onProgress ? (done, total) => onProgress(report.file, done, total) : undefined);
  } catch (error) {
    // A wrong header names the shorter list; say that the optional columns may follow.
    if (error instanceof FileError && spec !== tableSpec && /expected '/.test(error.message)) {
      throw new FileError(`${error.message}; it may also end with ${tableSpec.optional!.join(', ')}`);
    }
    throw error;
  }
  // Optional columns the file left out are staged as NULL, so that the checks and the upsert see them all.
  for (const column of tableSpec.columns.slice(spec.columns.length)) {
    await conn.run(`ALTER TABLE stage ADD COLUMN "${column.name}" ${column.stageType.toString()}`);
  }

  // Checks that need the database: each names the rows it rejects; those rows leave the stage. First,
  // an id repeated inside the file (in SQL: a file may hold more ids than a JS Map can).
  const duplicates = `SELECT line, '${spec.id}', '${spec.id}: ' || ${spec.id} || ' appears again (first on line ' || first_line || ')'
    FROM (SELECT line, ${spec.id}, min(line) OVER (PARTITION BY ${spec.id}) AS first_line FROM stage) WHERE line > first_line`;
  for (const check of [duplicates, ...spec.checks]) {
    const bad = await queryRows<{ line: number; column_name: string; reason: string; id: string }>(
      conn,
      `SELECT t.*, s.${spec.id} AS id FROM (${check}) AS t(line, column_name, reason) JOIN stage s USING (line) ORDER BY line`,
    );
    if (bad.length === 0) continue;
    for (const row of bad)
      reject(row.line, row.column_name, row.reason.startsWith(`${row.column_name}: `) ? row.reason : `${row.column_name}: ${row.reason}`, row.id);
    await conn.run(`DELETE FROM stage WHERE line IN (SELECT t.line FROM (${check}) AS t(line, column_name, reason))`);
  }
  await noteAffectedDays(conn, spec, ctx.timeZone, ctx.countBasis, affected);
  // Upsert by id: a row with an id already stored replaces it.
  await conn.run(`DELETE FROM ${spec.target} WHERE ${spec.id} IN (SELECT ${spec.id} FROM stage)`);
  await conn.run(`INSERT INTO ${spec.target} SELECT ${spec.insertSelect} FROM stage`);
  if (spec.kind === 'orders') await conn.run('INSERT INTO batch_orders SELECT order_id FROM stage');
  if (spec.kind === 'interventions') await conn.run('INSERT INTO batch_cases SELECT case_id FROM stage');
  const count = await queryRows<{ n: number }>(conn, 'SELECT count(*) AS n FROM stage');
  report.accepted = count[0].n;
  report.rejects.sort((a, b) => a.line - b.line);
  report.rejected = report.rejects.length;
  await conn.run('DROP TABLE stage');
}

/** The row reader's path: each record read in JavaScript and staged through an appender. */
async function stageRows(
  db: Database,
  conn: DuckDBConnection,
  file: string,
  spec: TableSpec,
  readRecord: (line: number, fields: string[]) => unknown[] | null,
  reject: (line: number, column: string | null, reason: string) => void,
  progress?: (done: number, total: number) => void,
): Promise<void> {
  const names = spec.columns.map((c) => c.name);
  const columnDefs = spec.columns.map((c) => `"${c.name}" ${c.stageType.toString()}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE stage (line BIGINT, ${columnDefs})`);
  const isParquet = /\.parquet$/i.test(file);
  const records: AsyncIterable<RawRecord> = isParquet ? readParquet(db, file, names, progress) : readCsv(file, names, progress);
  let buffer: unknown[][] = spec.columns.map(() => []);
  let lines: bigint[] = [];
  const types = [BIGINT, ...spec.columns.map((c) => c.stageType)];
  const flush = async () => {
    if (lines.length === 0) return;
    await appendColumns(conn, 'stage', types, [lines, ...buffer]);
    buffer = spec.columns.map(() => []);
    lines = [];
  };
  for await (const record of records) {
    if ('broken' in record) {
      reject(record.line, null, record.broken);
      continue;
    }
    const values = readRecord(record.line, record.fields);
    if (!values) continue;
    lines.push(BigInt(record.line));
    values.forEach((v, i) => buffer[i].push(v));
    if (lines.length >= STAGE_FLUSH) await flush();
  }
  await flush();
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** What a batch changed, for the refresh: the earliest local day it touched, or everything. */
interface Affected {
  full: boolean;
  from: string | null;
}

/**
 * The earliest day whose window the staged rows change: the days of the new rows and of the rows they
 * replace (a case can move, or its order's paid day when cases count by it). A new shop or a shop that
 * changes category changes every day.
 */
async function noteAffectedDays(conn: DuckDBConnection, spec: TableSpec, timeZone: string, countBasis: string, affected: Affected): Promise<void> {
  let sql: string | null = null;
  if (spec.kind === 'shops') {
    const changed = await queryRows(
      conn,
      'SELECT 1 AS one FROM stage s LEFT JOIN shops t USING (shop_id) WHERE t.shop_id IS NULL OR t.category_id <> s.category_id LIMIT 1',
    );
    if (changed.length > 0) affected.full = true;
    return;
  }
  if (spec.kind === 'orders') {
    sql = `SELECT paid_at AS t FROM stage UNION ALL SELECT o.paid_at FROM orders o SEMI JOIN stage s ON s.order_id = o.order_id`;
  } else if (spec.kind === 'interventions') {
    sql = `SELECT opened_at AS t FROM stage
           UNION ALL SELECT c.opened_at FROM cases c SEMI JOIN stage s ON s.case_id = c.case_id`;
    // Cases that count by their order's paid day move that day's window instead.
    if (countBasis === 'order_paid') {
      sql += `
           UNION ALL SELECT o.paid_at FROM orders o SEMI JOIN stage s ON s.order_id = o.order_id
           UNION ALL SELECT o.paid_at FROM orders o SEMI JOIN (SELECT c.order_id FROM cases c SEMI JOIN stage s ON s.case_id = c.case_id) r ON r.order_id = o.order_id`;
    }
  }
  if (!sql) return;
  const rows = await queryRows<{ day: string | null }>(conn, `SELECT strftime(CAST(timezone($tz, min(t)) AS DATE), '%Y-%m-%d') AS day FROM (${sql})`, {
    tz: timeZone,
  });
  const day = rows[0]?.day;
  if (day && (affected.from === null || day < affected.from)) affected.from = day;
}

async function logBatch(
  conn: DuckDBConnection,
  source: string,
  started: Date,
  reports: FileReport[],
  accepted: number,
  rejected: number,
  exitCode: number,
): Promise<number> {
  const rows = await queryRows<{ id: number }>(conn, "SELECT nextval('ingest_batch_seq') AS id");
  const batchId = rows[0].id;
  const outcome = exitCode === 0 ? 'loaded' : exitCode === 3 ? 'loaded_with_rejects' : 'nothing_loaded';
  await conn.run('INSERT INTO ingest_batches VALUES ($id, $source, $started::TIMESTAMPTZ, now(), $files, $accepted, $rejected, $outcome)', {
    id: batchId,
    source,
    started: started.toISOString(),
    files: reports.length,
    accepted,
    rejected,
    outcome,
  });
  for (const r of reports) {
    await conn.run('INSERT INTO ingest_files VALUES ($id, $file, $kind, $accepted, $rejected, $error)', {
      id: batchId,
      file: r.file,
      kind: r.kind,
      accepted: r.accepted,
      rejected: r.rejected,
      error: r.error ?? null,
    });
    if (r.rejects.length > 0) {
      await appendColumns(
        conn,
        'ingest_rejects',
        [BIGINT, VARCHAR, BIGINT, VARCHAR, VARCHAR],
        [
          r.rejects.map(() => BigInt(batchId)),
          r.rejects.map(() => r.file),
          r.rejects.map((x) => BigInt(x.line)),
          r.rejects.map((x) => x.column),
          r.rejects.map((x) => x.reason),
        ],
      );
    }
  }
  return batchId;
}
