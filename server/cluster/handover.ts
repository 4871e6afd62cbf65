// The seam made real: the daily shop counts computed on the ClickHouse cluster are handed into the
// embedded store (seam_daily) in one transaction, and the metrics are refreshed from the first day
// handed over. Everything after the seam (window sums, means, flags, levels, the API) is unchanged.
import { BIGINT, DATE, DuckDBDateValue, VARCHAR } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import { queryOne } from '../db/database.js';
import { appendColumns, refreshMetrics, type RefreshSummary } from '../pipeline/refresh.js';
import { activePolicy, ensureActivePolicy } from '../policy/store.js';
import type { Cluster } from './clickhouse.js';

export interface HandoverReport {
  /** Shop-days handed over. */
  rows: number;
  from: string | null;
  refresh: RefreshSummary | null;
  ms: number;
}

const DAY_MS = 86_400_000;

/**
 * Computes the daily counts from `from` on (null: all) on the cluster, then replaces those days of
 * seam_daily and refreshes, in one write. The cluster's query runs before the write begins: a shard
 * that is down fails the handover with an error naming it, and the embedded store stays as it was.
 */
export async function handOver(db: Database, cluster: Cluster, from: string | null = null): Promise<HandoverReport> {
  const started = performance.now();
  const policy = await db.read((conn) => activePolicy(conn));
  if (policy.countBasis !== 'case_opened')
    throw new Error(`cluster mode counts cases by the day they were opened; the active policy counts by ${policy.countBasis}`);
  const counts = await cluster.dailyCounts(policy, from);
  return db.write(async (conn) => {
    const now = await ensureActivePolicy(conn);
    if (now.windowDays !== policy.windowDays || now.timeZone !== policy.timeZone)
      throw new Error('the active policy changed during the handover; run it again');
    const unknown = await queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM shops');
    if ((unknown?.n ?? 0) === 0 && counts.length > 0) throw new Error('the embedded store has no shops: load categories and shops first');
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
    const refresh = counts.length > 0 || from === null ? await refreshMetrics(conn, { from }) : null;
    return { rows: counts.length, from, refresh, ms: performance.now() - started };
  });
}
