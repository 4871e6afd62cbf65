// Computes the metrics of every shop and day (window counts, category means, flags, levels) under a
// policy schedule. compute() builds connection-local temp tables only, so a simulation can run it
// beside the readers; refreshMetrics() then replaces the materialized tables inside the caller's
// transaction, so readers see the old numbers or the new ones, never a mix.
import { DuckDBDataChunk, DuckDBDateValue, VARCHAR, DATE, type DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import { evaluateShop, type DayInput, type Episode, type LiftOverride } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy.js';
import { loadSchedule, PolicySchedule } from '../policy/schedule.js';
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
const TEMP_TABLES = ['tmp_window_deltas', 'tmp_shop_counts', 'tmp_category_day', 'tmp_policy_periods', 'tmp_shop_flags', 'tmp_levels'];

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

/** Early lifts decided by reviewers, by shop. */
export async function loadLifts(conn: DuckDBConnection): Promise<Map<string, LiftOverride[]>> {
  const rows = await queryRows<{ shop_id: string; day: string }>(
    conn,
    "SELECT shop_id, strftime(effective_day, '%Y-%m-%d') AS day FROM decisions WHERE action = 'lift_early' ORDER BY effective_day",
  );
  const lifts = new Map<string, LiftOverride[]>();
  for (const r of rows) lifts.set(r.shop_id, [...(lifts.get(r.shop_id) ?? []), { day: r.day }]);
  return lifts;
}

export interface Computed {
  range: DataRange;
  episodes: { shopId: string; episode: Episode }[];
  flaggedShops: number;
}

/** Builds tmp_shop_flags (every shop-day) and tmp_levels (the days not at level none) on this connection. */
export async function compute(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  lifts: Map<string, LiftOverride[]>,
  options: { reuseCounts?: boolean } = {},
): Promise<Computed | null> {
  const policy = schedule.active;
  const range = await computeRange(conn, policy);
  if (!range) return null;
  if (options.reuseCounts) {
    // Same window, zone, basis and mean method as the stored metrics: their counts and means hold.
    await conn.run('CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS SELECT shop_id, category_id, day, orders, interventions, complaints FROM shop_day');
    await conn.run('CREATE OR REPLACE TEMP TABLE tmp_category_day AS SELECT * FROM category_day');
  } else {
    await conn.run(sql.WINDOW_DELTAS, { tz: policy.timeZone, window: policy.windowDays, first: range.first, last: range.last, basis: policy.countBasis });
    await conn.run(sql.SHOP_COUNTS, { first: range.first, last: range.last });
    await conn.run(sql.CATEGORY_DAY, { method: policy.categoryMean });
  }
  await conn.run('CREATE OR REPLACE TEMP TABLE tmp_policy_periods (from_day DATE, to_day DATE, flag_ratio DOUBLE, min_orders INTEGER, min_interventions INTEGER)');
  for (const p of schedule.periods()) {
    await conn.run('INSERT INTO tmp_policy_periods VALUES ($from::DATE, $to::DATE, $ratio, $minOrders, $minInterventions)', {
      from: p.from, to: p.to, ratio: p.policy.flagRatio, minOrders: p.policy.floors.minOrders, minInterventions: p.policy.floors.minInterventions,
    });
  }
  await conn.run(sql.SHOP_FLAGS, { first: range.first, window: policy.windowDays, method: policy.categoryMean });
  const { flaggedShops, episodes } = await evaluateLevels(conn, schedule, lifts);
  return { range, episodes, flaggedShops };
}

export async function dropTemp(conn: DuckDBConnection): Promise<void> {
  for (const table of TEMP_TABLES) await conn.run(`DROP TABLE IF EXISTS ${table}`);
}

/** Recomputes and replaces every materialized metric under the stored policy schedule. */
export async function refreshMetrics(conn: DuckDBConnection, schedule?: PolicySchedule): Promise<RefreshSummary> {
  const started = performance.now();
  schedule ??= await loadSchedule(conn);
  for (const table of ['shop_day', 'category_day', 'restriction_episodes', 'data_range']) await conn.run(`DELETE FROM ${table}`);
  const computed = await compute(conn, schedule, await loadLifts(conn));
  if (!computed) return { range: null, shopDays: 0, flaggedShops: 0, episodes: 0, ms: performance.now() - started };
  await conn.run(sql.PERSIST_CATEGORY_DAY);
  await conn.run(sql.SHOP_DAY);
  for (const { shopId, episode: e } of computed.episodes) {
    await conn.run(
      `INSERT INTO restriction_episodes VALUES ($shop, $level, $codes::VARCHAR[], $start::DATE, $end::DATE, $orders, $interventions, $rate, $mean, $ratio, $flaggedDays, $version)`,
      {
        shop: shopId, level: e.level, codes: JSON.stringify(e.codes), start: e.startDay, end: e.endDay,
        orders: e.orders, interventions: e.interventions, rate: e.rate, mean: e.categoryMean, ratio: e.ratio,
        flaggedDays: e.flaggedDays, version: e.policyVersion,
      },
    );
  }
  const policy = schedule.active;
  await conn.run('INSERT INTO data_range VALUES ($first::DATE, $last::DATE, $window, $version, now())', { ...computed.range, window: policy.windowDays, version: policy.version });
  const count = await queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM shop_day');
  await dropTemp(conn);
  return { range: computed.range, shopDays: count?.n ?? 0, flaggedShops: computed.flaggedShops, episodes: computed.episodes.length, ms: performance.now() - started };
}

/** Walks the days of every shop that was ever flagged (or lifted early); the others are at level none throughout. */
async function evaluateLevels(conn: DuckDBConnection, schedule: PolicySchedule, lifts: Map<string, LiftOverride[]>): Promise<{ flaggedShops: number; episodes: { shopId: string; episode: Episode }[] }> {
  await conn.run('CREATE OR REPLACE TEMP TABLE tmp_levels (shop_id VARCHAR, day DATE, level VARCHAR)');
  const rows = await queryRows<{ shop_id: string; day: string; flagged: boolean; orders: number; interventions: number; rate: number | null; category_mean: number | null; ratio: number | null }>(
    conn,
    sql.FLAGGED_SHOP_SERIES,
  );
  const levelShop: string[] = [];
  const levelDay: DuckDBDateValue[] = [];
  const levelName: string[] = [];
  const allEpisodes: { shopId: string; episode: Episode }[] = [];
  const policyOn = (day: string) => schedule.on(day);
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
    const { levels, episodes } = evaluateShop(days, policyOn, lifts.get(shopId));
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
  return { flaggedShops: shops, episodes: allEpisodes };
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
