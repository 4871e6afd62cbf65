// The bench's cluster rows (--cluster 1,2,3): the same CSV files ingested in cluster mode into a local
// ClickHouse cluster of 1, 2 and 3 shards (each started for the run, on loopback), each beside the embedded
// equivalent measured in the same run:
//   ingest rows/s        — the whole batch through the cluster (checks, ledger, rows to the cluster, counts,
//                          handover) ÷ the same batch embedded;
//   daily-count query    — the distributed query over the shards ÷ the same seam SQL in DuckDB;
//   handover             — count on the cluster + seam write + full refresh ÷ the embedded full refresh.
// Every shard is a process on this machine: with 2 cores this shows correctness (every number equal to
// embedded) and the overhead of the distributed path, not a speed-up.
import fs from 'node:fs';
import path from 'node:path';
import { Cluster } from '../../server/cluster/clickhouse.js';
import { handOver } from '../../server/cluster/handover.js';
import { ingestToCluster, type ClusterIngestTimes } from '../../server/cluster/ingest.js';
import { clusterEnv, startCluster, stopCluster } from '../../server/cluster/local.js';
import { Database, queryRows } from '../../server/db/database.js';
import { ingestFiles } from '../../server/ingest/ingest.js';
import { refreshMetrics } from '../../server/pipeline/refresh.js';
import { activePolicy } from '../../server/policy/store.js';
import { renderSeamSql } from '../../server/seam/seam.js';
import { int, ms, ratio, type Line } from './report.js';

export interface ClusterPoint {
  shards: number;
  rows: number;
  ingestMs: number;
  ingestRowsPerSec: number;
  /** Inside the batch: the ledger's rows exported and inserted into the Distributed tables. */
  insertMs: number;
  insertRowsPerSec: number;
  countMs: number;
  handoverMs: number;
  equal: boolean;
  differing: string[];
}

export interface ClusterFigures {
  clickhouse: string | null;
  embedded: { rows: number; ingestMs: number; ingestRowsPerSec: number; seamQueryMs: number; refreshMs: number };
  points: ClusterPoint[];
  note: string;
}

/** Each ingest is the best of this many runs (the machine is shared: one run can be twice another). */
const RUNS = 2;

export const CLUSTER_NOTE = 'every shard is a process on this machine (2 cores here): these rows show correctness and overhead, not speed-up';

async function best<T>(runs: number, fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  let out: { value: T; ms: number } | null = null;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const value = await fn();
    const took = performance.now() - started;
    if (!out || took < out.ms) out = { value, ms: took };
  }
  return out!;
}

async function numbers(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries({
    shop_day: 'SELECT * FROM shop_day ORDER BY shop_id, day',
    category_day: 'SELECT * FROM category_day ORDER BY category_id, day',
    restriction_episodes: 'SELECT * FROM restriction_episodes ORDER BY ALL',
    data_range: 'SELECT first_day, last_day FROM data_range',
  }))
    out[name] = JSON.stringify(await db.read((conn) => queryRows(conn, sql)));
  return out;
}

export async function clusterSection(csvDir: string, work: string, shardCounts: number[], now: Date, log: (s: string) => void): Promise<ClusterFigures> {
  // The embedded reference, on the same files in the same run (each ingest best of RUNS, into a fresh store).
  const fresh = async (name: string) => {
    const file = path.join(work, `${name}.duckdb`);
    for (const suffix of ['', '.wal']) fs.rmSync(file + suffix, { force: true });
    return Database.open(file, { poolSize: 2 });
  };
  log(`cluster: embedded reference ingest of the same files (best of ${RUNS})`);
  let refIngest: { ms: number; accepted: number } | null = null;
  let ref = await fresh('cluster-ref');
  for (let run = 0; run < RUNS; run++) {
    if (run > 0) {
      await ref.close();
      ref = await fresh('cluster-ref');
    }
    const started = performance.now();
    const report = await ingestFiles(ref, [csvDir], { now, source: 'bench' });
    const took = performance.now() - started;
    if (!refIngest || took < refIngest.ms) refIngest = { ms: took, accepted: report.accepted };
  }
  const policy = await ref.read((conn) => activePolicy(conn));
  const seamSql = renderSeamSql(policy).replace(/^\s*--.*$/gm, '');
  const seamQuery = await best(2, () => ref.read((conn) => queryRows(conn, `SELECT count(*) AS n FROM (${seamSql})`)));
  const refresh = await best(2, () => ref.write((conn) => refreshMetrics(conn, { from: null })));
  const want = await numbers(ref);
  await ref.close();
  const embedded = {
    rows: refIngest!.accepted,
    ingestMs: refIngest!.ms,
    ingestRowsPerSec: refIngest!.accepted / (refIngest!.ms / 1000),
    seamQueryMs: seamQuery.ms,
    refreshMs: refresh.ms,
  };
  log(`  embedded: ingest ${ms(refIngest!.ms)}, seam SQL ${ms(seamQuery.ms)}, full refresh ${ms(refresh.ms)}`);

  const points: ClusterPoint[] = [];
  let version: string | null = null;
  for (const shards of shardCounts) {
    const dir = path.join(work, `cluster-${shards}`);
    fs.rmSync(dir, { recursive: true, force: true });
    log(`cluster: ${shards} shard(s): starting`);
    const state = await startCluster(dir, { shards, basePort: 27000 + shards * 40 + Math.floor(Math.random() * 10) * 4 });
    const env = clusterEnv(state);
    const makeCluster = (run: number) =>
      new Cluster({ url: env.CLICKHOUSE_URL, cluster: state.name, database: `bench_${run}`, shards: env.CLICKHOUSE_SHARDS.split(',') });
    let cluster = makeCluster(1);
    let db = await fresh(`cluster-${shards}`);
    try {
      // Each run into a fresh store and a fresh ClickHouse database; the figures of the fastest.
      let ingest: { ms: number; accepted: number; t: ClusterIngestTimes } | null = null;
      for (let run = 1; run <= RUNS; run++) {
        if (run > 1) {
          await cluster.close();
          await db.close();
          cluster = makeCluster(run);
          db = await fresh(`cluster-${shards}`);
        }
        await cluster.ensureSchema();
        const seen: ClusterIngestTimes[] = [];
        const started = performance.now();
        const report = await ingestToCluster(db, cluster, [csvDir], { now, source: 'bench' }, (x) => seen.push(x));
        const took = performance.now() - started;
        if (!ingest || took < ingest.ms) ingest = { ms: took, accepted: report.accepted, t: seen[0] };
      }
      const t = ingest!.t;
      version ??= await cluster.serverVersion();
      const count = await best(2, () => cluster.dailyCounts(policy, null));
      const handover = await best(2, () => handOver(db, cluster, null));
      const got = await numbers(db);
      const differing = Object.keys(want).filter((k) => got[k] !== want[k]);
      const point: ClusterPoint = {
        shards,
        rows: ingest!.accepted,
        ingestMs: ingest!.ms,
        ingestRowsPerSec: ingest!.accepted / (ingest!.ms / 1000),
        insertMs: t.insertMs,
        insertRowsPerSec: t.rows / (t.insertMs / 1000),
        countMs: count.ms,
        handoverMs: handover.ms,
        equal: differing.length === 0,
        differing,
      };
      points.push(point);
      log(
        `  ${shards} shard(s): ingest ${ms(point.ingestMs)} (${int(point.ingestRowsPerSec)} rows/s; rows to the cluster ${int(point.insertRowsPerSec)} rows/s), count ${ms(point.countMs)}, handover ${ms(point.handoverMs)}, equal to embedded: ${point.equal ? 'yes' : `NO (${differing.join(', ')})`}`,
      );
    } finally {
      await cluster.close();
      await db.close();
      await stopCluster(dir);
    }
  }
  return { clickhouse: version, embedded, points, note: CLUSTER_NOTE };
}

export function clusterLines(figures: ClusterFigures): Line[] {
  const e = figures.embedded;
  const lines: Line[] = [{ what: `cluster (ClickHouse ${figures.clickhouse ?? '?'}): note`, figure: '—', note: figures.note }];
  for (const p of figures.points) {
    const label = `cluster ${p.shards} shard${p.shards === 1 ? '' : 's'}`;
    lines.push({
      what: `${label}: ingest (whole batch)`,
      figure: `${int(p.ingestRowsPerSec)} rows/s`,
      note: `embedded ${int(e.ingestRowsPerSec)} rows/s (${ratio(e.ingestRowsPerSec / p.ingestRowsPerSec)} faster); rows into ClickHouse ${int(p.insertRowsPerSec)} rows/s`,
    });
    lines.push({ what: `${label}: distributed daily-count query`, figure: ms(p.countMs), note: `DuckDB seam SQL ${ms(e.seamQueryMs)}` });
    lines.push({ what: `${label}: handover (count + write + refresh)`, figure: ms(p.handoverMs), note: `embedded full refresh ${ms(e.refreshMs)}` });
    lines.push({
      what: `${label}: every number equal to embedded`,
      figure: p.equal ? 'yes' : 'NO',
      target: 'yes',
      met: p.equal,
      ...(p.equal ? {} : { note: p.differing.join(', ') }),
    });
  }
  return lines;
}
