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
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from '../server/db/database.js';
import { ingestFiles } from '../server/ingest/ingest.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { duckdbOnlyLoad } from './lib/duckdb-only.js';

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

const ordersFiles = (format: string) =>
  fs
    .readdirSync(data)
    .filter((f) => /^orders.*\.(csv|parquet)$/.test(f) && f.endsWith(`.${format}`))
    .sort()
    .map(file);

async function duckdbOnly(format: 'csv' | 'parquet'): Promise<{ orders: number; cases: number; loaded: number[] }> {
  const r = await duckdbOnlyLoad(
    { shops: file('shops.csv'), orders: ordersFiles(format), interventions: [file(`interventions.${format}`)] },
    format,
    path.join(work, `duckdb-only-${format}.duckdb`),
    { now: NOW, timeZone: TZ, earliestDay: EARLIEST },
  );
  return { orders: r.ordersMs, cases: r.casesMs, loaded: r.loaded };
}

async function ours(format: 'csv' | 'parquet'): Promise<{ orders: number; cases: number; loaded: number[]; refreshMs: number }> {
  const db = await Database.open(path.join(work, `ours-${format}.duckdb`), { poolSize: 2 });
  await ingestFiles(db, [file('categories.csv'), file('shops.csv')], { now: NOW, earliestDay: EARLIEST });
  const ms = new Map<string, number>();
  const loaded: number[] = [];
  const t0 = performance.now();
  let filesDone = 0;
  const report = await ingestFiles(db, [...ordersFiles(format), file(`interventions.${format}`)], {
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
  const ordersMs = ordersFiles(format).reduce((sum, f) => sum + ms.get(path.basename(f))!, 0);
  const ordersLoaded = loaded.slice(0, -1).reduce((a, b) => a + b, 0);
  return { orders: ordersMs, cases: ms.get(`interventions.${format}`)!, loaded: [ordersLoaded, loaded[loaded.length - 1]], refreshMs };
}

async function parquetCopies(): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  for (const csvFile of [...ordersFiles('csv'), file('interventions.csv')]) {
    const target = csvFile.replace(/\.csv$/, '.parquet');
    if (fs.existsSync(target)) continue;
    await conn.run(`COPY (SELECT * FROM read_csv(${q(csvFile)}, all_varchar = true)) TO ${q(target)} (FORMAT parquet)`);
  }
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
const counts = { orders: ordersFiles('csv').reduce((n, f) => n + rows(path.basename(f)), 0), cases: rows('interventions.csv') };
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
