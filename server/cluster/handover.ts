// The seam made real: the daily shop counts computed on the ClickHouse cluster are handed into the
// embedded store (seam_daily) in one transaction, and the metrics are refreshed from the first day
// handed over. Everything after the seam (window sums, means, flags, levels, the API) is unchanged.
//
// The embedded store is the authority on which cluster batches count: `cluster_batches` lists the
// versions it committed (written in the same transaction as the counts they produced). Before counting,
// every prepared batch on the cluster is settled against that list (server/cluster/clickhouse.ts).
import { BIGINT, DATE, DuckDBDateValue, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import { queryOne, queryRows } from '../db/database.js';
import { appendColumns, refreshMetrics, type RefreshSummary } from '../pipeline/refresh.js';
import type { Policy } from '../policy/policy.js';
import { activePolicy, ensureActivePolicy } from '../policy/store.js';
import type { Cluster, DailyCount } from './clickhouse.js';

export interface HandoverReport {
  /** Shop-days handed over. */
  rows: number;
  from: string | null;
  refresh: RefreshSummary | null;
  ms: number;
}

const DAY_MS = 86_400_000;

/** The versions of the cluster batches the embedded store committed; null: it never ingested in cluster mode. */
export async function committedVersions(conn: DuckDBConnection): Promise<number[] | null> {
  const exists = await queryOne(conn, "SELECT 1 AS one FROM duckdb_tables() WHERE table_name = 'cluster_batches' AND NOT temporary");
  if (!exists) return null;
  const rows = await queryRows<{ version: string }>(conn, 'SELECT version::VARCHAR AS version FROM cluster_batches ORDER BY version');
  return rows.map((r) => Number(r.version));
}

/**
 * Records a cluster batch as committed, in the caller's transaction (it commits with the counts it gave).
 * The table is cluster mode's own, created on first use (not a migration: embedded mode never has it).
 */
export async function ensureLedger(conn: DuckDBConnection): Promise<void> {
  await conn.run('CREATE TABLE IF NOT EXISTS cluster_batches (version UBIGINT NOT NULL PRIMARY KEY, committed_at TIMESTAMPTZ NOT NULL)');
}

export async function recordCommitted(conn: DuckDBConnection, version: number): Promise<void> {
  await ensureLedger(conn);
  await conn.run('INSERT INTO cluster_batches VALUES ($version::UBIGINT, now())', { version: String(version) });
}

/**
 * Settles the cluster's batches against the embedded store's committed list (null: a store that never
 * ingested in cluster mode; only prepared batches are settled); the highest version in use.
 */
export async function settleWith(cluster: Cluster, committed: number[] | null): Promise<number> {
  const set = new Set(committed ?? []);
  const { maxVersion } = await cluster.settle((v) => set.has(v), committed !== null);
  return Math.max(maxVersion, ...(committed ?? []), 0);
}

export function checkClusterPolicy(policy: Policy): void {
  if (policy.countBasis !== 'case_opened')
    throw new Error(`cluster mode counts cases by the day they were opened; the active policy counts by ${policy.countBasis}`);
}

/**
 * Replaces the days from `from` on (null: all) of seam_daily with the cluster's counts and refreshes the
 * metrics from that day, in the caller's transaction.
 */
export async function applyCounts(conn: DuckDBConnection, counts: DailyCount[], from: string | null): Promise<RefreshSummary | null> {
  const shops = await queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM shops');
  if ((shops?.n ?? 0) === 0 && counts.length > 0) throw new Error('the embedded store has no shops: load categories and shops first');
  await conn.run(
    'CREATE OR REPLACE TEMP TABLE cluster_stage (shop_id VARCHAR, day DATE, orders BIGINT, interventions_in BIGINT, interventions_out BIGINT, complaints_in BIGINT, complaints_out BIGINT)',
  );
  await appendColumns(
    conn,
    'cluster_stage',
    [VARCHAR, DATE, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT],
    [
      counts.map((c) => c.shop_id),
      counts.map((c) => new DuckDBDateValue(Math.round(Date.parse(`${c.day}T00:00:00Z`) / DAY_MS))),
      counts.map((c) => BigInt(c.orders)),
      counts.map((c) => BigInt(c.interventions_in)),
      counts.map((c) => BigInt(c.interventions_out)),
      counts.map((c) => BigInt(c.complaints_in)),
      counts.map((c) => BigInt(c.complaints_out)),
    ],
  );
  const strangers = await queryOne<{ shop: string | null }>(
    conn,
    'SELECT min(shop_id) AS shop FROM cluster_stage WHERE shop_id NOT IN (SELECT shop_id FROM shops)',
  );
  if (strangers?.shop) throw new Error(`the cluster holds rows of shop ${strangers.shop}, which the embedded store does not know`);
  if (from === null) await conn.run('DELETE FROM seam_daily');
  else await conn.run('DELETE FROM seam_daily WHERE day >= $from::DATE', { from });
  await conn.run('INSERT INTO seam_daily SELECT * FROM cluster_stage');
  await conn.run('DROP TABLE cluster_stage');
  return counts.length > 0 || from === null ? await refreshMetrics(conn, { from }) : null;
}

/**
 * Computes the daily counts from `from` on (null: all) on the cluster, then replaces those days of
 * seam_daily and refreshes, in one write. The cluster's query runs before the write begins: a shard
 * that is down fails the handover with an error naming it, and the embedded store stays as it was.
 */
export async function handOver(db: Database, cluster: Cluster, from: string | null = null): Promise<HandoverReport> {
  const started = performance.now();
  const { policy, committed } = await db.read(async (conn) => ({ policy: await activePolicy(conn), committed: await committedVersions(conn) }));
  checkClusterPolicy(policy);
  await cluster.ready();
  await settleWith(cluster, committed);
  const counts = await cluster.dailyCounts(policy, from);
  return db.write(async (conn) => {
    const now = await ensureActivePolicy(conn);
    if (now.windowDays !== policy.windowDays || now.timeZone !== policy.timeZone)
      throw new Error('the active policy changed during the handover; run it again');
    // A batch committed in between would not be in these counts.
    if ((await committedVersions(conn))?.length !== committed?.length) throw new Error('a batch was ingested during the handover; run it again');
    const refresh = await applyCounts(conn, counts, from);
    return { rows: counts.length, from, refresh, ms: performance.now() - started };
  });
}
