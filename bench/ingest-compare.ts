// npx tsx bench/ingest-compare.ts [--shops 2000] [--days 90] [--seed 1] [--data DIR] [--legacy] [--formats csv,parquet] [--repeat 3]
//
// Issue 15: our ingest of orders and interventions (read, check every field, reject, upsert) against a
// DuckDB-only checked load of the same files, in one run on the same machine: DuckDB reads the file (CSV
// with every column as text, or Parquet), applies the same checks in one statement (types, timestamps in
// the platform zone, not in the future nor before the earliest day, known shop, duplicate ids, amounts,
// enums) and upserts into a scratch table. Prints rows/s of each and the ratio (target ≥ 0.5).
// Each measurement is repeated (--repeat, interleaved: ours, DuckDB-only, ours, …) and the fastest of each
// kept, since the machine is shared and noisy.
// --legacy runs our ingest with every row read in JavaScript (the row reader, as before the bulk path).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Database } from '../server/db/database.js';
import { ingestFiles } from '../server/ingest/ingest.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NOW = new Date('2027-01-01T00:00:00Z');
const TZ = DEFAULT_POLICY.timeZone;
const EARLIEST = '2000-01-01';

const { values: args } = parseArgs({
  options: {
    shops: { type: 'string', default: '2000' },
    days: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
    data: { type: 'string' },
    legacy: { type: 'boolean', default: false },
    formats: { type: 'string', default: 'csv,parquet' },
    repeat: { type: 'string', default: '3' },
  },
});

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-ingest-compare-'));
let data = args.data;
if (!data) {
  data = path.join(work, 'data');
  console.error(`generating ${args.shops} shops × ${args.days} days (seed ${args.seed}) in ${data}`);
  execFileSync('npx', ['tsx', 'server/cli/generate.ts', '--shops', args.shops, '--days', args.days, '--seed', args.seed, '--out', data], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
const file = (name: string) => path.join(data, name);
const q = (text: string) => `'${text.replaceAll("'", "''")}'`;

const ORDERS_CHECKED = (from: string) => `
  CREATE OR REPLACE TEMP TABLE checked AS
  SELECT order_id, shop_id, t, a FROM (
    SELECT trim(order_id) AS order_id, trim(shop_id) AS shop_id,
      CASE WHEN regexp_matches(trim(paid_at), '(Z|z|[+-]\\d{2}(:?\\d{2})?)$') THEN TRY_CAST(trim(paid_at) AS TIMESTAMPTZ)
           ELSE timezone(${q(TZ)}, TRY_CAST(trim(paid_at) AS TIMESTAMP)) END AS t,
      CASE WHEN regexp_full_match(trim(amount), '\\d{1,15}(\\.\\d+)?') THEN TRY_CAST(trim(amount) AS DECIMAL(18, 2)) END AS a
    FROM ${from})
  WHERE order_id <> '' AND length(order_id) <= 128 AND NOT regexp_matches(order_id, '[\\x00-\\x1f]')
    AND t IS NOT NULL AND t <= ${q(NOW.toISOString())}::TIMESTAMPTZ AND CAST(timezone(${q(TZ)}, t) AS DATE) >= DATE ${q(EARLIEST)}
    AND a IS NOT NULL AND shop_id IN (SELECT shop_id FROM shops)
  QUALIFY row_number() OVER (PARTITION BY order_id) = 1`;

const CASES_CHECKED = (from: string) => `
  CREATE OR REPLACE TEMP TABLE checked AS
  SELECT case_id, order_id, shop_id, t, kind, reason, status, outcome, excluded, exclusion_reason FROM (
    SELECT trim(case_id) AS case_id, trim(order_id) AS order_id, trim(shop_id) AS shop_id,
      CASE WHEN regexp_matches(trim(opened_at), '(Z|z|[+-]\\d{2}(:?\\d{2})?)$') THEN TRY_CAST(trim(opened_at) AS TIMESTAMPTZ)
           ELSE timezone(${q(TZ)}, TRY_CAST(trim(opened_at) AS TIMESTAMP)) END AS t,
      trim(kind) AS kind, nullif(trim(reason), '') AS reason, trim(status) AS status, nullif(trim(outcome), '') AS outcome,
      CASE lower(trim(excluded)) WHEN 'true' THEN true WHEN 'false' THEN false END AS excluded, nullif(trim(exclusion_reason), '') AS exclusion_reason
    FROM ${from})
  WHERE case_id <> '' AND length(case_id) <= 128 AND order_id <> '' AND length(order_id) <= 128
    AND t IS NOT NULL AND t <= ${q(NOW.toISOString())}::TIMESTAMPTZ AND CAST(timezone(${q(TZ)}, t) AS DATE) >= DATE ${q(EARLIEST)}
    AND kind IN ('intervention', 'complaint') AND status IN ('open', 'closed')
    AND (outcome IS NULL OR outcome IN ('seller_responsible', 'buyer_responsible', 'withdrawn')) AND excluded IS NOT NULL
    AND coalesce(length(reason), 0) <= 1000 AND coalesce(length(exclusion_reason), 0) <= 1000
    AND shop_id IN (SELECT shop_id FROM shops)
  QUALIFY row_number() OVER (PARTITION BY case_id) = 1`;

const csv = (name: string, columns: string[]) =>
  `read_csv(${q(file(name))}, header = true, auto_detect = false, columns = {${columns.map((c) => `'${c}': 'VARCHAR'`).join(', ')}},
    delim = ',', quote = '"', escape = '"')`;
const parquet = (name: string, columns: string[]) =>
  `(SELECT ${columns.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ')} FROM read_parquet(${q(file(name))}))`;
const ORDER_COLUMNS = ['order_id', 'shop_id', 'paid_at', 'amount'];
const CASE_COLUMNS = ['case_id', 'order_id', 'shop_id', 'opened_at', 'kind', 'reason', 'status', 'outcome', 'excluded', 'exclusion_reason'];

async function duckdbOnly(format: 'csv' | 'parquet'): Promise<{ orders: number; cases: number; loaded: number[] }> {
  const instance = await DuckDBInstance.create(path.join(work, `duckdb-only-${format}.duckdb`));
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run(`CREATE TABLE shops AS SELECT * FROM read_csv(${q(file('shops.csv'))}, all_varchar = true)`);
  await conn.run('CREATE TABLE scratch_orders (order_id VARCHAR, shop_id VARCHAR, paid_at TIMESTAMPTZ, amount DECIMAL(18, 2))');
  await conn.run(`CREATE TABLE scratch_cases (case_id VARCHAR, order_id VARCHAR, shop_id VARCHAR, opened_at TIMESTAMPTZ, kind VARCHAR,
    reason VARCHAR, status VARCHAR, outcome VARCHAR, excluded BOOLEAN, exclusion_reason VARCHAR)`);
  const source = format === 'csv' ? csv : parquet;
  // The checks in one statement, then the upsert by id (as ours: delete the stored rows, insert), in one transaction.
  const time = async (sql: string, table: string, id: string) => {
    const t0 = performance.now();
    await run(conn, 'BEGIN TRANSACTION');
    await run(conn, sql);
    await run(conn, `DELETE FROM ${table} WHERE ${id} IN (SELECT ${id} FROM checked)`);
    await run(conn, `INSERT INTO ${table} SELECT * FROM checked`);
    await run(conn, 'COMMIT');
    return performance.now() - t0;
  };
  const orders = await time(ORDERS_CHECKED(source(`orders.${format}`, ORDER_COLUMNS)), 'scratch_orders', 'order_id');
  const cases = await time(CASES_CHECKED(source(`interventions.${format}`, CASE_COLUMNS)), 'scratch_cases', 'case_id');
  const loaded = [Number(await scalar(conn, 'SELECT count(*) FROM scratch_orders')), Number(await scalar(conn, 'SELECT count(*) FROM scratch_cases'))];
  conn.closeSync();
  instance.closeSync();
  return { orders, cases, loaded };
}

async function run(conn: DuckDBConnection, sql: string): Promise<void> {
  await conn.run(sql);
}
async function scalar(conn: DuckDBConnection, sql: string): Promise<unknown> {
  return (await conn.runAndReadAll(sql)).getRows()[0][0];
}

async function ours(format: 'csv' | 'parquet'): Promise<{ orders: number; cases: number; loaded: number[]; refreshMs: number }> {
  const db = await Database.open(path.join(work, `ours-${format}.duckdb`), { poolSize: 2 });
  await ingestFiles(db, [file('categories.csv'), file('shops.csv')], { now: NOW, earliestDay: EARLIEST });
  const ms = new Map<string, number>();
  const loaded: number[] = [];
  const t0 = performance.now();
  let filesDone = 0;
  const report = await ingestFiles(db, [file(`orders.${format}`), file(`interventions.${format}`)], {
    now: NOW,
    earliestDay: EARLIEST,
    bulk: !args.legacy,
    onFileLoaded: (name, took, r) => {
      ms.set(path.basename(name), took);
      loaded.push(r.accepted);
      filesDone = performance.now();
    },
  });
  const refreshMs = performance.now() - Math.max(t0, filesDone);
  for (const f of report.files) if (f.error) throw new Error(`${f.file}: ${f.error}`);
  await db.close();
  return { orders: ms.get(`orders.${format}`)!, cases: ms.get(`interventions.${format}`)!, loaded, refreshMs };
}

async function parquetCopies(): Promise<void> {
  if (fs.existsSync(file('orders.parquet')) && fs.existsSync(file('interventions.parquet'))) return;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run(`COPY (SELECT order_id, shop_id, paid_at::TIMESTAMPTZ AS paid_at, amount::DECIMAL(18, 2) AS amount
    FROM read_csv(${q(file('orders.csv'))}, all_varchar = true)) TO ${q(file('orders.parquet'))} (FORMAT parquet)`);
  await conn.run(`COPY (SELECT * REPLACE (opened_at::TIMESTAMPTZ AS opened_at, excluded::BOOLEAN AS excluded)
    FROM read_csv(${q(file('interventions.csv'))}, all_varchar = true)) TO ${q(file('interventions.parquet'))} (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
}

const rows = (name: string) => {
  const text = fs.readFileSync(file(name));
  let n = 0;
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) n++;
  return n - 1;
};

const formats = args.formats.split(',').filter((f): f is 'csv' | 'parquet' => f === 'csv' || f === 'parquet');
if (formats.includes('parquet')) await parquetCopies();
const counts = { orders: rows('orders.csv'), cases: rows('interventions.csv') };
console.log(
  `data: ${data} — ${counts.orders} orders, ${counts.cases} cases; our ingest: ${args.legacy ? 'row reader (--legacy)' : 'bulk'}; ${os.cpus().length} cores`,
);
const lines: string[] = [];
const best = <T extends { orders: number; cases: number }>(runs: T[]): T => ({
  ...runs[0],
  orders: Math.min(...runs.map((r) => r.orders)),
  cases: Math.min(...runs.map((r) => r.cases)),
});
for (const format of formats) {
  const oursRuns = [];
  const duckRuns = [];
  for (let i = 0; i < Number(args.repeat); i++) {
    oursRuns.push(await ours(format));
    duckRuns.push(await duckdbOnly(format));
    fs.rmSync(path.join(work, `ours-${format}.duckdb`), { force: true });
    fs.rmSync(path.join(work, `duckdb-only-${format}.duckdb`), { force: true });
  }
  const a = best(oursRuns);
  const b = best(duckRuns);
  for (const [what, n, ourMs, duckMs, ourLoaded, duckLoaded] of [
    ['orders', counts.orders, a.orders, b.orders, a.loaded[0], b.loaded[0]],
    ['interventions', counts.cases, a.cases, b.cases, a.loaded[1], b.loaded[1]],
  ] as const) {
    const ourRate = n / (ourMs / 1000);
    const duckRate = n / (duckMs / 1000);
    lines.push(
      `${format.padEnd(8)} ${what.padEnd(14)} ours ${Math.round(ourMs).toString().padStart(7)} ms ${Math.round(ourRate).toLocaleString('en').padStart(10)} rows/s` +
        ` | DuckDB-only ${Math.round(duckMs).toString().padStart(7)} ms ${Math.round(duckRate).toLocaleString('en').padStart(10)} rows/s` +
        ` | ratio ${(ourRate / duckRate).toFixed(2)} (loaded ${ourLoaded} vs ${duckLoaded})`,
    );
  }
  lines.push(`${format.padEnd(8)} (our batch's metrics refresh afterwards, not counted: ${Math.round(a.refreshMs)} ms)`);
}
console.log(lines.join('\n'));
fs.rmSync(work, { recursive: true, force: true });
