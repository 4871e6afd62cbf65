// Rebuilds the materialized metrics (shop_day, category_day, restriction_episodes) from the raw
// tables under a policy. Runs inside the caller's transaction, so readers see the old numbers or
// the new ones, never a mix.
import { DuckDBDataChunk, DuckDBDateValue, VARCHAR, DATE, type DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import { evaluateShop, type DayInput, type Episode } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy.js';
import * as sql from './sql.js';

export interface DataRange {
  first: string;
  last: string;
}

export interface RefreshSummary {
  range: DataRange | null;
  shopDays: number;
  flaggedShops: number;
  episodes: number;
  ms: number;
}

const DAY_MS = 86_400_000;

function dateValue(day: string): DuckDBDateValue {
  return new DuckDBDateValue(Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS));
}

/** The first day (earliest paid order) and the last day with data (latest order or case), in the policy's zone. */
export async function computeRange(conn: DuckDBConnection, policy: Policy): Promise<DataRange | null> {
  const row = await queryOne<{ first: string | null; last: string | null }>(
    conn,
    `SELECT strftime(min(CAST(timezone($tz, paid_at) AS DATE)), '%Y-%m-%d') AS first,
            strftime(greatest(max(CAST(timezone($tz, paid_at) AS DATE)),
                              (SELECT max(CAST(timezone($tz, opened_at) AS DATE)) FROM cases)), '%Y-%m-%d') AS last
     FROM orders`,
    { tz: policy.timeZone },
  );
  return row?.first && row.last ? { first: row.first, last: row.last } : null;
}

export async function refreshMetrics(conn: DuckDBConnection, policy: Policy): Promise<RefreshSummary> {
  const started = performance.now();
  await conn.run('DELETE FROM shop_day');
  await conn.run('DELETE FROM category_day');
  await conn.run('DELETE FROM restriction_episodes');
  await conn.run('DELETE FROM data_range');
  const range = await computeRange(conn, policy);
  if (!range) return { range: null, shopDays: 0, flaggedShops: 0, episodes: 0, ms: performance.now() - started };

  const base = { tz: policy.timeZone, window: policy.windowDays, first: range.first, last: range.last };
  await conn.run(sql.WINDOW_DELTAS, { ...base, basis: policy.countBasis });
  await conn.run(sql.SHOP_COUNTS, { first: range.first, last: range.last });
  await conn.run(sql.CATEGORY_DAY, { method: policy.categoryMean });
  await conn.run(sql.SHOP_FLAGS, {
    first: range.first,
    window: policy.windowDays,
    method: policy.categoryMean,
    minOrders: policy.floors.minOrders,
    minInterventions: policy.floors.minInterventions,
    flagRatio: policy.flagRatio,
  });

  const { flaggedShops, episodes } = await evaluateLevels(conn, policy);
  await conn.run(sql.SHOP_DAY);
  await conn.run('INSERT INTO data_range VALUES ($first::DATE, $last::DATE, $window, $version, now())', { ...range, window: policy.windowDays, version: policy.version });
  const count = await queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM shop_day');
  for (const table of ['tmp_window_deltas', 'tmp_shop_counts', 'tmp_shop_flags', 'tmp_levels']) await conn.run(`DROP TABLE IF EXISTS ${table}`);
  return { range, shopDays: count?.n ?? 0, flaggedShops, episodes, ms: performance.now() - started };
}

/** Walks the days of every shop that was ever flagged; the others are at level none throughout. */
async function evaluateLevels(conn: DuckDBConnection, policy: Policy): Promise<{ flaggedShops: number; episodes: number }> {
  await conn.run('CREATE OR REPLACE TEMP TABLE tmp_levels (shop_id VARCHAR, day DATE, level VARCHAR)');
  const rows = await queryRows<{ shop_id: string; day: string; flagged: boolean; orders: number; interventions: number; rate: number | null; category_mean: number | null; ratio: number | null }>(
    conn,
    sql.FLAGGED_SHOP_SERIES,
  );
  const levelShop: string[] = [];
  const levelDay: DuckDBDateValue[] = [];
  const levelName: string[] = [];
  const allEpisodes: { shopId: string; episode: Episode }[] = [];
  let shops = 0;
  for (let start = 0; start < rows.length; ) {
    const shopId = rows[start].shop_id;
    let end = start;
    while (end < rows.length && rows[end].shop_id === shopId) end++;
    const days: DayInput[] = [];
    for (let i = start; i < end; i++) {
      const r = rows[i];
      days.push({ day: r.day, flagged: r.flagged, orders: r.orders, interventions: r.interventions, rate: r.rate, categoryMean: r.category_mean, ratio: r.ratio });
    }
    const { levels, episodes } = evaluateShop(days, policy);
    levels.forEach((level, i) => {
      if (level === 'none') return;
      levelShop.push(shopId);
      levelDay.push(dateValue(days[i].day));
      levelName.push(level);
    });
    for (const episode of episodes) allEpisodes.push({ shopId, episode });
    shops++;
    start = end;
  }
  await appendColumns(conn, 'tmp_levels', [VARCHAR, DATE, VARCHAR], [levelShop, levelDay, levelName]);
  for (const { shopId, episode: e } of allEpisodes) {
    await conn.run(
      `INSERT INTO restriction_episodes VALUES ($shop, $level, $codes::VARCHAR[], $start::DATE, $end::DATE, $orders, $interventions, $rate, $mean, $ratio, $flaggedDays, $version)`,
      {
        shop: shopId, level: e.level, codes: JSON.stringify(e.codes), start: e.startDay, end: e.endDay,
        orders: e.orders, interventions: e.interventions, rate: e.rate, mean: e.categoryMean, ratio: e.ratio,
        flaggedDays: e.flaggedDays, version: e.policyVersion,
      },
    );
  }
  return { flaggedShops: shops, episodes: allEpisodes.length };
}

const CHUNK = 2048;

/** Appends column arrays to a table in data chunks (far faster than value by value). */
export async function appendColumns(
  conn: DuckDBConnection,
  table: string,
  types: Parameters<typeof DuckDBDataChunk.create>[0],
  columns: readonly (readonly unknown[])[],
): Promise<void> {
  const total = columns[0]?.length ?? 0;
  if (total === 0) return;
  const appender = await conn.createAppender(table);
  try {
    for (let offset = 0; offset < total; offset += CHUNK) {
      const size = Math.min(CHUNK, total - offset);
      const chunk = DuckDBDataChunk.create(types, size);
      chunk.setColumns(columns.map((column) => column.slice(offset, offset + size)) as never);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
