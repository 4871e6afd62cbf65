// Crash safety (issue 6): an ingest killed with SIGKILL at any moment leaves the database exactly as
// it was before that batch or exactly as it is after it, never a mix; a server killed mid-upload
// restarts cleanly. Reference states are computed once by ingesting without a kill.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import { Database, queryRows } from '../../server/db/database.js';
import { generateDemo, defaultDemoEnd } from '../../server/generate/demo.js';
import { ingestFiles } from '../../server/ingest/ingest.js';
import { tempDir } from '../helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'crash-test-secret-0123456789abcdef0123';

// ---------------------------------------------------------------------------------------------
// Data: a generated demo split into batch 1 (the older days) and batch 2 (the newer days, plus
// revisions of batch-1 cases that change history, plus two bad rows so rejects are written too).

interface Batches {
  b1: string;
  b2: string;
  /** Orders and cases in batch 2 (for a sanity check that batch 2 changes something). */
  b2Rows: number;
}

async function makeBatches(root: string, shops: number, days: number, cutoffDay: number): Promise<Batches> {
  const src = path.join(root, 'src');
  // A fixed end day keeps the data the same from run to run (unless the clock is earlier than it).
  const end = ['2026-11-20', defaultDemoEnd(new Date(Date.now() - 2 * 86_400_000))].sort()[0];
  const summary = await generateDemo({ shops, days, seed: 20261126, end, out: src });
  const b1 = path.join(root, 'b1');
  const b2 = path.join(root, 'b2');
  fs.mkdirSync(b1);
  fs.mkdirSync(b2);
  fs.copyFileSync(path.join(src, 'categories.csv'), path.join(b1, 'categories.csv'));
  fs.copyFileSync(path.join(src, 'shops.csv'), path.join(b1, 'shops.csv'));
  // Order ids are O{yyyymmdd}{seq}: the local paid day is in the id.
  const cutoff = addDaysCompact(summary.first, cutoffDay);
  const orderDay = (orderId: string) => orderId.slice(1, 9);
  const [orderHeader, ...orderLines] = readLines(path.join(src, 'orders.csv'));
  const [caseHeader, ...caseLines] = readLines(path.join(src, 'interventions.csv'));
  const o1 = orderLines.filter((l) => orderDay(l) < cutoff);
  const o2 = orderLines.filter((l) => orderDay(l) >= cutoff);
  const c1 = caseLines.filter((l) => orderDay(l.split(',')[1]) < cutoff);
  const c2 = caseLines.filter((l) => orderDay(l.split(',')[1]) >= cutoff);
  // Every 4th batch-1 intervention is closed and excluded in batch 2: history changes.
  const revised = c1
    .filter((_, i) => i % 4 === 0)
    .map((l) => {
      const f = l.split(',');
      f[6] = 'closed';
      f[7] = 'withdrawn';
      f[8] = 'true';
      f[9] = 'force_majeure';
      return f.join(',');
    });
  expect(o1.length).toBeGreaterThan(1000);
  expect(o2.length).toBeGreaterThan(1000);
  expect(revised.length).toBeGreaterThan(10);
  writeLines(path.join(b1, 'orders.csv'), [orderHeader, ...o1]);
  writeLines(path.join(b1, 'interventions.csv'), [caseHeader, ...c1]);
  writeLines(path.join(b2, 'orders-2.csv'), [orderHeader, ...o2, 'BAD-1,S00001,not a time,1.00']);
  writeLines(path.join(b2, 'interventions-2.csv'), [caseHeader, ...c2, ...revised, 'BAD-2,X,S00001,2026-01-01T00:00:00Z,refund,,open,,false,']);
  return { b1, b2, b2Rows: o2.length + c2.length + revised.length };
}

function addDaysCompact(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}

function readLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

function writeLines(file: string, lines: string[]): void {
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------
// State fingerprint: per table, the row count and an order-independent sum of row hashes over the
// columns that describe data (not the wall-clock moments at which an ingest ran).

const FINGERPRINT: Record<string, string> = {
  categories: 'category_id, category_name, parent_id',
  shops: 'shop_id, shop_name, category_id',
  orders: 'order_id, shop_id, paid_at, amount',
  cases: 'case_id, order_id, shop_id, opened_at, kind, reason, status, outcome, excluded, exclusion_reason',
  shop_day: '*',
  category_day: '*',
  restriction_episodes: '*',
  data_range: 'first_day, last_day, window_days, policy_version',
  policy_versions: 'version, body, active, effective_from',
  ingest_batches: 'batch_id, files, accepted, rejected, outcome',
  ingest_files: 'batch_id, kind, accepted, rejected, error',
  ingest_rejects: 'batch_id, line, column_name, reason',
};

type Fingerprint = Record<string, string>;

async function fingerprintOf(db: Database): Promise<Fingerprint> {
  const out: Fingerprint = {};
  for (const [table, columns] of Object.entries(FINGERPRINT)) {
    const [row] = await db.read((conn) =>
      queryRows<{ n: number; h: string }>(conn, `SELECT count(*) AS n, coalesce(sum(hash(t))::VARCHAR, '0') AS h FROM (SELECT ${columns} FROM ${table}) AS t`),
    );
    out[table] = `${row.n}:${row.h}`;
  }
  return out;
}

async function fingerprintFile(dbPath: string): Promise<Fingerprint> {
  const db = await Database.open(dbPath, { poolSize: 1 });
  try {
    return await fingerprintOf(db);
  } finally {
    await db.close();
  }
}

/** 'before', 'after', or a description of the mix (which tables match which state). */
function classify(state: Fingerprint, before: Fingerprint, after: Fingerprint): string {
  const tables = Object.keys(FINGERPRINT);
  if (tables.every((t) => state[t] === before[t])) return 'before';
  if (tables.every((t) => state[t] === after[t])) return 'after';
  return 'MIX: ' + tables.map((t) => `${t}=${state[t] === before[t] ? 'before' : state[t] === after[t] ? 'after' : 'neither'}`).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be repeated with its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function spawnIngest(dbPath: string, dir: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'server/cli/ingest.ts', '--db', dbPath, dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Server {
  child: ChildProcess;
  base: string;
  output: () => string;
}

/** Starts the server on a database (no demo, port chosen by the system) and waits until it listens. */
async function startServer(dbPath: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DB_PATH: dbPath, PORT: '0', AUTH_SECRET: SECRET, DEMO: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const port = /serving http:\/\/localhost:(\d+)/.exec(output)?.[1];
    if (port) return { child, base: `http://127.0.0.1:${port}`, output: () => output };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${output}`);
}

async function uploadForm(dir: string): Promise<FormData> {
  const form = new FormData();
  for (const name of fs.readdirSync(dir).sort()) form.append('files', new Blob([fs.readFileSync(path.join(dir, name))]), name);
  return form;
}

// ---------------------------------------------------------------------------------------------

describe.sequential('crash safety', () => {
  let root: string;
  let batches: Batches;
  let baseDb: string; // batch 1 only, checkpointed: the state before batch 2
  let before: Fingerprint;
  let after: Fingerprint;
  let afterLastDay: string;
  let beforeLastDay: string;
  let ingestMs: number; // batch 2 through the CLI, start to exit, without a kill

  beforeAll(async () => {
    root = tempDir('iw-crash-');
    batches = await makeBatches(root, 300, 60, 30);
    baseDb = path.join(root, 'base.duckdb');
    const db = await Database.open(baseDb, { poolSize: 2 });
    const report = await ingestFiles(db, [batches.b1]);
    expect(report.exitCode).toBe(0);
    before = await fingerprintOf(db);
    beforeLastDay = (await db.read((conn) => queryRows<{ d: string }>(conn, "SELECT strftime(last_day, '%Y-%m-%d') AS d FROM data_range")))[0].d;
    await db.close();
    expect(fs.existsSync(`${baseDb}.wal`) ? fs.statSync(`${baseDb}.wal`).size : 0).toBe(0);

    // The state after batch 2, through the same CLI the kills interrupt; its duration spaces the kills.
    const afterDb = path.join(root, 'after.duckdb');
    fs.copyFileSync(baseDb, afterDb);
    const started = performance.now();
    const child = spawnIngest(afterDb, batches.b2);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const { code } = await exited(child);
    ingestMs = performance.now() - started;
    expect(code, stderr).toBe(3); // batch 2 carries two bad rows on purpose
    after = await fingerprintFile(afterDb);
    const db2 = await Database.open(afterDb, { poolSize: 1 });
    afterLastDay = (await db2.read((conn) => queryRows<{ d: string }>(conn, "SELECT strftime(last_day, '%Y-%m-%d') AS d FROM data_range")))[0].d;
    await db2.close();
    console.log(`crash: batch 2 (${batches.b2Rows} rows) ingests through the CLI in ${Math.round(ingestMs)} ms`);
  });

  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('batch 2 changes every materialized table, so a mix would be visible', () => {
    for (const table of ['orders', 'cases', 'shop_day', 'category_day', 'restriction_episodes', 'data_range', 'ingest_batches', 'ingest_rejects']) {
      expect(after[table], table).not.toBe(before[table]);
    }
    expect(afterLastDay > beforeLastDay).toBe(true);
  });

  it('an ingest killed with SIGKILL at random moments leaves the state before or after the batch, never a mix', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000_007);
    const random = rng(seed);
    // Three kinds of moment, each at a random offset:
    //  - 'run':    stratified over the measured duration (start-up, reading, staging, refreshing);
    //  - 'commit': as soon as the write-ahead log appears, i.e. while DuckDB writes the commit;
    //  - 'closed': after the CLI printed its report (the commit is done), while it checkpoints and closes.
    const plan: ('run' | 'commit' | 'closed')[] = [...Array(6).fill('run'), ...Array(4).fill('commit'), ...Array(3).fill('closed')];
    const outcomes: { phase: string; delayMs: number; killed: boolean; state: string }[] = [];
    const deadline = Date.now() + 120_000;
    for (let i = 0; i < plan.length && Date.now() < deadline; i++) {
      const phase = plan[i];
      const dbPath = path.join(root, `kill-${i}.duckdb`);
      fs.copyFileSync(baseDb, dbPath);
      const wal = `${dbPath}.wal`;
      const child = spawnIngest(dbPath, batches.b2);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      let printed = false;
      child.stdout!.on('data', () => (printed = true));
      const alive = () => child.exitCode === null && child.signalCode === null;
      const t0 = performance.now();
      if (phase === 'run') {
        await sleep(((i + random()) / 6) * ingestMs * 0.95);
      } else {
        // Poll every millisecond for the moment: the WAL has bytes, or the report is on stdout.
        const reached = () => (phase === 'commit' ? fs.existsSync(wal) && fs.statSync(wal).size > 0 : printed);
        while (alive() && !reached() && performance.now() - t0 < ingestMs * 4) await sleep(1);
        await sleep(phase === 'commit' ? random() * 8 : random() * 30);
      }
      const delayMs = Math.round(performance.now() - t0);
      const killed = alive() && child.kill('SIGKILL');
      const result = await exited(child);
      if (!killed) expect(result.code, `an ingest that was not killed ends normally (3: two bad rows)\n${stderr}`).toBe(3);
      const state = classify(await fingerprintFile(dbPath), before, after);
      outcomes.push({ phase, delayMs, killed: killed && result.signal === 'SIGKILL', state });
      fs.rmSync(dbPath, { force: true });
      fs.rmSync(wal, { force: true });
    }
    console.log(
      `crash: seed ${seed}; kills (phase@ms → state): ` + outcomes.map((o) => `${o.phase}@${o.delayMs}${o.killed ? '' : '(had exited)'}→${o.state}`).join(', '),
    );
    expect(outcomes.length).toBeGreaterThanOrEqual(12);
    for (const o of outcomes) expect(o.state, `${o.phase} kill after ${o.delayMs} ms (seed ${seed})`).toMatch(/^(before|after)$/);
    // Kills after the report must find the batch committed; real kills landed on both sides of the commit.
    for (const o of outcomes.filter((x) => x.phase === 'closed')) expect(o.state).toBe('after');
    expect(outcomes.some((o) => o.killed && o.state === 'before')).toBe(true);
    expect(outcomes.some((o) => o.killed && o.state === 'after')).toBe(true);
  }, 170_000);

  it('a server killed with SIGKILL during an upload restarts cleanly and answers /api/health', async () => {
    const admin = await signToken(new TextEncoder().encode(SECRET), { role: 'admin' });
    const dbPath = path.join(root, 'server.duckdb');
    fs.copyFileSync(baseDb, dbPath);

    const first = await startServer(dbPath);
    let uploadOutcome = 'pending';
    try {
      const health = await fetch(`${first.base}/api/health`);
      expect(await health.json()).toMatchObject({ status: 'ok', dataThrough: beforeLastDay });
      const upload = fetch(`${first.base}/api/ingest`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${admin}` },
        body: await uploadForm(batches.b2),
      }).then(
        (res) => (uploadOutcome = `answered ${res.status}`),
        () => (uploadOutcome = 'failed'),
      );
      // Mid-ingest: at a random moment within the first half of the measured duration, or the moment
      // the write-ahead log appears (the upload's commit under way), whichever comes first.
      const wal = `${dbPath}.wal`;
      const killAt = performance.now() + Math.max(150, ingestMs * (0.15 + 0.35 * Math.random()));
      while (performance.now() < killAt && !(fs.existsSync(wal) && fs.statSync(wal).size > 0)) await sleep(1);
      first.child.kill('SIGKILL');
      expect((await exited(first.child)).signal).toBe('SIGKILL');
      await upload;
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
    }
    expect(uploadOutcome, 'the kill must land while the upload is in flight').toBe('failed');

    const second = await startServer(dbPath);
    let restartedLastDay: string;
    try {
      const health = await fetch(`${second.base}/api/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; dataThrough: string };
      expect(body.status).toBe('ok');
      expect([beforeLastDay, afterLastDay]).toContain(body.dataThrough);
      restartedLastDay = body.dataThrough;
      second.child.kill('SIGTERM');
      expect((await exited(second.child)).code, second.output()).toBe(0);
    } finally {
      if (second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGKILL');
    }
    const state = classify(await fingerprintFile(dbPath), before, after);
    console.log(`crash: server killed mid-upload; restarted on the state ${state.slice(0, 300)}`);
    expect(state).toMatch(/^(before|after)$/);
    expect(restartedLastDay).toBe(state === 'before' ? beforeLastDay : afterLastDay);
  }, 90_000);
});
