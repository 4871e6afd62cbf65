// Cluster mode's ingest: the same batch as embedded mode (server/ingest: every check, the same reject
// report and exit code, one DuckDB transaction), with the batch's accepted orders and cases written to
// the cluster and the daily counts computed there and handed over in place of the embedded refresh.
//
// The embedded raw tables stay the ledger the checks need (order → shop and day, case → order and
// shop) and serve the case drill-down and the goods panel; the numbers come from the cluster.
//
// Inside the DuckDB transaction, in this order:
//   1. settle: prepared batches on the cluster that the embedded store never committed are revoked;
//   2. the batch's rows (as the ledger now holds them: one row per id) go to the Distributed tables with a
//      new version V, synchronously;
//   3. V is marked prepared on every shard, and the daily counts from the batch's earliest touched day are
//      computed on the cluster (counting V);
//   4. seam_daily is replaced from that day, the metrics refreshed, V recorded in cluster_batches; commit;
//   5. after the commit, V is marked committed (best effort: step 1 of the next batch does it otherwise).
// Any failure in 1–4 (a shard down: the error names it) rolls the DuckDB transaction back; rows of V that
// reached the cluster are never counted, since V is never committed in the embedded store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import { queryOne } from '../db/database.js';
import { ingestFiles, type IngestOptions, type IngestReport } from '../ingest/ingest.js';
import { ensureActivePolicy } from '../policy/store.js';
import { BATCH_COMMITTED, BATCH_PREPARED, CASE_COLUMNS, ORDER_COLUMNS, type Cluster } from './clickhouse.js';
import { applyCounts, checkClusterPolicy, committedVersions, ensureLedger, handOver, recordCommitted, settleWith, type HandoverReport } from './handover.js';

export interface ClusterIngestTimes {
  /** Rows written to the cluster, and the time it took (export from the ledger + insert). */
  rows: number;
  insertMs: number;
  countMs: number;
  handoverMs: number;
  version: number | null;
}

/** Writes the ledger's rows of the ids in batch_orders / batch_cases (or every row) to the cluster as batch `version`. */
export async function sendRows(conn: DuckDBConnection, cluster: Cluster, version: number, scope: 'batch' | 'all'): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-cluster-batch-'));
  try {
    const ordersFile = path.join(dir, 'orders.csv');
    const casesFile = path.join(dir, 'cases.csv');
    const v = `${version}::UBIGINT`;
    const orderScope = scope === 'batch' ? 'WHERE order_id IN (SELECT order_id FROM batch_orders)' : '';
    const caseScope = scope === 'batch' ? 'WHERE case_id IN (SELECT case_id FROM batch_cases)' : '';
    // RFC 4180 CSV (quotes doubled), which ClickHouse's CSV format reads; every text quoted.
    const csv = "(FORMAT CSV, HEADER false, QUOTE '\"', ESCAPE '\"', FORCE_QUOTE *)";
    await conn.run(
      `COPY (SELECT order_id, shop_id, epoch_us(paid_at) AS paid_at_us, CAST(round(amount * 100) AS BIGINT) AS amount_fen, coalesce(goods_id, '') AS goods_id, ${v} AS version
             FROM orders ${orderScope}) TO '${ordersFile}' ${csv}`,
    );
    await conn.run(
      `COPY (SELECT case_id, order_id, shop_id, epoch_us(opened_at) AS opened_at_us, kind, coalesce(reason, '') AS reason, status,
               coalesce(outcome, '') AS outcome, CAST(excluded AS INTEGER) AS excluded, coalesce(exclusion_reason, '') AS exclusion_reason, ${v} AS version
             FROM cases ${caseScope}) TO '${casesFile}' ${csv}`,
    );
    const counts = await queryOne<{ orders: number; cases: number }>(
      conn,
      `SELECT (SELECT count(*) FROM orders ${orderScope})::INTEGER AS orders, (SELECT count(*) FROM cases ${caseScope})::INTEGER AS cases`,
    );
    if (counts!.orders > 0) await cluster.insertCsv('orders', ordersFile, ORDER_COLUMNS);
    if (counts!.cases > 0) await cluster.insertCsv('cases', casesFile, CASE_COLUMNS);
    return counts!.orders + counts!.cases;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One ingest batch in cluster mode: the report (and exit code) of the embedded ingest, the numbers from
 * the cluster. A failure of the cluster throws (a shard down: ShardDownError naming it) and changes
 * nothing in the embedded store.
 */
export async function ingestToCluster(
  db: Database,
  cluster: Cluster,
  inputs: string[],
  options: IngestOptions = {},
  times?: (t: ClusterIngestTimes) => void,
): Promise<IngestReport> {
  await cluster.ready();
  let version: number | null = null;
  const report = await ingestFiles(db, inputs, {
    ...options,
    refresh: async (conn, from) => {
      const policy = await ensureActivePolicy(conn);
      checkClusterPolicy(policy);
      // From its first cluster batch on, the store lists its batches: nothing else on the cluster counts.
      await ensureLedger(conn);
      const committed = await committedVersions(conn);
      const maxVersion = await settleWith(cluster, committed);
      const v = cluster.nextVersion(maxVersion);
      let t = performance.now();
      const rows = await sendRows(conn, cluster, v, 'batch');
      await cluster.markBatch(v, BATCH_PREPARED);
      const insertMs = performance.now() - t;
      t = performance.now();
      const counts = await cluster.dailyCounts(policy, from);
      const countMs = performance.now() - t;
      t = performance.now();
      const refresh = await applyCounts(conn, counts, from);
      await recordCommitted(conn, v);
      times?.({ rows, insertMs, countMs, handoverMs: performance.now() - t, version: v });
      version = v;
      return refresh;
    },
  });
  if (version !== null) {
    // Best effort: the next settle marks it otherwise.
    await cluster.markBatch(version, BATCH_COMMITTED).catch(() => undefined);
  }
  return report;
}

/** The ingest of the CLI, the upload route and the demo load: embedded, or through the cluster when there is one. */
export async function ingestBatch(db: Database, cluster: Cluster | null, inputs: string[], options: IngestOptions = {}): Promise<IngestReport> {
  return cluster ? ingestToCluster(db, cluster, inputs, options) : ingestFiles(db, inputs, options);
}

/**
 * At start in cluster mode: brings the embedded numbers up to the cluster. When the embedded ledger holds
 * rows the cluster does not count (a database filled in embedded mode, or a cluster that lost its data),
 * the whole ledger is first written to the cluster as one batch; then every day is handed over.
 */
export async function catchUp(db: Database, cluster: Cluster): Promise<HandoverReport & { backfilled: number }> {
  await cluster.ready();
  const { committed, rows } = await db.read(async (conn) => ({
    committed: await committedVersions(conn),
    rows: (await queryOne<{ n: number }>(conn, 'SELECT ((SELECT count(*) FROM orders) + (SELECT count(*) FROM cases))::INTEGER AS n'))!.n,
  }));
  // From now on the store lists its cluster batches: nothing else on the cluster counts.
  if (committed === null) await db.write((conn) => ensureLedger(conn));
  let backfilled = 0;
  const missing = committed?.length ? await cluster.missingCommitted(committed) : null;
  if (rows > 0 && (!committed?.length || missing)) {
    backfilled = await db.write(async (conn) => {
      const maxVersion = await settleWith(cluster, await committedVersions(conn));
      const v = cluster.nextVersion(maxVersion);
      const n = await sendRows(conn, cluster, v, 'all');
      await cluster.markBatch(v, BATCH_PREPARED);
      await recordCommitted(conn, v);
      return n;
    });
  }
  const report = await handOver(db, cluster, null);
  return { ...report, backfilled };
}
