// The physical reference for ingest (issue 15): DuckDB alone reads the same order and case files (CSV
// with every column as text, or Parquet), applies the same checks in one statement per table (types,
// timestamps in the platform zone, not in the future nor before the earliest day, known shop, duplicate
// ids, amounts, enums) and upserts into scratch tables, in one transaction per table. What no ingest
// that checks every field can beat on this machine; ours is reported as a fraction of it.
import fs from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface ReferenceFiles {
  shops: string;
  /** Every orders file (a large export comes in parts), all of one format. */
  orders: string[];
  interventions: string[];
}

export interface ReferenceLoad {
  ordersMs: number;
  casesMs: number;
  ms: number;
  /** Rows stored: orders, cases. */
  loaded: [number, number];
}

const q = (text: string) => `'${text.replaceAll("'", "''")}'`;
const list = (files: string[]) => `[${files.map(q).join(', ')}]`;

/** The columns of a CSV file's header (orders have four or five). */
function csvColumns(file: string): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, n).split(/\r?\n/)[0].split(',');
  } finally {
    fs.closeSync(fd);
  }
}

function source(format: 'csv' | 'parquet', files: string[]): { sql: string; columns: string[] } {
  if (format === 'csv') {
    const columns = csvColumns(files[0]);
    return {
      sql: `read_csv(${list(files)}, header = true, auto_detect = false, columns = {${columns.map((c) => `'${c}': 'VARCHAR'`).join(', ')}},
        delim = ',', quote = '"', escape = '"')`,
      columns,
    };
  }
  return { sql: `read_parquet(${list(files)})`, columns: [] };
}

function ordersChecked(from: string, tz: string, now: Date, earliest: string, hasGoods: boolean): string {
  return `
  CREATE OR REPLACE TEMP TABLE checked AS
  SELECT order_id, shop_id, t, a, goods_id FROM (
    SELECT trim(CAST(order_id AS VARCHAR)) AS order_id, trim(CAST(shop_id AS VARCHAR)) AS shop_id,
      CASE WHEN regexp_matches(trim(CAST(paid_at AS VARCHAR)), '(Z|z|[+-]\\d{2}(:?\\d{2})?)$') THEN TRY_CAST(trim(CAST(paid_at AS VARCHAR)) AS TIMESTAMPTZ)
           ELSE timezone(${q(tz)}, TRY_CAST(trim(CAST(paid_at AS VARCHAR)) AS TIMESTAMP)) END AS t,
      CASE WHEN regexp_full_match(trim(CAST(amount AS VARCHAR)), '\\d{1,15}(\\.\\d+)?') THEN TRY_CAST(trim(CAST(amount AS VARCHAR)) AS DECIMAL(18, 2)) END AS a,
      ${hasGoods ? "nullif(trim(CAST(goods_id AS VARCHAR)), '')" : 'NULL::VARCHAR'} AS goods_id
    FROM ${from})
  WHERE order_id <> '' AND length(order_id) <= 128 AND NOT regexp_matches(order_id, '[\\x00-\\x1f]')
    AND t IS NOT NULL AND t <= ${q(now.toISOString())}::TIMESTAMPTZ AND CAST(timezone(${q(tz)}, t) AS DATE) >= DATE ${q(earliest)}
    AND a IS NOT NULL AND shop_id IN (SELECT shop_id FROM shops)
  QUALIFY row_number() OVER (PARTITION BY order_id) = 1`;
}

function casesChecked(from: string, tz: string, now: Date, earliest: string): string {
  const text = (c: string) => `trim(CAST(${c} AS VARCHAR))`;
  return `
  CREATE OR REPLACE TEMP TABLE checked AS
  SELECT case_id, order_id, shop_id, t, kind, reason, status, outcome, excluded, exclusion_reason FROM (
    SELECT ${text('case_id')} AS case_id, ${text('order_id')} AS order_id, ${text('shop_id')} AS shop_id,
      CASE WHEN regexp_matches(${text('opened_at')}, '(Z|z|[+-]\\d{2}(:?\\d{2})?)$') THEN TRY_CAST(${text('opened_at')} AS TIMESTAMPTZ)
           ELSE timezone(${q(tz)}, TRY_CAST(${text('opened_at')} AS TIMESTAMP)) END AS t,
      ${text('kind')} AS kind, nullif(${text('reason')}, '') AS reason, ${text('status')} AS status, nullif(${text('outcome')}, '') AS outcome,
      CASE lower(${text('excluded')}) WHEN 'true' THEN true WHEN 'false' THEN false END AS excluded, nullif(${text('exclusion_reason')}, '') AS exclusion_reason
    FROM ${from})
  WHERE case_id <> '' AND length(case_id) <= 128 AND order_id <> '' AND length(order_id) <= 128
    AND t IS NOT NULL AND t <= ${q(now.toISOString())}::TIMESTAMPTZ AND CAST(timezone(${q(tz)}, t) AS DATE) >= DATE ${q(earliest)}
    AND kind IN ('intervention', 'complaint') AND status IN ('open', 'closed')
    AND (outcome IS NULL OR outcome IN ('seller_responsible', 'buyer_responsible', 'withdrawn')) AND excluded IS NOT NULL
    AND coalesce(length(reason), 0) <= 1000 AND coalesce(length(exclusion_reason), 0) <= 1000
    AND shop_id IN (SELECT shop_id FROM shops)
  QUALIFY row_number() OVER (PARTITION BY case_id) = 1`;
}

async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  return Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
}

/** Loads the files into a fresh database at `dbPath` (removed afterwards) and times each table's checked upsert. */
export async function duckdbOnlyLoad(
  files: ReferenceFiles,
  format: 'csv' | 'parquet',
  dbPath: string,
  options: { now: Date; timeZone: string; earliestDay: string },
): Promise<ReferenceLoad> {
  for (const suffix of ['', '.wal']) fs.rmSync(dbPath + suffix, { force: true });
  const instance = await DuckDBInstance.create(dbPath);
  const conn = await instance.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    await conn.run(`CREATE TABLE shops AS SELECT * FROM read_csv(${q(files.shops)}, all_varchar = true)`);
    await conn.run('CREATE TABLE scratch_orders (order_id VARCHAR, shop_id VARCHAR, paid_at TIMESTAMPTZ, amount DECIMAL(18, 2), goods_id VARCHAR)');
    await conn.run(`CREATE TABLE scratch_cases (case_id VARCHAR, order_id VARCHAR, shop_id VARCHAR, opened_at TIMESTAMPTZ, kind VARCHAR,
      reason VARCHAR, status VARCHAR, outcome VARCHAR, excluded BOOLEAN, exclusion_reason VARCHAR)`);
    // The checks in one statement, then the upsert by id (as ours: delete the stored rows, insert), in one transaction.
    const time = async (sql: string, table: string, id: string) => {
      const started = performance.now();
      await conn.run('BEGIN TRANSACTION');
      await conn.run(sql);
      await conn.run(`DELETE FROM ${table} WHERE ${id} IN (SELECT ${id} FROM checked)`);
      await conn.run(`INSERT INTO ${table} SELECT * FROM checked`);
      await conn.run('COMMIT');
      return performance.now() - started;
    };
    const orders = source(format, files.orders);
    const hasGoods = format === 'parquet' ? await parquetHasGoods(conn, files.orders[0]) : orders.columns.includes('goods_id');
    const ordersMs = await time(ordersChecked(orders.sql, options.timeZone, options.now, options.earliestDay, hasGoods), 'scratch_orders', 'order_id');
    const casesMs = await time(
      casesChecked(source(format, files.interventions).sql, options.timeZone, options.now, options.earliestDay),
      'scratch_cases',
      'case_id',
    );
    const loaded: [number, number] = [await scalar(conn, 'SELECT count(*) FROM scratch_orders'), await scalar(conn, 'SELECT count(*) FROM scratch_cases')];
    return { ordersMs, casesMs, ms: ordersMs + casesMs, loaded };
  } finally {
    conn.closeSync();
    instance.closeSync();
    for (const suffix of ['', '.wal']) fs.rmSync(dbPath + suffix, { force: true });
  }
}

async function parquetHasGoods(conn: DuckDBConnection, file: string): Promise<boolean> {
  return (await scalar(conn, `SELECT count(*) FROM parquet_schema(${q(file)}) WHERE name = 'goods_id'`)) > 0;
}
