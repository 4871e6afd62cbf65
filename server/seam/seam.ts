// The seam to a distributed engine (DESIGN §5): the engine computes daily shop counts with
// daily-shop-counts.sql and hands them over as hive-partitioned Parquet with a manifest; this module
// renders that SQL (for tests and for DuckDB itself) and ingests what the engine wrote.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { queryOne, queryRows } from '../db/database.js';
import { refreshMetrics, type RefreshSummary } from '../pipeline/refresh.js';
import type { Policy } from '../policy/policy.js';
import { ensureActivePolicy } from '../policy/store.js';

export const SEAM_SQL_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'daily-shop-counts.sql');
export const MANIFEST = '_manifest.json';

/** The manifest an engine writes beside the partitions: what the counts were computed with. */
export const ManifestSchema = z.object({
  format: z.literal('intervention-watch/daily-shop-counts'),
  version: z.literal(1),
  windowDays: z.number().int().positive(),
  timeZone: z.string(),
  countBasis: z.literal('case_opened'),
  producedBy: z.string().optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** The portable SQL with the policy's window and zone filled in (both validated by the policy schema). */
export function renderSeamSql(policy: Pick<Policy, 'windowDays' | 'timeZone'>): string {
  const text = fs.readFileSync(SEAM_SQL_FILE, 'utf8');
  if (!Number.isInteger(policy.windowDays) || !/^[A-Za-z_+\-/0-9]+$/.test(policy.timeZone)) throw new Error('invalid window or zone');
  return text.replaceAll(':window_days', String(policy.windowDays)).replaceAll(':time_zone', `'${policy.timeZone}'`);
}

/** Runs the seam SQL on this connection's raw tables and writes the handover (partitions + manifest) to dir. */
export async function exportSeam(conn: DuckDBConnection, policy: Policy, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const sql = renderSeamSql(policy).replace(/^\s*--.*$/gm, '');
  const target = dir.replaceAll("'", "''");
  await conn.run(`COPY (${sql}) TO '${target}' (FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE true)`);
  const manifest: Manifest = {
    format: 'intervention-watch/daily-shop-counts',
    version: 1,
    windowDays: policy.windowDays,
    timeZone: policy.timeZone,
    countBasis: 'case_opened',
    producedBy: 'duckdb',
  };
  fs.writeFileSync(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2));
}

export interface SeamReport {
  dir: string;
  days: number;
  accepted: number;
  rejected: number;
  rejects: { file: string; row: number; reason: string }[];
  refresh: RefreshSummary | null;
  exitCode: 0 | 1 | 3;
}

export class SeamError extends Error {}

/**
 * Loads a handover: every partition's rows replace the stored rows of their days (an engine re-sends
 * whole days). Refused whole when the manifest is missing or does not match the active policy; rows of
 * unknown shops or with negative counts are set aside with file, row and reason. One transaction.
 */
export async function ingestSeam(db: Database, dir: string): Promise<SeamReport> {
  const manifestPath = path.join(dir, MANIFEST);
  if (!fs.existsSync(manifestPath)) throw new SeamError(`${dir}: no ${MANIFEST}; the engine writes one beside the partitions`);
  let manifest: Manifest;
  try {
    manifest = ManifestSchema.parse(JSON.parse(fs.readFileSync(manifestPath, 'utf8')));
  } catch (error) {
    throw new SeamError(`${manifestPath}: not a valid manifest: ${(error as Error).message.split('\n')[0]}`);
  }
  const glob = path.join(dir, '**', '*.parquet').replaceAll("'", "''");
  return db.write(async (conn) => {
    const policy = await ensureActivePolicy(conn);
    for (const key of ['windowDays', 'timeZone', 'countBasis'] as const) {
      if (manifest[key] !== policy[key])
        throw new SeamError(`${manifestPath}: ${key} is ${manifest[key]}, but the active policy has ${policy[key]}; recompute with the policy's settings`);
    }
    await conn.run(`CREATE OR REPLACE TEMP TABLE seam_stage AS
      SELECT filename AS file, file_row_number + 1 AS row, shop_id::VARCHAR AS shop_id, CAST(day AS DATE) AS day,
        orders::BIGINT AS orders, interventions_in::BIGINT AS interventions_in, interventions_out::BIGINT AS interventions_out,
        complaints_in::BIGINT AS complaints_in, complaints_out::BIGINT AS complaints_out
      FROM read_parquet('${glob}', hive_partitioning = true, filename = true, file_row_number = true)`);
    const rejects = await queryRows<{ file: string; row: number; reason: string }>(
      conn,
      `SELECT file, row, CASE
         WHEN shop_id IS NULL THEN 'shop_id: is empty'
         WHEN shop_id NOT IN (SELECT shop_id FROM shops) THEN 'shop_id: unknown shop ' || shop_id
         WHEN least(orders, interventions_in, interventions_out, complaints_in, complaints_out) < 0 OR orders IS NULL THEN 'a count is negative or empty'
       END AS reason
       FROM seam_stage
       WHERE shop_id IS NULL OR shop_id NOT IN (SELECT shop_id FROM shops) OR orders IS NULL
         OR least(orders, interventions_in, interventions_out, complaints_in, complaints_out) < 0
       ORDER BY file, row`,
    );
    await conn.run(`DELETE FROM seam_stage WHERE shop_id IS NULL OR shop_id NOT IN (SELECT shop_id FROM shops) OR orders IS NULL
      OR least(orders, interventions_in, interventions_out, complaints_in, complaints_out) < 0`);
    const stats = await queryOne<{ n: number; days: number; first: string | null }>(
      conn,
      "SELECT count(*) AS n, count(DISTINCT day) AS days, strftime(min(day), '%Y-%m-%d') AS first FROM seam_stage",
    );
    await conn.run('DELETE FROM seam_daily WHERE day IN (SELECT DISTINCT day FROM seam_stage)');
    await conn.run(`INSERT INTO seam_daily SELECT shop_id, day, sum(orders), sum(interventions_in), sum(interventions_out), sum(complaints_in), sum(complaints_out)
      FROM seam_stage GROUP BY shop_id, day`);
    await conn.run('DROP TABLE seam_stage');
    const accepted = stats?.n ?? 0;
    const refresh = accepted > 0 ? await refreshMetrics(conn, { from: stats?.first ?? null }) : null;
    const exitCode: 0 | 1 | 3 = accepted === 0 ? 1 : rejects.length > 0 ? 3 : 0;
    return { dir, days: stats?.days ?? 0, accepted, rejected: rejects.length, rejects, refresh, exitCode };
  });
}
