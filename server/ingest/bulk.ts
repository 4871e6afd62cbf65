// The bulk path of the ingest: DuckDB reads the whole file (read_csv with every column as text and
// explicit options, or read_parquet) and checks every field in one set-based statement; only the rows it
// doubts go through the row-by-row field readers of tables.ts, which give the reason (or, when the SQL was
// merely cautious, the values). So the report is the row reader's, line for line, and the hot path has
// no per-row JavaScript.
//
// The SQL is exact where it accepts and cautious elsewhere: a row is staged straight from SQL only when
// every field is certainly good with the same value the row reader would give; anything unusual
// (whitespace other than a space or tab before an offset, a long field that may still fit, a timestamp
// near the earliest day...) is handed to the row reader.
import type { DuckDBConnection } from '@duckdb/node-api';
import { BIGINT, BOOLEAN, VARCHAR } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import { queryRows } from '../db/database.js';
import { appendColumns } from '../pipeline/refresh.js';
import { MAX_FAST_RECORD, prepassCsv } from './prepass.js';
import { openParquet } from './readers.js';
import type { ColumnSpec, FieldContext, TableSpec } from './tables.js';

/** What String.prototype.trim removes besides the space (WhiteSpace and LineTerminator), as code points. */
const JS_WHITESPACE = [
  9, 10, 11, 12, 13, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f,
  0x3000, 0xfeff,
];

/**
 * The timestamps taken in SQL: timestamps.ts's shapes without its rarer spellings (no seconds, a comma
 * or more than 6 digits of fraction, a lower-case z, a space before the offset), which go to the row
 * reader. DuckDB's own casts read these shapes exactly (years as written, fractions to the microsecond).
 */
const TIMESTAMP_RE = String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?`;
const AMOUNT_RE = String.raw`\d{1,15}(\.\d+)?`;
const QUARTER_HOUR_US = 900_000_000;

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Floor division of BIGINT expressions by a positive constant. */
const floorDiv = (a: string, b: number) => `((${a}) - (((${a}) % ${b}) + ${b}) % ${b}) // ${b}`;
/** The start of the quarter hour an instant (µs) falls in. */
const quarter = (a: string) => `((${a}) - (((${a}) % ${QUARTER_HOUR_US}) + ${QUARTER_HOUR_US}) % ${QUARTER_HOUR_US})`;
/**
 * The zone's offset (µs) at the start of the instant's quarter hour, as timestamps.ts's ZoneOffsets.at
 * takes it (zone changes fall on quarter hours), through the ICU extension.
 */
const offsetAt = (zone: string, a: string) => `(epoch_us(timezone(${zone}, make_timestamptz(${quarter(a)}))) - ${quarter(a)})`;

export interface SqlOptions {
  /** Whether the text may hold control characters (false: the prepass saw none in the file). */
  controls: boolean;
}

interface Columns {
  /** Layered SELECT lists: each layer reads the one before. */
  layers: string[][];
  /** Per column: its staged value and whether the row must go to the row reader. */
  value: string[];
  doubt: string[];
}

function columnSql(specs: ColumnSpec[], ctx: FieldContext, options: SqlOptions): Columns {
  const zone = sqlString(ctx.timeZone);
  const layer1: string[] = ['k', 'line'];
  const layer2: string[] = ['*'];
  const layer3: string[] = ['*'];
  const layer4: string[] = ['*'];
  const value: string[] = [];
  const doubt: string[] = [];
  const whitespace = JS_WHITESPACE.join(', ');
  specs.forEach((spec, i) => {
    const v = `v${i}`;
    // DuckDB's trim takes spaces; a field that then starts or ends with other whitespace goes to the row reader.
    layer1.push(`trim(coalesce(f${i}, '')) AS ${v}`);
    const rough = `(${v} <> '' AND (ord(${v}) IN (${whitespace}) OR ord(right(${v}, 1)) IN (${whitespace})))`;
    const rule = spec.rule;
    switch (rule.type) {
      case 'id':
      case 'text': {
        const checks = [rough, `strlen(${v}) > ${rule.max}`]; // bytes: never fewer than UTF-16 units, so a longer text is only doubted
        if (rule.required) checks.push(`${v} = ''`);
        if (rule.type === 'id' && options.controls) checks.push(`regexp_matches(${v}, '[\\x00-\\x1f]')`);
        doubt.push(checks.join(' OR '));
        value.push(`nullif(${v}, '')`);
        break;
      }
      case 'choice': {
        const allowed = rule.values.map(sqlString).join(', ');
        doubt.push(`NOT (${v} IN (${allowed})${rule.required ? '' : ` OR ${v} = ''`})`);
        value.push(`nullif(${v}, '')`);
        break;
      }
      case 'bool':
        doubt.push(`${v} NOT IN ('true', 'false', 'TRUE', 'FALSE', 'True', 'False')`);
        value.push(`${v} IN ('true', 'TRUE', 'True')`);
        break;
      case 'amount': {
        doubt.push(`${rough} OR NOT regexp_full_match(${v}, ${sqlString(AMOUNT_RE)})`);
        // Fen, rounded half up by the third decimal (the digits after it do not count): thousandths + 5, floored to tens.
        const dot = `strpos(${v}, '.')`;
        const whole = `CASE WHEN ${dot} = 0 THEN ${v} ELSE left(${v}, ${dot} - 1) END`;
        const thousandths = `CASE WHEN ${dot} = 0 THEN '000' ELSE rpad(substr(${v}, ${dot} + 1, 3), 3, '0') END`;
        value.push(`(TRY_CAST(${whole} || ${thousandths} AS BIGINT) + 5) // 10`);
        break;
      }
      case 'timestamp': {
        const shape = `s${i}`;
        const offsetPos = `greatest(strpos(substr(${v}, 17), '+'), strpos(substr(${v}, 17), '-'))`;
        const offset = `CASE WHEN ${offsetPos} > 0 THEN substr(${v}, 16 + ${offsetPos}) END`;
        // Ranges DuckDB's cast is lenient about (hour 24, offsets past 18 hours or 59 minutes); the date's own by the cast.
        const fields = `substr(${v}, 6, 2) BETWEEN '01' AND '12' AND substr(${v}, 12, 2) <= '23' AND substr(${v}, 15, 2) <= '59' AND substr(${v}, 18, 2) <= '59'`;
        const o = `o${i}`;
        layer2.push(`regexp_full_match(${v}, ${sqlString(TIMESTAMP_RE)}) AND ${fields} AS ${shape}`, `${offset} AS ${o}`);
        const offsetOk = `(${o} IS NULL OR (substr(${o}, 2, 2) <= '18' AND (length(${o}) = 3 OR right(${o}, 2) <= '59')))`;
        // With an offset (or Z) the instant; without, wall time in the platform zone, resolved as
        // timestamps.ts's ZoneOffsets.toUtc does (two steps: DST gaps and overlaps come out the same).
        const w = `w${i}`;
        const zoned = `${o} IS NOT NULL OR right(${v}, 1) = 'Z'`;
        layer3.push(`CASE WHEN ${shape} AND NOT (${zoned}) THEN epoch_us(TRY_CAST(${v} AS TIMESTAMP)) END AS ${w}`);
        const us = `u${i}`;
        layer4.push(`CASE WHEN NOT (${shape} AND ${offsetOk}) THEN NULL WHEN ${zoned} THEN epoch_us(TRY_CAST(${v} AS TIMESTAMPTZ))
                          ELSE ${w} - ${offsetAt(zone, `${w} - ${offsetAt(zone, w)}`)} END AS ${us}`);
        const earliest = ctx.earliest;
        const localDay = `${floorDiv(`${floorDiv(us, 1000)} + ${offsetAt(zone, us)} // 1000`, 86_400_000)}`;
        const before = earliest ? ` OR ${us} < ${earliest.lowMicros} OR (${us} < ${earliest.highMicros} AND ${localDay} < ${earliest.epochDay})` : '';
        doubt.push(`${us} IS NULL OR ${us} > ${ctx.nowMicros}${before}`);
        value.push(`make_timestamptz(${us})`);
        break;
      }
    }
  });
  return { layers: [layer1, layer2, layer3, layer4], value, doubt };
}

/**
 * Creates the temp table `stage` (line, the spec's columns, ok, k) from `source`, a query of
 * (k, line, f0 … fn) with the raw text of each field: ok is false where the row reader must decide.
 */
export function stageSql(spec: TableSpec, ctx: FieldContext, source: string, options: SqlOptions = { controls: true }): string {
  const { layers, value, doubt } = columnSql(spec.columns, ctx, options);
  let from = `(${source})`;
  for (const layer of layers) from = `(SELECT ${layer.join(', ')} FROM ${from})`;
  const anyDoubt = doubt.map((d) => `coalesce(${d}, true)`).join(' OR ');
  const values = spec.columns.map((c, i) => `CASE WHEN ok THEN ${value[i]} END::${c.stageType.toString()} AS "${c.name}"`);
  return `CREATE OR REPLACE TEMP TABLE stage AS
    SELECT line, ${values.join(', ')}, ok, k FROM (SELECT *, NOT (${anyDoubt}) AS ok FROM ${from})`;
}

export interface BulkHooks {
  /** The row reader for one record: its values, or a rejection (already reported). */
  readRecord: (line: number, fields: string[]) => unknown[] | null;
  progress?: (fraction: number) => void;
}

const RECHECK_SLICE = 50_000;

/**
 * Stages a file through the bulk path. Returns false when the file must go through the row reader
 * instead (a CSV file the prepass finds unusual); throws FileError for a file refused whole.
 */
export async function stageBulk(db: Database, conn: DuckDBConnection, file: string, spec: TableSpec, ctx: FieldContext, hooks: BulkHooks): Promise<boolean> {
  const names = spec.columns.map((c) => c.name);
  const isParquet = /\.parquet$/i.test(file);
  const progress = hooks.progress ?? (() => undefined);
  let source: string;
  let rawIndexed = '(SELECT rowid AS k, * FROM raw)';
  let controls = true; // whether the text may hold control characters
  if (isParquet) {
    const select = await checkParquet(db, file, names, progress);
    // Read straight from the file (checked aside just before): by row, line = row + 1.
    rawIndexed = `(SELECT file_row_number AS k, ${select} FROM read_parquet(${sqlString(file)}, file_row_number = true))`;
    source = `SELECT k, k + 1 AS line, ${names.map((_, i) => `f${i}`).join(', ')} FROM ${rawIndexed}`;
  } else {
    const pre = await prepassCsv(file, names, (done, total) => progress((0.35 * done) / total));
    if (!pre.fast) return false;
    controls = pre.controls || pre.quotedBreaks;
    const columns = names.map((_, i) => `'f${i}': 'VARCHAR'`).join(', ');
    await conn.run(`CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv(${sqlString(file)}, header = false, auto_detect = false,
      columns = {${columns}}, delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false,
      encoding = 'utf-8', max_line_size = ${2 * MAX_FAST_RECORD}, ignore_errors = true, parallel = ${pre.quotedBreaks ? 'false' : 'true'})`);
    const count = await queryRows<{ n: number }>(conn, 'SELECT count(*) AS n FROM raw');
    if (count[0].n !== pre.records) {
      // Not the records the prepass counted (DuckDB skips a row it cannot read rather than fail the
      // batch's transaction): the row reader decides. A safety net; the prepass sends such files there.
      await conn.run('DROP TABLE raw');
      return false;
    }
    const fields = names.map((_, i) => `f${i}`).join(', ');
    // Records by index: row ids follow the file's order (insertion order is preserved), from some start.
    const first = await queryRows<{ id: string }>(conn, 'SELECT min(rowid)::VARCHAR AS id FROM raw');
    const indexed = `(SELECT rowid - ${BigInt(first[0].id)} AS k, * FROM raw)`; // a constant: a subquery here would slow every row
    rawIndexed = indexed;
    // The prepass's samples must be the same records: the same order, nothing skipped or split.
    await conn.run('CREATE OR REPLACE TEMP TABLE raw_samples (k BIGINT, first VARCHAR)');
    await appendColumns(conn, 'raw_samples', [BIGINT, VARCHAR], [pre.samples.map((s) => BigInt(s.k)), pre.samples.map((s) => s.first)]);
    const same = await queryRows<{ n: number }>(
      conn,
      `SELECT count(*) AS n FROM raw_samples s JOIN ${indexed} r ON r.k = s.k AND coalesce(r.f0, '') = s.first`,
    );
    await conn.run('DROP TABLE raw_samples');
    if (same[0].n !== pre.samples.length) {
      await conn.run('DROP TABLE raw');
      return false;
    }
    // Rows with a wrong field count, which DuckDB skipped: rejected with the row reader's words (it
    // needs only their number of fields and the first one).
    for (const row of pre.wrongCount) hooks.readRecord(row.line, [row.first, ...new Array<string>(row.fields - 1).fill('')]);
    if (pre.breakpoints.length === 1) {
      source = `SELECT k, k + ${pre.breakpoints[0].line} AS line, ${fields} FROM ${indexed} WHERE k > 0`;
    } else {
      await conn.run('CREATE OR REPLACE TEMP TABLE raw_lines (k BIGINT, line BIGINT)');
      await appendColumns(conn, 'raw_lines', [BIGINT, BIGINT], [pre.breakpoints.map((b) => BigInt(b.k)), pre.breakpoints.map((b) => BigInt(b.line))]);
      source = `SELECT r.k, b.line + (r.k - b.k) AS line, ${fields} FROM ${indexed} r ASOF JOIN raw_lines b ON r.k >= b.k WHERE r.k > 0`;
    }
  }
  progress(0.6);
  await conn.run(stageSql(spec, ctx, source, { controls }));
  progress(0.85);
  // The doubted rows, to the row reader: a reason, or (the SQL was only cautious) the values.
  const types = [BIGINT, ...spec.columns.map((c) => c.stageType), BOOLEAN, BIGINT];
  let after = -1;
  for (;;) {
    const doubted = await queryRows<Record<string, unknown>>(
      conn,
      `SELECT s.line, ${names.map((_, i) => `coalesce(r.f${i}, '') AS f${i}`).join(', ')}
       FROM stage s JOIN ${rawIndexed} r ON r.k = s.k WHERE NOT s.ok AND s.line > $after ORDER BY s.line LIMIT ${RECHECK_SLICE}`,
      { after },
    );
    if (doubted.length === 0) break;
    const good: unknown[][] = [];
    for (const row of doubted) {
      const line = Number(row.line);
      const values = hooks.readRecord(
        line,
        names.map((_, i) => row[`f${i}`] as string),
      );
      if (values) good.push([BigInt(line), ...values, true, -1n]);
    }
    if (good.length > 0) {
      await appendColumns(
        conn,
        'stage',
        types,
        types.map((_, c) => good.map((g) => g[c])),
      );
    }
    after = Number(doubted[doubted.length - 1].line);
    if (doubted.length < RECHECK_SLICE) break;
  }
  await conn.run('DELETE FROM stage WHERE NOT ok');
  await conn.run('DROP TABLE IF EXISTS raw');
  await conn.run('DROP TABLE IF EXISTS raw_lines');
  progress(1);
  return true;
}

/**
 * Checks a Parquet file on a connection of its own (Database.readAside): its columns by name, and every
 * value read once, so that a damaged file is refused here and never fails the writer's transaction.
 * Returns the select list that reads its fields as text (f0 … fn), as readers.ts's readParquet does.
 */
async function checkParquet(db: Database, file: string, columns: string[], progress: (fraction: number) => void): Promise<string> {
  const read = await openParquet(db, file, columns);
  const quoted = columns.map((c) => `"${c.replaceAll('"', '')}"`);
  await read(`SELECT sum(hash(${quoted.join(', ')})) AS h FROM read_parquet($file)`, { file });
  const texts = quoted.map((c) => `coalesce(CAST(${c} AS VARCHAR), '')`);
  progress(0.35);
  return texts.map((t, i) => `${t} AS f${i}`).join(', ');
}
