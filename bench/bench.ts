// npm run bench -- [--shops 100000] [--days 90] [--density 1.111] [--seed 7] [--out bench/results/latest.json]
//                  [--skip-http] [--connections 1,8,32] [--seconds 5] [--work DIR] [--keep]
//                  [--curve 10000,30000,100000,300000] [--curve-runs 1] [--ingest-compare]
//                  [--max-rows-per-file 8000000] [--log-level warn] [--cluster 1,2,3]
//
// Issue 5's benchmark, in one run on the same tables: generate the data (and Parquet copies), ingest
// it from CSV and from Parquet into fresh databases, rebuild every metric against a lower bound
// (DuckDB's bare group-by of orders and cases by shop and day), append one more day, then load the
// API of the real server (a child process) from this process with autocannon and read the server's
// peak memory. Prints a table with the targets beside the figures and writes every figure to JSON.
// Ratios are the point: this machine is noisy, two measurements taken minutes apart are not.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signToken } from '../server/auth/tokens.js';
import { Database, queryOne, queryRows } from '../server/db/database.js';
import { ingestFiles, type IngestReport } from '../server/ingest/ingest.js';
import { refreshMetrics } from '../server/pipeline/refresh.js';
import { localDaySql, zoneSpan } from '../server/pipeline/local-day.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { addDays, generate, nextDay, parquetCopies, splitOrders, type DayFiles } from './lib/data.js';
import { load, MemorySampler, memoryOf, probe, startBareServer, startServer, stopServer, type Endpoint, type LoadResult } from './lib/http.js';
import { StepTimer, type StepTime } from './lib/profile.js';
import { scaleCurve, type Curve } from './lib/curve.js';
import { int, log, mib, ms, pct, progress, ratio, table, type Line } from './lib/report.js';
import { clusterLines, clusterSection, type ClusterFigures } from './lib/cluster.js';
import { duckdbOnlyLoad, type ReferenceLoad } from './lib/duckdb-only.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The data's last day is fixed, so runs on different dates are the same data. */
const END = '2026-11-30';
/** Ingest time: after every generated timestamp and the appended days. */
const NOW = new Date('2027-01-01T00:00:00Z');
const TZ = DEFAULT_POLICY.timeZone;
/** Orders per input file, well under the 2^24 ids one file's ingest can hold in a Map. */
const MAX_ROWS_PER_FILE = 8_000_000;

/** Orders per shop-day by default: 100,000 shops × 90 days × 10 M orders (the scale issue's default scale). */
const DEFAULT_DENSITY = 10_000_000 / (100_000 * 90);

const TARGETS = {
  rebuildOverLowerBound: 1.5,
  dayRefreshShare: 0.02,
  rebuildGrowthExponent: 1.1,
  shopMetricsP95Ms: 10,
  shopMetricsReqPerSec32: 3500,
  flaggedP95Ms8: 30,
  flaggedReqPerSec32: 1000,
  /** Trend, cases, peers and forecast at 8 connections. */
  readP95Ms8: 50,
  simulateMs: 2000,
  /** Ingest rows/s ÷ the DuckDB-only checked load's rows/s, same files. */
  ingestOverReference: 0.5,
  serverMemoryBytes: 2 * 1024 ** 3,
  benchMs: 10 * 60_000,
};

interface Options {
  shops: number;
  days: number;
  /** Orders per shop-day; null: the demo generator's own (about 4.17, the data of runs before issue 15). */
  density: number | null;
  /** Shop counts of the scale curve (empty: none). */
  curve: number[];
  curveRuns: number;
  ingestCompare: boolean;
  seed: number;
  out: string;
  skipHttp: boolean;
  connections: number[];
  seconds: number;
  work: string | null;
  keep: boolean;
  logLevel: string;
  maxRowsPerFile: number;
  /** Shard counts of the cluster rows (empty: none): bench/lib/cluster.ts. */
  cluster: number[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      shops: { type: 'string', default: '100000' },
      days: { type: 'string', default: '90' },
      density: { type: 'string', default: String(DEFAULT_DENSITY) },
      curve: { type: 'string', default: '10000,30000,100000,300000' },
      'curve-runs': { type: 'string', default: '1' },
      'ingest-compare': { type: 'boolean', default: false },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: path.join(ROOT, 'bench', 'results', 'latest.json') },
      'skip-http': { type: 'boolean', default: false },
      connections: { type: 'string', default: '1,8,32' },
      seconds: { type: 'string', default: '5' },
      work: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      'max-rows-per-file': { type: 'string', default: String(MAX_ROWS_PER_FILE) },
      cluster: { type: 'string', default: '' },
    },
  });
  const whole = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} ${raw}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const connections = values.connections.split(',').map((c) => whole('connections', c.trim(), 1, 1024));
  const density = values.density === 'demo' ? null : Number(values.density);
  if (density !== null && !(Number.isFinite(density) && density > 0 && density <= 1000))
    throw new Error(`--density ${values.density}: expected orders per shop-day above 0 and at most 1000, or "demo"`);
  const curve = values.curve === 'none' || values.curve === '' ? [] : values.curve.split(',').map((c) => whole('curve', c.trim(), 10, 5_000_000));
  return {
    shops: whole('shops', values.shops, 1, 999_999),
    days: whole('days', values.days, 31, 3650),
    density,
    curve: [...new Set(curve)].sort((a, b) => a - b),
    curveRuns: whole('curve-runs', values['curve-runs'], 1, 10),
    ingestCompare: values['ingest-compare'],
    seed: whole('seed', values.seed, 0, 2 ** 31 - 1),
    out: path.resolve(values.out),
    skipHttp: values['skip-http'],
    connections: [...new Set(connections)].sort((a, b) => a - b),
    seconds: whole('seconds', values.seconds, 1, 600),
    work: values.work ? path.resolve(values.work) : null,
    keep: values.keep,
    logLevel: values['log-level'],
    maxRowsPerFile: whole('max-rows-per-file', values['max-rows-per-file'], 1000, 16_000_000),
    cluster: values.cluster === '' ? [] : [...new Set(values.cluster.split(',').map((c) => whole('cluster', c.trim(), 1, 8)))].sort((a, b) => a - b),
  };
}

/** The code measured: the commit and how many files differ from it (others may be editing). */
function gitState(): { commit: string; changedFiles: number } | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), changedFiles: git('status', '--porcelain').split('\n').filter(Boolean).length };
  } catch {
    return null;
  }
}

/**
 * A digest of server/: this process loads the server code once at its start, the server child at
 * the API phase; if the code changed in between, the two halves measured different code.
 */
function serverCodeDigest(): string {
  const hash = crypto.createHash('sha1');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|json|sql)$/.test(entry.name)) hash.update(full).update(fs.readFileSync(full));
    }
  };
  walk(path.join(ROOT, 'server'));
  return hash.digest('hex').slice(0, 12);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

function fileProgress(): (file: string, done: number, total: number) => void {
  const printers = new Map<string, (done: number, total: number) => void>();
  return (file, done, total) => {
    const name = path.basename(file);
    if (!printers.has(name)) printers.set(name, progress(`loading ${name}`));
    printers.get(name)!(done, total);
  };
}

function checkClean(report: IngestReport, what: string): void {
  if (report.exitCode === 0 && report.rejected === 0) return;
  const first = report.files
    .flatMap((f) => [f.error ? `${f.file}: ${f.error}` : null, ...f.rejects.slice(0, 3).map((r) => `${f.file}:${r.line} ${r.reason}`)])
    .filter(Boolean);
  throw new Error(`${what} did not load cleanly (exit ${report.exitCode}, ${report.rejected} rejected): ${first.join('; ')}`);
}

interface IngestFigures {
  rows: number;
  ms: number;
  refreshMs: number;
  rowsPerSec: number;
  /** Rows per second of reading, checking and storing alone (the refresh taken out). */
  loadRowsPerSec: number;
  inputBytes: number;
  steps: StepTime[];
}

/** 100,000 shops × 90 days × 10 M orders: the scale the ten-minute target is set for. */
function isDefaultScale(opts: Options): boolean {
  return opts.shops === 100_000 && opts.days === 90 && opts.density === DEFAULT_DENSITY;
}

/** The DuckDB-only checked load of a folder's order and case files (bench/lib/duckdb-only.ts). */
async function referenceLoad(dir: string, format: 'csv' | 'parquet', work: string): Promise<ReferenceLoad> {
  const files = fs.readdirSync(dir).sort();
  const r = await duckdbOnlyLoad(
    {
      shops: path.join(work, 'csv', 'shops.csv'),
      orders: files.filter((f) => /^orders.*\./.test(f) && f.endsWith(`.${format}`)).map((f) => path.join(dir, f)),
      interventions: [path.join(dir, `interventions.${format}`)],
    },
    format,
    path.join(work, `reference-${format}.duckdb`),
    { now: NOW, timeZone: TZ, earliestDay: '2000-01-01' },
  );
  log(`  ${format}: ${int(r.loaded[0])} orders in ${ms(r.ordersMs)}, ${int(r.loaded[1])} cases in ${ms(r.casesMs)}`);
  return r;
}

async function ingestInto(dbPath: string, inputs: string[], inputBytes: number, what: string): Promise<{ db: Database; figures: IngestFigures }> {
  for (const suffix of ['', '.wal']) fs.rmSync(dbPath + suffix, { force: true });
  const db = await Database.open(dbPath, { poolSize: 2 });
  const timer = new StepTimer();
  log(`ingest ${what} into a fresh database`);
  const { value: report, ms: total } = await timed(() =>
    ingestFiles(timer.wrapDatabase(db), inputs, { now: NOW, source: 'bench', onProgress: fileProgress() }),
  );
  checkClean(report, what);
  const refreshMs = report.refresh?.ms ?? 0;
  const figures: IngestFigures = {
    rows: report.accepted,
    ms: total,
    refreshMs,
    rowsPerSec: report.accepted / (total / 1000),
    loadRowsPerSec: report.accepted / ((total - refreshMs) / 1000),
    inputBytes,
    steps: timer.list().slice(0, 12),
  };
  log(
    `  ${int(figures.rows)} rows in ${ms(total)}: ${int(figures.rowsPerSec)} rows/s (${int(figures.loadRowsPerSec)} rows/s without the refresh of ${ms(refreshMs)})`,
  );
  return { db, figures };
}

/**
 * CPU time of this process so far, ms (user + system, every thread: DuckDB's too). On a shared machine
 * other work stretches wall time but not this, so ratios of CPU times are the steadier figure.
 */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * The bare group-by of orders and cases by shop and local day, materialized: what no rebuild can beat.
 * `arithmetic`: the local day as the pipeline computes it (server/pipeline/local-day.ts: the zone's
 * offsets, then arithmetic), not timezone() per row — the same group-by, cheaper, reported beside it.
 */
async function lowerBound(db: Database, arithmetic = false): Promise<{ ms: number; cpuMs: number }> {
  return db.read(async (conn) => {
    const started = performance.now();
    const cpuStarted = cpuNow();
    let day = (column: string) => `CAST(timezone($tz, ${column}) AS DATE)`;
    if (arithmetic) {
      const range = await queryOne<{ first: string; last: string }>(
        conn,
        "SELECT strftime(first_day, '%Y-%m-%d') AS first, strftime(last_day, '%Y-%m-%d') AS last FROM data_range",
      );
      const span = range ? await zoneSpan(conn, TZ, addDays(range.first, -31), range.last) : null;
      day = (column: string) => localDaySql(column, span);
    }
    await conn.run(`CREATE OR REPLACE TEMP TABLE lb_orders AS SELECT shop_id, ${day('paid_at')} AS d, count(*) AS n FROM orders GROUP BY ALL`, { tz: TZ });
    await conn.run(`CREATE OR REPLACE TEMP TABLE lb_cases AS SELECT shop_id, ${day('opened_at')} AS d, count(*) AS n FROM cases GROUP BY ALL`, { tz: TZ });
    const elapsed = { ms: performance.now() - started, cpuMs: cpuNow() - cpuStarted };
    await conn.run('DROP TABLE lb_orders');
    await conn.run('DROP TABLE lb_cases');
    return elapsed;
  });
}

interface RebuildRun {
  /** refreshMetrics' own time. */
  ms: number;
  /** With the transaction's commit. */
  wallMs: number;
  /** CPU time of this process during the rebuild (with the commit). */
  cpuMs: number;
  shopDays: number;
  steps: StepTime[];
}

async function fullRebuild(db: Database): Promise<RebuildRun> {
  const timer = new StepTimer();
  const cpuStarted = cpuNow();
  const { value: summary, ms: wallMs } = await timed(() => db.write((conn) => refreshMetrics(timer.wrap(conn), { from: null })));
  return { ms: summary.ms, wallMs, cpuMs: cpuNow() - cpuStarted, shopDays: summary.shopDays, steps: timer.list() };
}

interface AppendFigures {
  day: string;
  orders: number;
  cases: number;
  lateCases: number;
  refreshFrom: string | null;
  refreshMs: number;
  refreshShopDays: number;
  ingestMs: number;
  steps: StepTime[];
}

async function appendDay(db: Database, files: DayFiles): Promise<AppendFigures> {
  const timer = new StepTimer();
  const { value: report, ms: ingestMs } = await timed(() => ingestFiles(timer.wrapDatabase(db), [files.dir], { now: NOW, source: 'bench-append' }));
  checkClean(report, `the day ${files.day}`);
  return {
    day: files.day,
    orders: files.orders,
    cases: files.cases,
    lateCases: files.lateCases,
    refreshFrom: report.refresh?.from ?? null,
    refreshMs: report.refresh?.ms ?? NaN,
    refreshShopDays: report.refresh?.shopDays ?? 0,
    ingestMs,
    steps: timer.list().slice(0, 12),
  };
}

function stepLines(steps: StepTime[], totalMs: number, limit = 8): string {
  const sqlMs = steps.reduce((n, s) => n + s.ms, 0);
  const rows = steps
    .slice(0, limit)
    .map((s) => `    ${ms(s.ms).padStart(9)}  ${pct(s.ms / totalMs).padStart(7)}  ${s.calls > 1 ? `${s.calls}× ` : ''}${s.step}`);
  rows.push(
    `    ${ms(totalMs - sqlMs).padStart(9)}  ${pct((totalMs - sqlMs) / totalMs).padStart(7)}  outside DuckDB statements (JS: parsing, checks, level walk, appenders)`,
  );
  return rows.join('\n');
}

async function main(): Promise<void> {
  const opts = options();
  const runStarted = performance.now();
  const loadAtStart = os.loadavg();
  const top = Math.max(...opts.connections);
  const codeState = gitState();
  const codeAtStart = serverCodeDigest();
  const phases: Record<string, number> = {};
  const work = opts.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'iw-bench-'));
  fs.mkdirSync(work, { recursive: true });
  const csvDir = path.join(work, 'csv');
  const parquetDir = path.join(work, 'parquet');
  // A reused work folder starts clean: stale files would be ingested too.
  for (const name of ['csv', 'parquet', 'day1', 'day2']) fs.rmSync(path.join(work, name), { recursive: true, force: true });
  log(
    `${opts.shops} shops × ${opts.days} days, ${opts.density === null ? "the generator's own density" : `${opts.density.toFixed(3)} orders per shop-day`}, seed ${opts.seed}, work folder ${work}`,
  );

  let serverToStop: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    // 1. Data
    log('generating the data (CSV)');
    const gen = await generate(csvDir, opts.shops, opts.days, opts.seed, END, opts.density ?? undefined);
    phases.generate = gen.ms;
    log(
      `  ${int(gen.summary.orders)} orders, ${int(gen.summary.cases)} cases, ${gen.summary.first} … ${gen.summary.last}, ${mib(gen.bytes)} of CSV in ${ms(gen.ms)}`,
    );
    const parts = await splitOrders(csvDir, gen.summary.orders, opts.maxRowsPerFile);
    if (parts.length > 1)
      log(
        `  orders split into ${parts.length} files of about ${int(opts.maxRowsPerFile)} rows or fewer (ingest holds a JS Map of one file's ids; 2^24 entries at most)`,
      );
    log('making Parquet copies (DuckDB COPY)');
    const pq = await parquetCopies(csvDir, parquetDir);
    phases.parquet = pq.ms;
    log(`  ${mib(pq.bytes)} of Parquet in ${ms(pq.ms)}`);

    // 2. Ingest, each into a fresh database
    const parquetRun = await ingestInto(path.join(work, 'parquet.duckdb'), [parquetDir], pq.bytes, 'Parquet');
    await parquetRun.db.close();
    for (const suffix of ['', '.wal']) fs.rmSync(path.join(work, 'parquet.duckdb') + suffix, { force: true });
    phases.ingestParquet = parquetRun.figures.ms;
    const dbPath = path.join(work, 'bench.duckdb');
    const csvRun = await ingestInto(dbPath, [csvDir], gen.bytes, 'CSV');
    phases.ingestCsv = csvRun.figures.ms;
    const db = csvRun.db;
    // The physical reference for ingest: DuckDB alone loading the same order and case files with the same checks.
    log('the DuckDB-only checked load of the same files (the reference for ingest)');
    const reference = {
      parquet: await referenceLoad(parquetDir, 'parquet', work),
      csv: await referenceLoad(csvDir, 'csv', work),
    };
    phases.reference = reference.parquet.ms + reference.csv.ms;
    if (csvRun.figures.rows !== parquetRun.figures.rows) throw new Error(`CSV loaded ${csvRun.figures.rows} rows, Parquet ${parquetRun.figures.rows}`);

    const counts = (await db.read((conn) =>
      queryOne<{ shops: number; orders: number; cases: number; intervention_orders: number; complaint_orders: number; version: string }>(
        conn,
        `SELECT (SELECT count(*) FROM shops) AS shops, (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM cases) AS cases,
           (SELECT count(DISTINCT order_id) FROM cases WHERE kind = 'intervention') AS intervention_orders,
           (SELECT count(DISTINCT order_id) FROM cases WHERE kind = 'complaint') AS complaint_orders, version() AS version`,
      ),
    ))!;
    log(
      `  tables: ${int(counts.shops)} shops, ${int(counts.orders)} orders, ${int(counts.cases)} cases; ${pct(counts.intervention_orders / counts.orders)} of orders have an intervention`,
    );

    // 3. Full rebuild against the lower bound, interleaved so that drift hits both alike
    log('full rebuild (best of 2) against the lower bound (best of 2)');
    const lowerRuns: number[] = [];
    const lowerCpuRuns: number[] = [];
    const lowerArithmeticRuns: number[] = [];
    const rebuildRuns: RebuildRun[] = [];
    const rebuildStarted = performance.now();
    for (let i = 0; i < 2; i++) {
      const lower = await lowerBound(db);
      lowerRuns.push(lower.ms);
      lowerCpuRuns.push(lower.cpuMs);
      log(`  lower bound ${i + 1}: ${ms(lower.ms)} (CPU ${ms(lower.cpuMs)})`);
      lowerArithmeticRuns.push((await lowerBound(db, true)).ms);
      log(`  lower bound with the arithmetic local day ${i + 1}: ${ms(lowerArithmeticRuns[i])}`);
      rebuildRuns.push(await fullRebuild(db));
      log(
        `  rebuild ${i + 1}: ${ms(rebuildRuns[i].ms)} (${ms(rebuildRuns[i].wallMs)} with the commit; CPU ${ms(rebuildRuns[i].cpuMs)}), ${int(rebuildRuns[i].shopDays)} shop-days`,
      );
    }
    phases.rebuild = performance.now() - rebuildStarted;
    const lowerBest = Math.min(...lowerRuns);
    const lowerCpuBest = Math.min(...lowerCpuRuns);
    const rebuildCpuBest = Math.min(...rebuildRuns.map((r) => r.cpuMs));
    const best = rebuildRuns.reduce((a, b) => (b.ms < a.ms ? b : a));
    console.error(`  where the best rebuild's ${ms(best.ms)} went:\n${stepLines(best.steps, best.ms)}`);

    // 4. One more day
    log(`appending one day (${addDays(gen.summary.last, 1)}: orders and their same-day cases)`);
    const appendStarted = performance.now();
    const day1 = await appendDay(db, await nextDay(db, path.join(work, 'day1'), addDays(gen.summary.last, 1), opts.seed, 0));
    log(`  ${int(day1.orders)} orders, ${int(day1.cases)} cases: ingest ${ms(day1.ingestMs)}, refresh from ${day1.refreshFrom} ${ms(day1.refreshMs)}`);
    console.error(`  where the append's ${ms(day1.ingestMs)} went:\n${stepLines(day1.steps, day1.ingestMs)}`);
    // Real disputes are mostly opened days after payment (the generator: 88 %); such a day reaches back.
    log(`appending a realistic day (${addDays(gen.summary.last, 2)}: 88 % of its cases on orders of the 10 days before)`);
    const day2 = await appendDay(db, await nextDay(db, path.join(work, 'day2'), addDays(gen.summary.last, 2), opts.seed, 0.88));
    log(
      `  ${int(day2.orders)} orders, ${int(day2.cases)} cases (${int(day2.lateCases)} late): ingest ${ms(day2.ingestMs)}, refresh from ${day2.refreshFrom} ${ms(day2.refreshMs)}`,
    );
    phases.append = performance.now() - appendStarted;

    const shopIds = (await db.read((conn) => queryRows<{ shop_id: string }>(conn, 'SELECT shop_id FROM shops ORDER BY shop_id'))).map((r) => r.shop_id);
    const benchMemory = memoryOf(process.pid);
    await db.close();
    const dbBytes = fs.statSync(dbPath).size;

    // 5./6. The API, from a separate process, and the server's memory
    const api: LoadResult[] = [];
    let serverMemory: { maxRss: number; peakHwm: number; samples: number; maxRssByEndpoint: Record<string, number>; exitCode: number | null } | null = null;
    let simulateProbeMs: number | null = null;
    let codeAtServerStart: string | null = null;
    if (!opts.skipHttp) {
      const httpStarted = performance.now();
      const secret = crypto.randomBytes(24).toString('hex');
      log('starting the server (node --import tsx server/main.ts, DEMO=off)');
      codeAtServerStart = serverCodeDigest();
      if (codeAtServerStart !== codeAtStart)
        log('WARNING: server/ changed since this run started; the API phase runs newer code than the ingest and rebuild phases did');
      const server = await startServer(ROOT, dbPath, secret, opts.logLevel);
      serverToStop = server;
      const sampler = new MemorySampler(server.pid).start();
      log(`  pid ${server.pid} on 127.0.0.1:${server.port}`);
      const token = await signToken(new TextEncoder().encode(secret), { role: 'reviewer', subject: 'bench' }, '2h');
      let seq = 0;
      const randomShop = () => shopIds[(Math.imul(++seq, 2654435761) >>> 0) % shopIds.length];
      const candidate = { ...DEFAULT_POLICY, version: 'bench-flag-ratio-4', flagRatio: 4 };
      const endpoints: (Endpoint & { only?: number[] })[] = [
        { name: 'shop metrics', method: 'GET', path: () => `/api/shops/${randomShop()}/metrics` },
        { name: 'flagged list', method: 'GET', path: () => '/api/flagged?limit=50' },
        { name: 'trend', method: 'GET', path: () => `/api/shops/${randomShop()}/trend` },
        { name: 'cases', method: 'GET', path: () => `/api/shops/${randomShop()}/cases` },
        { name: 'peers', method: 'GET', path: () => `/api/shops/${randomShop()}/peers` },
        { name: 'forecast', method: 'GET', path: () => `/api/shops/${randomShop()}/forecast` },
        { name: 'simulate', method: 'POST', path: () => '/api/policy/simulate', body: JSON.stringify({ policy: candidate }) },
        // A reference, not a target: the same stack (HTTP, auth, validation) without the database.
        { name: 'me, no DB (ref)', method: 'GET', path: () => '/api/me', only: [top] },
      ];
      for (const endpoint of endpoints) {
        sampler.phase(endpoint.name);
        let first = await probe(server.port, token, endpoint);
        if (first.status !== 200) throw new Error(`${endpoint.name}: HTTP ${first.status} ${first.body.slice(0, 300)}`);
        // A slow first request: a second, warm one tells the time (the first may have planned queries or
        // waited for the latest day's model); only an endpoint still slow when warm is measured at low
        // concurrency only.
        if (first.ms > 250) first = await probe(server.port, token, endpoint);
        const slow = first.ms > 250;
        let connections = endpoint.only ?? opts.connections;
        if (slow) connections = connections.filter((c) => c <= 8);
        if (endpoint.name === 'simulate') simulateProbeMs = first.ms;
        if (slow) log(`  ${endpoint.name}: one request takes ${ms(first.ms)}; measured at ${connections.join(', ')} connections`);
        for (const c of connections) {
          const r = await load(server.port, token, endpoint, c, slow ? Math.max(opts.seconds, 30) : opts.seconds, slow ? { slowMs: first.ms } : {});
          api.push(r);
          log(
            `  ${endpoint.name.padEnd(13)} ${String(c).padStart(3)} conn: p50 ${ms(r.p50)}, p95 ${ms(r.p95)}, p99 ${ms(r.p99)}, ${r.reqPerSec.toFixed(1)} req/s (${r.ok} ok in ${r.seconds.toFixed(1)} s, ${r.failed} failed)`,
          );
        }
      }
      sampler.stop();
      const exitCode = await stopServer(server);
      serverToStop = null;
      const bare = await startBareServer();
      serverToStop = bare;
      const bareResult = await load(bare.port, token, { name: 'bare node http (ref)', method: 'GET', path: () => '/' }, top, opts.seconds);
      api.push(bareResult);
      log(`  bare node http ${top} conn (reference): p50 ${ms(bareResult.p50)}, p95 ${ms(bareResult.p95)}, ${bareResult.reqPerSec.toFixed(1)} req/s`);
      await stopServer(bare);
      serverToStop = null;
      serverMemory = { maxRss: sampler.maxRss, peakHwm: sampler.maxHwm, samples: sampler.samples, maxRssByEndpoint: sampler.byPhase, exitCode };
      log(`  server: peak RSS ${mib(sampler.maxHwm)} (VmHWM), max sampled RSS ${mib(sampler.maxRss)}; exit code ${exitCode}`);
      phases.http = performance.now() - httpStarted;
    }
    // 7. The scale curve: the rebuild at several shop counts, each made from this run's database
    let curve: Curve | null = null;
    if (opts.curve.length > 0) {
      log(`scale curve: full rebuild and lower bound at ${opts.curve.map(int).join(', ')} shops (best of ${opts.curveRuns})`);
      const curveStarted = performance.now();
      curve = await scaleCurve(dbPath, work, opts.curve, opts.curveRuns, lowerBound, log);
      phases.curve = performance.now() - curveStarted;
      log(`  growth exponent: rebuild ${curve.rebuildExponent?.toFixed(3) ?? '—'}, lower bound ${curve.lowerBoundExponent?.toFixed(3) ?? '—'} (1 is linear)`);
    }

    // 8. The DuckDB-only checked load of the same files (bench/ingest-compare.ts), when asked for
    let ingestCompare: { exitCode: number | null; output: string } | null = null;
    const compareScript = path.join(ROOT, 'bench', 'ingest-compare.ts');
    if (opts.ingestCompare && fs.existsSync(compareScript)) {
      log('ingest against a DuckDB-only checked load of the same CSV files (bench/ingest-compare.ts)');
      const child = spawnSync(process.execPath, ['--import', 'tsx', compareScript, '--data', csvDir], { cwd: ROOT, encoding: 'utf8' });
      ingestCompare = { exitCode: child.status, output: `${child.stdout ?? ''}${child.stderr ?? ''}`.trim() };
      console.error(ingestCompare.output.replace(/^/gm, '  '));
    } else if (opts.ingestCompare) log('--ingest-compare: bench/ingest-compare.ts is not there; skipped');

    // 9. Cluster mode (--cluster 1,2,3): the same files through a local ClickHouse cluster, embedded beside it
    let cluster: ClusterFigures | null = null;
    if (opts.cluster.length > 0) {
      const clusterStarted = performance.now();
      cluster = await clusterSection(csvDir, work, opts.cluster, NOW, log);
      phases.cluster = performance.now() - clusterStarted;
    }
    phases.total = performance.now() - runStarted;

    // ---- The table
    const rebuildRatio = best.ms / lowerBest;
    // The sparse engine's own share: the candidate shops' window counts (the only shop-day grid left) and the category sums.
    const denseMs = best.steps.filter((s) => /^CANDIDATE_COUNTS|^CATEGORY_SUMS/.test(s.step)).reduce((n, s) => n + s.ms, 0);
    const dayShare = day1.refreshMs / best.ms;
    const lines: Line[] = [
      { what: `data: shops × days`, figure: `${int(counts.shops)} × ${opts.days}` },
      { what: 'data: orders', figure: int(counts.orders) },
      { what: 'data: cases (orders with an intervention)', figure: `${int(counts.cases)} (${pct(counts.intervention_orders / counts.orders)})` },
      { what: 'generate CSV', figure: `${ms(gen.ms)}, ${mib(gen.bytes)}` },
      { what: 'ingest CSV (whole batch, with its refresh)', figure: `${int(csvRun.figures.rowsPerSec)} rows/s`, note: `${ms(csvRun.figures.ms)} in all` },
      { what: 'ingest CSV, without the refresh', figure: `${int(csvRun.figures.loadRowsPerSec)} rows/s` },
      {
        what: 'ingest Parquet (whole batch, with its refresh)',
        figure: `${int(parquetRun.figures.rowsPerSec)} rows/s`,
        note: `${ms(parquetRun.figures.ms)} in all`,
      },
      { what: 'ingest Parquet, without the refresh', figure: `${int(parquetRun.figures.loadRowsPerSec)} rows/s` },
      ...(['csv', 'parquet'] as const).map((format): Line => {
        const ours = (format === 'csv' ? csvRun : parquetRun).figures.loadRowsPerSec;
        const ref = reference[format];
        const refRate = (ref.loaded[0] + ref.loaded[1]) / (ref.ms / 1000);
        return {
          what: `ingest ${format === 'csv' ? 'CSV' : 'Parquet'} ÷ DuckDB-only checked load of the same files`,
          figure: `${int(ours)} ÷ ${int(refRate)} rows/s = ${(ours / refRate).toFixed(2)}`,
          target: `≥ ${TARGETS.ingestOverReference}`,
          met: ours / refRate >= TARGETS.ingestOverReference,
          note: `reference ${ms(ref.ms)} for ${int(ref.loaded[0] + ref.loaded[1])} rows`,
        };
      }),
      { what: 'lower bound: group-by orders+cases by shop, day', figure: ms(lowerBest) },
      {
        what: 'lower bound with the local day by arithmetic (as the pipeline computes it)',
        figure: ms(Math.min(...lowerArithmeticRuns)),
        note: `rebuild ÷ it = ${ratio(best.ms / Math.min(...lowerArithmeticRuns))}`,
      },
      {
        what: `rebuild: the candidate shops' window counts and the category sums (CANDIDATE_COUNTS + CATEGORY_SUMS)`,
        figure: ms(denseMs),
        note: `${pct(denseMs / best.ms)} of the rebuild, ${ratio(denseMs / lowerBest)} the lower bound on its own`,
      },
      { what: 'full rebuild (refreshMetrics from null)', figure: ms(best.ms), note: `${ms(best.wallMs)} with the commit` },
      {
        what: 'full rebuild ÷ lower bound',
        figure: ratio(rebuildRatio),
        target: `≤ ${TARGETS.rebuildOverLowerBound}×`,
        met: rebuildRatio <= TARGETS.rebuildOverLowerBound,
      },
      {
        what: 'full rebuild ÷ lower bound, by CPU time',
        figure: `${ms(rebuildCpuBest)} ÷ ${ms(lowerCpuBest)} = ${ratio(rebuildCpuBest / lowerCpuBest)}`,
        note: 'steadier on a shared machine',
      },
      { what: `one-day refresh (from ${day1.refreshFrom})`, figure: ms(day1.refreshMs) },
      { what: 'one-day refresh ÷ full rebuild', figure: pct(dayShare), target: `≤ ${pct(TARGETS.dayRefreshShare)}`, met: dayShare <= TARGETS.dayRefreshShare },
      { what: 'one-day whole ingest ÷ full rebuild', figure: pct(day1.ingestMs / best.ms), note: `${ms(day1.ingestMs)} in all` },
      { what: `realistic day: refresh (from ${day2.refreshFrom}) ÷ rebuild`, figure: pct(day2.refreshMs / best.ms), note: ms(day2.refreshMs) },
      { what: 'realistic day: whole ingest ÷ full rebuild', figure: pct(day2.ingestMs / best.ms), note: `${ms(day2.ingestMs)} in all` },
    ];
    if (curve) {
      for (const p of curve.points)
        lines.push({
          what: `curve: ${int(p.shops)} shops (${int(p.orders)} orders)`,
          figure: `${ms(p.rebuildMs)} ÷ ${ms(p.lowerBoundMs)} = ${ratio(p.overLowerBound)}`,
          note: `CPU ${ms(p.rebuildCpuMs)} ÷ ${ms(p.lowerBoundCpuMs)} = ${ratio(p.rebuildCpuMs / p.lowerBoundCpuMs)}`,
        });
      if (curve.rebuildExponent !== null) {
        lines.push({
          what: `curve: rebuild growth exponent (${int(curve.points[0].shops)} → ${int(curve.points[curve.points.length - 1].shops)} shops)`,
          figure: curve.rebuildExponent.toFixed(3),
          target: `≤ ${TARGETS.rebuildGrowthExponent}`,
          met: curve.rebuildExponent <= TARGETS.rebuildGrowthExponent,
        });
        lines.push({ what: 'curve: rebuild growth exponent by CPU time', figure: curve.rebuildCpuExponent?.toFixed(3) ?? '—' });
        lines.push({ what: 'curve: lower bound growth exponent', figure: curve.lowerBoundExponent?.toFixed(3) ?? '—' });
      }
    }
    for (const r of api) {
      const label = `${r.endpoint} @${r.connections}`;
      const p95Target =
        r.endpoint === 'shop metrics'
          ? TARGETS.shopMetricsP95Ms
          : r.endpoint === 'flagged list' && r.connections <= 8
            ? TARGETS.flaggedP95Ms8
            : ['trend', 'cases', 'peers', 'forecast'].includes(r.endpoint) && r.connections === 8
              ? TARGETS.readP95Ms8
              : r.endpoint === 'simulate' && r.connections === 1
                ? TARGETS.simulateMs
                : null;
      lines.push({ what: `${label}: p50 / p99`, figure: `${ms(r.p50)} / ${ms(r.p99)}` });
      lines.push({ what: `${label}: p95`, figure: ms(r.p95), ...(p95Target !== null ? { target: `≤ ${p95Target} ms`, met: r.p95 <= p95Target } : {}) });
      const rpsTarget =
        r.connections !== 32
          ? null
          : r.endpoint === 'shop metrics'
            ? TARGETS.shopMetricsReqPerSec32
            : r.endpoint === 'flagged list'
              ? TARGETS.flaggedReqPerSec32
              : null;
      lines.push({
        what: `${label}: throughput`,
        figure: `${r.reqPerSec.toFixed(r.reqPerSec < 10 ? 2 : 0)} req/s`,
        ...(rpsTarget !== null ? { target: `≥ ${int(rpsTarget)} req/s`, met: r.reqPerSec >= rpsTarget } : {}),
      });
      if (r.failed > 0) lines.push({ what: `${label}: failed requests`, figure: int(r.failed), target: '0', met: false });
    }
    if (serverMemory) {
      lines.push({
        what: 'server peak memory (VmHWM)',
        figure: mib(serverMemory.peakHwm),
        target: `≤ ${mib(TARGETS.serverMemoryBytes)}`,
        met: serverMemory.peakHwm <= TARGETS.serverMemoryBytes,
      });
      for (const [phase, rss] of Object.entries(serverMemory.maxRssByEndpoint)) lines.push({ what: `  server RSS, largest during ${phase}`, figure: mib(rss) });
    }
    if (benchMemory) lines.push({ what: 'bench process peak memory (ingest, rebuild)', figure: mib(benchMemory.hwm) });
    if (cluster) lines.push(...clusterLines(cluster));
    lines.push({ what: 'database file', figure: mib(dbBytes) });
    lines.push({
      what: 'whole bench run',
      figure: ms(phases.total),
      ...(isDefaultScale(opts) ? { target: `≤ ${ms(TARGETS.benchMs)}`, met: phases.total <= TARGETS.benchMs } : {}),
    });

    const machine = {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.cpus().length,
      totalMemory: os.totalmem(),
      node: process.version,
      duckdb: counts.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      date: new Date().toISOString(),
      /** Other work on the machine: 1-minute load averages when the run started and ended. */
      loadAverage: { start: loadAtStart[0], end: os.loadavg()[0] },
      git: codeState,
      serverCode: { atStart: codeAtStart, atServerStart: codeAtServerStart, atEnd: serverCodeDigest() },
    };
    const title = `Intervention Watch bench — ${machine.cpus} × ${machine.cpuModel}, ${mib(machine.totalMemory)}, Node ${machine.node}, DuckDB ${machine.duckdb}, ${machine.date.slice(0, 16)}Z, load average ${machine.loadAverage.start.toFixed(1)} → ${machine.loadAverage.end.toFixed(1)}`;
    console.log(`\n${table(title, lines)}\n`);
    if (machine.serverCode.atEnd !== codeAtStart)
      console.log('WARNING: server/ changed during this run (see machine.serverCode in the JSON); its phases measured different code.');
    if (opts.connections.every((c) => c !== 32)) console.log(`(the throughput target is judged at 32 connections; this run went to ${top})`);

    const targets = lines.filter((l) => l.met !== undefined).map((l) => ({ measure: l.what, figure: l.figure, target: l.target, met: l.met }));
    const result = {
      machine,
      options: {
        shops: opts.shops,
        days: opts.days,
        density: opts.density,
        curve: opts.curve,
        curveRuns: opts.curveRuns,
        seed: opts.seed,
        end: END,
        ingestNow: NOW.toISOString(),
        connections: opts.connections,
        seconds: opts.seconds,
        skipHttp: opts.skipHttp,
        serverLogLevel: opts.logLevel,
      },
      data: {
        shops: counts.shops,
        orders: counts.orders,
        cases: counts.cases,
        interventionOrders: counts.intervention_orders,
        complaintOrders: counts.complaint_orders,
        interventionOrderShare: counts.intervention_orders / counts.orders,
        first: gen.summary.first,
        last: gen.summary.last,
        csvBytes: gen.bytes,
        parquetBytes: pq.bytes,
        generateMs: gen.ms,
        parquetMs: pq.ms,
        databaseBytes: dbBytes,
      },
      ingest: { csv: csvRun.figures, parquet: parquetRun.figures, duckdbOnlyReference: reference },
      rebuild: {
        lowerBoundMs: lowerRuns,
        lowerBoundBestMs: lowerBest,
        lowerBoundArithmeticMs: lowerArithmeticRuns,
        candidateGridMs: denseMs,
        lowerBoundCpuMs: lowerCpuRuns,
        runs: rebuildRuns.map((r) => ({ ms: r.ms, wallMs: r.wallMs, cpuMs: r.cpuMs, shopDays: r.shopDays })),
        overLowerBoundByCpu: rebuildCpuBest / lowerCpuBest,
        bestMs: best.ms,
        bestWallMs: best.wallMs,
        overLowerBound: rebuildRatio,
        steps: best.steps,
      },
      append: {
        oneDay: { ...day1, overFullRebuild: dayShare, ingestOverFullRebuild: day1.ingestMs / best.ms },
        realisticDay: { ...day2, overFullRebuild: day2.refreshMs / best.ms, ingestOverFullRebuild: day2.ingestMs / best.ms },
      },
      api: { results: api, simulateFirstRequestMs: simulateProbeMs },
      curve,
      ingestCompare,
      cluster,
      memory: { server: serverMemory, benchProcess: benchMemory },
      targets: { limits: TARGETS, verdicts: targets },
      phasesMs: phases,
    };
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
    log(`figures written to ${path.relative(process.cwd(), opts.out) || opts.out}`);
  } finally {
    if (serverToStop) serverToStop.child.kill('SIGKILL');
    if (!opts.keep && !opts.work) fs.rmSync(work, { recursive: true, force: true });
    else log(`work folder kept: ${work}`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
