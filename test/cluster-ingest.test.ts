// Cluster mode through the real ingest path (npm run ingest, POST /api/ingest, npm start's catch-up),
// against a real local ClickHouse cluster of 3 shards started by the test: a generated data set ingested
// in several batches (late cases, re-sent rows, exclusions flipped, orders moved across midnight, bad
// rows, a new shop) gives the same reports and exit codes, and every shop-day, category-day and
// restriction episode, as embedded ingest of the same files. A shard killed (SIGKILL) during a batch
// fails it naming the shard and changes nothing in the embedded store; rows that reached the cluster
// before a failure never count; after the shard restarts, the next batch catches up and all is equal.
//
// Each scenario uses a ClickHouse database of its own on the one cluster (an embedded store owns its
// cluster database: batches it did not commit do not count).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { BATCH_COMMITTED, BATCH_REVOKED, Cluster, ShardDownError, type ClusterConfig } from '../server/cluster/clickhouse.js';
import { handOver } from '../server/cluster/handover.js';
import { catchUp, ingestToCluster } from '../server/cluster/ingest.js';
import { clusterEnv, findServerBinary, readState, startCluster, stopCluster, type ClusterState } from '../server/cluster/local.js';
import { queryRows, type Database } from '../server/db/database.js';
import { generateDemo } from '../server/generate/demo.js';
import type { IngestReport } from '../server/ingest/ingest.js';
import { HEADERS, NOW, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';

let state: ClusterState;
let clusterDir: string;
let demo: string;
const clusters: Cluster[] = [];

function configFor(database: string): ClusterConfig {
  const env = clusterEnv(state);
  return { url: env.CLICKHOUSE_URL, cluster: state.name, database, shards: env.CLICKHOUSE_SHARDS.split(',') };
}

function clusterFor(database: string): Cluster {
  const cluster = new Cluster(configFor(database));
  clusters.push(cluster);
  return cluster;
}

/** Every number and every raw row, as text: equal texts mean an equal store. */
async function dump(db: Database, withRaw = true): Promise<Record<string, string>> {
  const queries: Record<string, string> = {
    shop_day: 'SELECT * FROM shop_day ORDER BY shop_id, day',
    category_day: 'SELECT * FROM category_day ORDER BY category_id, day',
    restriction_episodes: 'SELECT * FROM restriction_episodes ORDER BY ALL',
    queue_day: 'SELECT * FROM queue_day ORDER BY ALL',
    data_range: 'SELECT first_day, last_day, window_days FROM data_range',
  };
  if (withRaw) {
    Object.assign(queries, {
      seam_daily: 'SELECT * FROM seam_daily ORDER BY ALL',
      orders: 'SELECT * FROM orders ORDER BY ALL',
      cases: 'SELECT * FROM cases ORDER BY ALL',
      shops: 'SELECT * FROM shops ORDER BY ALL',
      ingest_batches: 'SELECT batch_id, source, files, accepted, rejected, outcome FROM ingest_batches ORDER BY ALL',
      cluster_batches:
        "SELECT coalesce((SELECT list(version ORDER BY version)::VARCHAR FROM cluster_batches WHERE EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'cluster_batches')), 'none') AS v",
    });
  }
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries(queries)) {
    try {
      out[name] = JSON.stringify(await db.read((conn) => queryRows(conn, sql)));
    } catch (error) {
      // cluster_batches does not exist in an embedded store.
      if (name !== 'cluster_batches') throw error;
      out[name] = 'none';
    }
  }
  return out;
}

/** The numbers only (what the two modes must agree on). */
const numbers = (db: Database) => dump(db, false);

/** The first rows that differ per table (readable failures instead of two huge strings). */
function differences(got: Record<string, string>, want: Record<string, string>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(want)) {
    if (got[name] === want[name]) continue;
    const a = JSON.parse(got[name]) as unknown[];
    const b = JSON.parse(want[name]) as unknown[];
    out.push(`${name}: ${a.length} rows, want ${b.length}`);
    for (let i = 0, shown = 0; i < Math.max(a.length, b.length) && shown < 2; i++) {
      if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) {
        out.push(`  row ${i}: ${JSON.stringify(a[i])} want ${JSON.stringify(b[i])}`);
        shown++;
      }
    }
  }
  return out;
}

/** A report without its timings (the refresh summary differs only in ms). */
function comparable(report: IngestReport) {
  const { refresh, ...rest } = report;
  return { ...rest, refresh: refresh ? { ...refresh, ms: 0 } : null };
}

type Row = Record<string, string>;
/** A text with the CSV hand-over's delimiters and quotes in it, and not ASCII: it must reach the cluster as written. */
const TRICKY_TEXT = '质量差, "假货" \\ 退款; 1,2';
const read = (file: string): Row[] => parse<Row>(fs.readFileSync(file), { columns: true, skip_empty_lines: true });
const ORDER_COLS = ['order_id', 'shop_id', 'paid_at', 'amount', 'goods_id'];
const orderRow = (o: Row) => ORDER_COLS.map((c) => o[c] ?? '');
const caseRowOf = (c: Row) => HEADERS.interventions.map((h) => c[h]);

interface Batches {
  dirs: string[];
  /** What each batch should exercise, checked against the data so that no batch is empty of its point. */
  notes: string[];
}

/** Splits the generated demo into four batches of files (each a folder). */
function makeBatches(): Batches {
  const orders = read(path.join(demo, 'orders.csv'));
  const cases = read(path.join(demo, 'interventions.csv'));
  const cut = '2026-10-25';
  const early = (ts: string) => ts.slice(0, 10) < cut;
  const dirs = [1, 2, 3, 4].map((n) => tempDir(`iw-ci-b${n}-`));
  const notes: string[] = [];

  // 1: the catalogue, goods, the orders and cases before the cut.
  for (const name of ['categories.csv', 'shops.csv', 'goods.csv']) fs.copyFileSync(path.join(demo, name), path.join(dirs[0], name));
  const ordersHeader = [...HEADERS.orders, 'goods_id'];
  writeCsv(dirs[0], 'orders.csv', ordersHeader, orders.filter((o) => early(o.paid_at)).map(orderRow));
  const casesEarly = cases.filter((c) => early(c.opened_at));
  writeCsv(dirs[0], 'interventions.csv', HEADERS.interventions, casesEarly.map(caseRowOf));

  // 2: the orders after the cut with 300 orders of batch 1 re-sent unchanged, the cases after the cut but
  // a held-back tenth (late cases, batch 3), and bad rows: an unknown shop, an id twice in the file, a
  // future timestamp, a case naming another shop than its order.
  const lateOrders = orders.filter((o) => !early(o.paid_at));
  const resent = orders.filter((o) => early(o.paid_at)).slice(0, 300);
  const bad = [
    ['BAD-1', 'S_NOPE', '2026-11-01T10:00:00+08:00', '10.00', ''],
    orderRow(lateOrders[0]),
    ['BAD-2', lateOrders[1].shop_id, '2027-06-01T10:00:00+08:00', '10.00', ''],
  ];
  writeCsv(dirs[1], 'orders.csv', ordersHeader, [...lateOrders.map(orderRow), ...resent.map(orderRow), ...bad]);
  const casesLate = cases.filter((c) => !early(c.opened_at));
  const heldBack = casesLate.filter((_, i) => i % 10 === 3);
  const other = orders.find((o) => o.shop_id !== lateOrders[2].shop_id)!;
  writeCsv(dirs[1], 'interventions.csv', HEADERS.interventions, [
    ...casesLate.filter((_, i) => i % 10 !== 3).map(caseRowOf),
    caseRowOf({ ...casesLate[0], case_id: 'BAD-C1', order_id: lateOrders[2].order_id, shop_id: other.shop_id }),
  ]);
  notes.push(`batch 2: ${resent.length} re-sent orders, ${bad.length + 1} bad rows`);

  // 3: the held-back cases (late: opened days after their day's batch), 60 exclusions of batch 1 flipped,
  // 20 cases re-sent as complaints, and two cases on one order opened a second apart across midnight.
  const flipped = casesEarly
    .slice(0, 60)
    .map((c) => caseRowOf({ ...c, excluded: c.excluded === 'true' ? 'false' : 'true', exclusion_reason: c.excluded === 'true' ? '' : 'duplicate claim' }));
  const recast = casesEarly
    .slice(60)
    .filter((c) => c.kind === 'intervention')
    .slice(0, 20)
    .map((c) => caseRowOf({ ...c, kind: 'complaint' }));
  const target = orders.find((o) => o.paid_at.slice(0, 10) === '2026-10-30')!;
  const midnight = [
    caseRowOf({
      ...casesEarly[0],
      case_id: 'MID-1',
      order_id: target.order_id,
      shop_id: target.shop_id,
      opened_at: '2026-11-01T23:59:59+08:00',
      kind: 'intervention',
      reason: TRICKY_TEXT,
      excluded: 'false',
      exclusion_reason: '',
    }),
    caseRowOf({
      ...casesEarly[0],
      case_id: 'MID-2',
      order_id: target.order_id,
      shop_id: target.shop_id,
      opened_at: '2026-11-01T16:00:00Z',
      kind: 'intervention',
      excluded: 'false',
      exclusion_reason: '',
    }),
  ];
  writeCsv(dirs[2], 'interventions.csv', HEADERS.interventions, [...heldBack.map(caseRowOf), ...flipped, ...recast, ...midnight]);
  notes.push(`batch 3: ${heldBack.length} late cases, ${flipped.length} flipped, ${recast.length} recast`);

  // 4: a new shop with its orders (every day is recomputed), and 40 orders of batch 1 moved to the next
  // local day by a re-send at 16:00Z (00:00 in Shanghai).
  const shops = read(path.join(demo, 'shops.csv'));
  writeCsv(dirs[3], 'shops.csv', HEADERS.shops, [['S_NEW', 'New shop', shops[0].category_id]]);
  const moved = orders
    .filter((o) => early(o.paid_at))
    .slice(500, 540)
    .map((o) => orderRow({ ...o, paid_at: `${o.paid_at.slice(0, 10)}T16:00:00Z` }));
  const fresh = Array.from({ length: 40 }, (_, i) => [`NEW-${i}`, 'S_NEW', `2026-11-${String(1 + (i % 18)).padStart(2, '0')}T23:59:59+08:00`, '9.90', '']);
  writeCsv(dirs[3], 'orders.csv', ordersHeader, [...moved, ...fresh]);
  notes.push(`batch 4: ${moved.length} orders moved, ${fresh.length} orders of a new shop`);
  return { dirs, notes };
}

let batches: Batches;

beforeAll(async () => {
  const binary = findServerBinary();
  if ('missing' in binary) throw new Error(`cluster tests need ClickHouse: ${binary.missing}`);
  clusterDir = tempDir('iw-cluster-ingest-');
  // Ports of their own (test/cluster.test.ts uses 21000–22800; a developer's cluster 18123…).
  state = await startCluster(clusterDir, { shards: 3, basePort: 25000 + Math.floor(Math.random() * 300) * 2 });
  demo = tempDir('iw-ci-demo-');
  await generateDemo({ shops: 120, days: 70, seed: 23, end: '2026-11-20', out: demo });
  batches = makeBatches();
}, 240_000);

afterAll(async () => {
  for (const c of clusters) await c.close().catch(() => undefined);
  if (clusterDir) await stopCluster(clusterDir);
});

/** The shard's process, killed with SIGKILL (no shutdown at all); waits until it is gone. */
async function killShard(index: number): Promise<void> {
  const pid = readState(clusterDir)!.shards[index].pid!;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`shard ${index + 1} (pid ${pid}) did not exit`);
}

async function restartShards(): Promise<void> {
  state = await startCluster(clusterDir);
}

describe('cluster mode through the real ingest path (3 shards) = embedded ingest', () => {
  it('four batches (late cases, re-sent rows, exclusions flipped, near-midnight moves, bad rows, a new shop): equal reports and numbers after each', async () => {
    const cluster = clusterFor('iw_eq');
    const { db: embedded } = await openTempDb();
    const { db: viaCluster } = await openTempDb();
    let previous: Record<string, string> | null = null;
    const sent: number[] = [];
    for (const [i, dir] of batches.dirs.entries()) {
      const want = await ingest(embedded, [dir]);
      const got = await ingestToCluster(viaCluster, cluster, [dir], { now: NOW }, (t) => sent.push(t.rows));
      expect(comparable(got), `batch ${i + 1} report`).toEqual(comparable(want));
      const wantNumbers = await numbers(embedded);
      expect(differences(await numbers(viaCluster), wantNumbers), `batch ${i + 1}`).toEqual([]);
      // Every batch changes numbers (none of them is a no-op the comparison would pass anyway).
      if (previous) expect(wantNumbers.shop_day, `batch ${i + 1} changes shop-days`).not.toBe(previous.shop_day);
      previous = wantNumbers;
      // The incremental range: a later batch refreshes from its earliest touched day, as embedded does.
      expect(got.refresh?.from ?? null).toBe(want.refresh?.from ?? null);
      // Each batch sent exactly its accepted orders and cases to the cluster (not the catalogue, not rejects).
      const catalogue = want.files.filter((f) => f.kind === 'categories' || f.kind === 'shops' || f.kind === 'goods').reduce((n, f) => n + f.accepted, 0);
      expect(sent[i], `batch ${i + 1} rows sent`).toBe(want.accepted - catalogue);
    }
    // Batch 2 has its rejects (the same lines and reasons as embedded: checked above) and exit code 3.
    const reports = await viaCluster.read((conn) =>
      queryRows<{ outcome: string; rejected: number }>(conn, 'SELECT outcome, rejected::INTEGER AS rejected FROM ingest_batches ORDER BY batch_id'),
    );
    expect(reports.map((r) => r.outcome)).toEqual(['loaded', 'loaded_with_rejects', 'loaded', 'loaded']);
    expect(reports[1].rejected).toBe(4);
    // The numbers came from the cluster: the seam holds its counts (embedded mode leaves it empty).
    const seam = async (db: Database) => (await db.read((conn) => queryRows<{ n: number }>(conn, 'SELECT count(*)::INTEGER AS n FROM seam_daily')))[0].n;
    expect(await seam(viaCluster)).toBeGreaterThan(1000);
    expect(await seam(embedded)).toBe(0);
    // Restrictions to compare, and every batch committed on every shard.
    expect(JSON.parse((await numbers(embedded)).restriction_episodes).length).toBeGreaterThan(0);
    const { states } = await cluster.batchStates();
    const versions = await viaCluster.read((conn) => queryRows<{ v: string }>(conn, 'SELECT version::VARCHAR AS v FROM cluster_batches ORDER BY version'));
    expect(versions).toHaveLength(4);
    for (const shard of states) for (const { v } of versions) expect(shard.get(Number(v))).toBe(BATCH_COMMITTED);
    // The raw rows reached the cluster as the ledger holds them (texts with commas, quotes, backslashes).
    const res = await fetch(
      `${configFor('iw_eq').url}/?query=${encodeURIComponent("SELECT reason FROM iw_eq.cases WHERE case_id = 'MID-1' FORMAT JSONEachRow")}`,
    );
    expect(JSON.parse(await res.text())).toEqual({ reason: TRICKY_TEXT });
    // A full handover now (as at a restart) gives the same numbers: nothing is counted twice.
    await handOver(viaCluster, cluster, null);
    expect(differences(await numbers(viaCluster), await numbers(embedded))).toEqual([]);
    await embedded.close();
    await viaCluster.close();
  }, 300_000);

  it('a shard killed (SIGKILL) during a batch: the batch fails naming it, nothing changes; rows that reached the cluster never count; after a restart the next batch catches up', async () => {
    const cluster = clusterFor('iw_kill');
    const { db: embedded } = await openTempDb();
    const { db: viaCluster } = await openTempDb();
    await ingest(embedded, [batches.dirs[0]]);
    await ingestToCluster(viaCluster, cluster, [batches.dirs[0]], { now: NOW });

    // (a) Killed while the batch is loading (after its files are checked, before its rows go to the cluster).
    const before = await dump(viaCluster);
    let error: unknown;
    try {
      await ingestToCluster(viaCluster, cluster, [batches.dirs[1]], {
        now: NOW,
        onFileLoaded: (file) => {
          if (file.endsWith('interventions.csv')) void killShard(1);
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShardDownError);
    expect((error as Error).message).toContain(`ClickHouse shard 2 of 3 (http://127.0.0.1:${state.shards[1].httpPort}) is down`);
    expect(differences(await dump(viaCluster), before)).toEqual([]);
    // While it is down, a handover fails the same way and changes nothing.
    await expect(handOver(viaCluster, cluster, null)).rejects.toThrow(/shard 2 of 3/);
    expect(differences(await dump(viaCluster), before)).toEqual([]);
    await restartShards();

    // (b) The rows reach the cluster and the counts are computed, then the batch fails before its embedded
    // commit (as a crash there would): those rows must never count, at no later moment. The failed batch
    // is batch 3 (flips, recasts, late cases), which is then never sent again.
    const beforeB = await dump(viaCluster);
    let prepared = 0;
    await expect(
      ingestToCluster(
        viaCluster,
        cluster,
        [batches.dirs[2]],
        {
          now: NOW,
          beforeCommit: () => Promise.reject(new Error('injected: crash before commit')),
        },
        (t) => (prepared = t.version!),
      ),
    ).rejects.toThrow(/injected/);
    expect(differences(await dump(viaCluster), beforeB)).toEqual([]);
    expect(prepared).toBeGreaterThan(0);

    // (c) After the restart, the next batch (batch 2, retried) catches up; then a shard is killed once more
    // after the counts were taken (the committed marker misses it) and brought back.
    await ingest(embedded, [batches.dirs[1]]);
    await ingestToCluster(viaCluster, cluster, [batches.dirs[1]], {
      now: NOW,
      beforeCommit: () => killShard(2),
    });
    expect(differences(await numbers(viaCluster), await numbers(embedded))).toEqual([]);
    await restartShards();
    // Background merges at any moment must not matter: force them (a merge that kept only the newest row
    // per id would drop the counted rows that the failed batch's rows re-sent).
    for (const shard of state.shards) {
      for (const table of ['orders_local', 'cases_local']) {
        const res = await fetch(`http://127.0.0.1:${shard.httpPort}/`, { method: 'POST', body: `OPTIMIZE TABLE iw_kill.${table} FINAL` });
        expect(res.status, await res.text()).toBe(200);
      }
    }
    // The failed batch's rows are revoked on every shard, the retried one committed everywhere.
    await handOver(viaCluster, cluster, null);
    const { states } = await cluster.batchStates();
    for (const shard of states) {
      expect(shard.get(prepared)).toBe(BATCH_REVOKED);
      expect([...shard.values()].filter((s) => s === BATCH_COMMITTED)).toHaveLength(2);
    }
    // Every day recomputed from the cluster: equal to embedded, which never saw batch 3.
    expect(differences(await numbers(viaCluster), await numbers(embedded))).toEqual([]);
    // And the rest of the sequence stays equal.
    for (const dir of batches.dirs.slice(2)) {
      await ingest(embedded, [dir]);
      await ingestToCluster(viaCluster, cluster, [dir], { now: NOW });
      expect(differences(await numbers(viaCluster), await numbers(embedded))).toEqual([]);
    }
    await embedded.close();
    await viaCluster.close();
  }, 300_000);

  it('POST /api/ingest in cluster mode: the report of embedded ingest; a shard down is 503 naming it, and nothing changes', async () => {
    const config = configFor('iw_upload');
    const saved = { ...process.env };
    Object.assign(process.env, {
      CLICKHOUSE_URL: config.url,
      CLICKHOUSE_CLUSTER: config.cluster,
      CLICKHOUSE_DATABASE: config.database,
      CLICKHOUSE_SHARDS: config.shards.join(','),
    });
    const { db: viaCluster } = await openTempDb();
    const { db: embedded } = await openTempDb();
    const secret = new TextEncoder().encode('cluster-ingest-test-secret-0123456789');
    let app;
    try {
      app = createApp({ db: viaCluster, secret });
    } finally {
      for (const key of ['CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'CLICKHOUSE_DATABASE', 'CLICKHOUSE_SHARDS']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    const admin = await signToken(secret, { role: 'admin', subject: 'admin@example.com' });
    const upload = (dir: string) => {
      let req = request(app).post('/api/ingest').set('Authorization', `Bearer ${admin}`);
      for (const name of fs.readdirSync(dir).sort()) req = req.attach('files', path.join(dir, name));
      return req;
    };
    for (const dir of batches.dirs.slice(0, 2)) {
      const res = await upload(dir);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const names = new Map(fs.readdirSync(dir).map((n) => [path.join(dir, n), n]));
      const want = await ingest(embedded, [dir], { displayNames: names, now: undefined });
      const { refresh: _r, ...rest } = want;
      expect(res.body).toEqual(JSON.parse(JSON.stringify(rest)));
      expect(differences(await numbers(viaCluster), await numbers(embedded))).toEqual([]);
    }
    const before = await dump(viaCluster);
    await killShard(0);
    const res = await upload(batches.dirs[2]);
    expect(res.status).toBe(503);
    expect(res.body.message).toContain(`ClickHouse shard 1 of 3 (http://127.0.0.1:${state.shards[0].httpPort}) is down`);
    expect(differences(await dump(viaCluster), before)).toEqual([]);
    await restartShards();
    expect((await upload(batches.dirs[2])).status).toBe(201);
    await ingest(embedded, [batches.dirs[2]], { now: undefined });
    expect(differences(await numbers(viaCluster), await numbers(embedded))).toEqual([]);
    await embedded.close();
    await viaCluster.close();
  }, 300_000);

  it('npm run ingest in cluster mode: the output and exit codes of embedded mode (3 with rejects; 1 naming a shard that is down)', async () => {
    const config = configFor('iw_cli');
    const env = {
      ...process.env,
      CLICKHOUSE_URL: config.url,
      CLICKHOUSE_CLUSTER: config.cluster,
      CLICKHOUSE_DATABASE: config.database,
      CLICKHOUSE_SHARDS: config.shards.join(','),
    };
    const embeddedEnv = { ...process.env };
    for (const key of ['CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'CLICKHOUSE_DATABASE', 'CLICKHOUSE_SHARDS']) delete embeddedEnv[key];
    const dir = tempDir('iw-ci-cli-');
    const run = (dbPath: string, files: string[], withCluster: boolean) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/ingest.ts', '--db', dbPath, ...files], {
        env: withCluster ? env : embeddedEnv,
        encoding: 'utf8',
        timeout: 120_000,
      });
    const clean = (out: string) => out.replace(/\(\d+ ms\)/g, '(… ms)');
    for (const [i, batch] of batches.dirs.slice(0, 2).entries()) {
      const got = run(path.join(dir, 'cluster.duckdb'), [batch], true);
      const want = run(path.join(dir, 'embedded.duckdb'), [batch], false);
      expect(got.status, got.stderr).toBe(i === 0 ? 0 : 3);
      expect(clean(got.stdout)).toBe(clean(want.stdout));
    }
    await killShard(2);
    const down = run(path.join(dir, 'cluster.duckdb'), [batches.dirs[2]], true);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain(`ingest failed, nothing was changed: ClickHouse shard 3 of 3 (http://127.0.0.1:${state.shards[2].httpPort}) is down`);
    await restartShards();
  }, 300_000);

  it("npm start's catch-up: a store filled in embedded mode is written to an empty cluster database once, and its numbers are unchanged", async () => {
    const cluster = clusterFor('iw_start');
    const { db } = await openTempDb();
    for (const dir of batches.dirs) await ingest(db, [dir]);
    const embeddedNumbers = await numbers(db);
    const first = await catchUp(db, cluster);
    const [{ rows }] = await db.read((conn) =>
      queryRows<{ rows: number }>(conn, 'SELECT ((SELECT count(*) FROM orders) + (SELECT count(*) FROM cases))::INTEGER AS rows'),
    );
    expect(first.backfilled).toBe(rows);
    expect(first.rows).toBeGreaterThan(1000);
    expect(differences(await numbers(db), embeddedNumbers)).toEqual([]);
    // The counts are the cluster's now; a second start writes nothing and changes nothing.
    const again = await catchUp(db, cluster);
    expect(again.backfilled).toBe(0);
    expect(differences(await numbers(db), embeddedNumbers)).toEqual([]);
    await db.close();
  }, 300_000);
});
