// Computes the metrics (window counts, category means, flags, levels) under a policy schedule, for the shops that
// can be judged (sql.ts: the sparse engine). compute() builds connection-local temp tables only, so a simulation
// can run it beside the readers; refreshMetrics() then replaces the stored tables the shop-days are derived from
// (server/db/views.ts) inside the caller's transaction, so readers see the old numbers or the new ones, never a mix.
import { DuckDBDataChunk, DuckDBDateValue, VARCHAR, DATE, DOUBLE, INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import { evaluateShop, type DayInput, type Episode, type LiftOverride } from '../policy/evaluate.js';
import { loadLifts } from '../policy/lifts.js';
import type { Policy } from '../policy/policy.js';
import { loadSchedule, PolicySchedule } from '../policy/schedule.js';
import * as sql from './sql.js';
import { zoneSpan } from './local-day.js';

export interface DataRange {
  first: string;
  last: string;
}

export interface RefreshSummary {
  range: DataRange | null;
  /** The first day recomputed (the first day of the data when everything was). */
  from: string | null;
  shopDays: number;
  /** A new day computed from the stored last day's counts (ONE_DAY_COUNTS). */
  newDay: boolean;
  flaggedShops: number;
  episodes: number;
  ms: number;
}

const DAY_MS = 86_400_000;
const TEMP_TABLES = [
  'tmp_daily_orders',
  'tmp_case_deltas',
  'tmp_cand',
  'tmp_shop_counts',
  'tmp_category_day',
  'tmp_policy_periods',
  'tmp_policy_days',
  'tmp_levels',
  'tmp_walk',
  'tmp_shops',
  'tmp_base',
];
const TEMP_VIEWS = ['tmp_shop_flags', 'tmp_candidate_flags', 'tmp_walk_flags', 'tmp_orders_all', 'tmp_cases_all'];

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

function dateValue(day: string): DuckDBDateValue {
  return new DuckDBDateValue(Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS));
}

/**
 * The first day (earliest paid order) and the last day with data (latest order or case), in the policy's zone.
 * `stored`: the range stored by the last refresh, if any. The earliest and latest instants are then looked for
 * near its ends first (a filter on the instants, so only the row groups there are read); only when nothing is
 * found there (the earliest or latest order was re-sent with another time) is every row read.
 */
export async function computeRange(conn: DuckDBConnection, policy: Policy, stored?: DataRange | null): Promise<DataRange | null> {
  if (await usesSeam(conn)) {
    const seam = await queryOne<{ first: string | null; last: string | null }>(
      conn,
      `SELECT strftime(min(day) FILTER (WHERE orders > 0), '%Y-%m-%d') AS first,
              strftime(max(day) FILTER (WHERE orders > 0 OR interventions_in > 0 OR complaints_in > 0), '%Y-%m-%d') AS last
       FROM seam_daily`,
    );
    return seam?.first && seam.last ? { first: seam.first, last: seam.last } : null;
  }
  const localDays = `SELECT strftime(CAST(timezone($tz, first_at) AS DATE), '%Y-%m-%d') AS first,
            strftime(greatest(CAST(timezone($tz, last_at) AS DATE), CAST(timezone($tz, last_case_at) AS DATE)), '%Y-%m-%d') AS last
     FROM t`;
  if (stored) {
    // Two days inside each end: wide enough for any zone's offset, narrow enough to read a few row groups.
    const near = await queryOne<{ first: string | null; last: string | null }>(
      conn,
      `WITH t AS (SELECT (SELECT min(paid_at) FROM orders WHERE paid_at < $lo::TIMESTAMPTZ) AS first_at,
                         (SELECT max(paid_at) FROM orders WHERE paid_at >= $hi::TIMESTAMPTZ) AS last_at,
                         (SELECT max(opened_at) FROM cases WHERE opened_at >= $hi::TIMESTAMPTZ) AS last_case_at)
       ${localDays}`,
      { tz: policy.timeZone, lo: `${addDays(stored.first, 2)} 00:00:00+00`, hi: `${addDays(stored.last, -2)} 00:00:00+00` },
    );
    // A case later than every order is found too: when none is that late, the latest order is the last day.
    if (near?.first && near.last) return { first: near.first, last: near.last };
  }
  // min and max of the instants first, then their local days.
  const row = await queryOne<{ first: string | null; last: string | null }>(
    conn,
    `WITH t AS (SELECT min(paid_at) AS first_at, max(paid_at) AS last_at, (SELECT max(opened_at) FROM cases) AS last_case_at FROM orders)
     ${localDays}`,
    { tz: policy.timeZone },
  );
  return row?.first && row.last ? { first: row.first, last: row.last } : null;
}

/** Whether the counts come from daily shop counts handed over by a distributed engine. */
export async function usesSeam(conn: DuckDBConnection): Promise<boolean> {
  return (await queryOne(conn, 'SELECT 1 AS one FROM seam_daily LIMIT 1')) !== undefined;
}

export interface Computed {
  range: DataRange;
  /** The first day computed: the first day of the data in a full rebuild. */
  from: string;
  full: boolean;
  /** Episodes of the walked shops from the day before `from` on (resumed ones included), to persist. */
  episodes: { shopId: string; episode: Episode }[];
  walkedShops: string[];
  /** The last day of the stored metrics before this computation (null when none were stored). */
  storedLast: string | null;
  /** A new day from the stored last day's counts (tmp_shop_counts then holds every shop). */
  oneDay: boolean;
}

export interface ComputeOptions {
  /** Recompute from this day on, resuming from the stored metrics of the day before. Default: everything. */
  from?: string | null;
  /** Take the daily counts and category means from the stored metrics (same structural policy). */
  reuseCounts?: boolean;
  /** Also count the shops at a level other than none on this day (a simulation compares their levels). */
  keepDay?: string | null;
}

/**
 * Builds, on this connection, temp tables for the days from `from` to the last: tmp_daily_orders and
 * tmp_case_deltas (the daily counts from `from` on), tmp_shop_counts (the candidate shops' window counts; every
 * shop's for a new day), tmp_category_day, tmp_shop_flags and tmp_levels (walk results). Reads the stored tables,
 * writes none of them.
 */
export async function compute(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  lifts: Map<string, LiftOverride[]>,
  options: ComputeOptions = {},
): Promise<Computed | null> {
  const policy = schedule.active;
  const stored = await queryOne<{ first: string; last: string }>(
    conn,
    "SELECT strftime(first_day, '%Y-%m-%d') AS first, strftime(last_day, '%Y-%m-%d') AS last FROM data_range",
  );
  const range = await computeRange(conn, policy, stored);
  if (!range) return null;
  // Resuming needs stored metrics of the day before, computed with the same first day (and a store written by
  // the sparse engine: a database migrated from before it has no policy_day and is rebuilt whole).
  const resumable = stored !== undefined && stored.first === range.first && (await queryOne(conn, 'SELECT 1 AS one FROM policy_day LIMIT 1')) !== undefined;
  let from = options.from && resumable && options.from > range.first ? options.from : range.first;
  if (stored && resumable && from > addDays(stored.last, 1)) from = addDays(stored.last, 1);
  const full = from === range.first;
  const p = { from, full, last: range.last, first: range.first, tz: policy.timeZone, window: policy.windowDays };
  await conn.run(!full && from === range.last ? sql.SHOP_KEYS_ONE_DAY : sql.SHOP_KEYS);
  await conn.run(sql.BASE_DAY, { from, full });
  await conn.run(
    'CREATE OR REPLACE TEMP TABLE tmp_policy_periods (from_day DATE, to_day DATE, flag_ratio DOUBLE, min_orders INTEGER, min_interventions INTEGER)',
  );
  for (const period of schedule.periods()) {
    await conn.run('INSERT INTO tmp_policy_periods VALUES ($from::DATE, $to::DATE, $ratio, $minOrders, $minInterventions)', {
      from: period.from,
      to: period.to,
      ratio: period.policy.flagRatio,
      minOrders: period.policy.floors.minOrders,
      minInterventions: period.policy.floors.minInterventions,
    });
  }
  await conn.run(sql.POLICY_DAYS, { first: p.first, last: p.last, window: p.window });
  const pooled = policy.categoryMean === 'pooled';
  if (!options.reuseCounts) {
    const seam = await usesSeam(conn);
    // The zone's offsets from W + 1 days before the first day read (cases) to the last day.
    const span = seam ? null : await zoneSpan(conn, p.tz, addDays(from, -(p.window + 1)), p.last);
    await conn.run(sql.dailyOrders(span), { tz: p.tz, from: full ? '0001-01-01' : from, seam });
    await conn.run(sql.caseDeltas(span), { from, full, last: p.last, tz: p.tz, window: p.window, basis: policy.countBasis, seam });
  }
  // A new day right after the stored last day: every shop's counts from the stored last day's (shop_last) and the
  // day's changes, and the category figures from them, as every shop is there.
  const oneDay =
    !options.reuseCounts &&
    stored !== undefined &&
    resumable &&
    from === range.last &&
    from === addDays(stored.last, 1) &&
    (await queryOne<{ same: boolean }>(
      conn,
      'SELECT (SELECT count(*) FROM shop_last WHERE day = $day::DATE) = (SELECT count(*) FROM shops) AND (SELECT count(*) FROM shops) > 0 AS same',
      { day: stored.last },
    ))!.same;
  if (oneDay) {
    await conn.run(sql.ONE_DAY_COUNTS, { from, window: p.window });
    await conn.run(sql.CATEGORY_DAY, { method: policy.categoryMean });
  } else {
    // Reused: the stored daily counts only; otherwise the stored days before $from and the computed ones from it.
    for (const view of sql.dailyViews(from, options.reuseCounts === true || !full, !options.reuseCounts)) await conn.run(view);
    // The lowest intervention floor in force from $from on: below it no shop-day can be judged.
    const floor = await queryOne<{ n: number | null }>(conn, 'SELECT min(min_interventions) AS n FROM tmp_policy_days WHERE day >= $from::DATE', {
      from,
    });
    // A category mean over shop rates needs every shop's rate (when it is computed here, not reused).
    const all = (floor?.n ?? 0) <= 0 || (!pooled && !options.reuseCounts);
    await conn.run(sql.CANDIDATES, { from, last: p.last, full, all, min_interventions: floor?.n ?? 0, keep_day: options.keepDay ?? null });
    await conn.run(sql.CANDIDATE_COUNTS, { from, last: p.last, window: p.window });
    if (options.reuseCounts) {
      await conn.run('CREATE OR REPLACE TEMP TABLE tmp_category_day AS SELECT * FROM category_day WHERE day >= $from::DATE', { from });
    } else if (pooled) {
      await conn.run(sql.CATEGORY_SUMS, { from, last: p.last, window: p.window });
    } else {
      await conn.run(sql.CATEGORY_DAY, { method: policy.categoryMean });
    }
  }
  const views = sql.flagViews(pooled ? 'pooled' : 'mean_of_shop_rates');
  await conn.run(views.all);
  await conn.run(views.candidates);
  const walked = await walkLevels(conn, schedule, lifts, from, full, views.walk);
  return { range, from, full, oneDay, ...walked, storedLast: stored?.last ?? null };
}

export async function dropTemp(conn: DuckDBConnection): Promise<void> {
  for (const view of TEMP_VIEWS) await conn.run(`DROP VIEW IF EXISTS ${view}`);
  for (const table of TEMP_TABLES) await conn.run(`DROP TABLE IF EXISTS ${table}`);
}

/**
 * Recomputes the materialized metrics from a day on (default: all of them) under the stored policy
 * schedule, and replaces the stored rows of those days. A batch passes the earliest day it changed.
 */
export async function refreshMetrics(conn: DuckDBConnection, options: { from?: string | null; schedule?: PolicySchedule } = {}): Promise<RefreshSummary> {
  const started = performance.now();
  const schedule = options.schedule ?? (await loadSchedule(conn));
  const computed = await compute(conn, schedule, await loadLifts(conn), { from: options.from });
  if (!computed) {
    for (const table of [
      'shop_last',
      'shop_levels',
      'daily_cases',
      'policy_day',
      'queue_day',
      'category_day',
      'restriction_episodes',
      'data_range',
      'daily_orders',
    ])
      await conn.run(`DELETE FROM ${table}`);
    return { range: null, from: null, shopDays: 0, newDay: false, flaggedShops: 0, episodes: 0, ms: performance.now() - started };
  }
  const { from, full } = computed;
  const since = { from };
  // A new day after the stored last day replaces nothing: no stored row is that late, so the deletes (each
  // a pass over a day column) are skipped.
  const replaces = full || computed.storedLast === null || from <= computed.storedLast;
  if (full) await conn.run('DELETE FROM daily_orders');
  else if (replaces) await conn.run('DELETE FROM daily_orders WHERE day >= $from::DATE', since);
  // Stored in shop order, so that a shop's days (the forecast reads them) skip most row groups; a later
  // partial refresh appends its few days at the end.
  await conn.run(`INSERT INTO daily_orders SELECT * FROM tmp_daily_orders${full ? ' ORDER BY shop_id, day' : ''}`);
  if (full) await conn.run('DELETE FROM daily_cases');
  else if (replaces) await conn.run('DELETE FROM daily_cases WHERE day >= $from::DATE', since);
  await conn.run(`INSERT INTO daily_cases SELECT * FROM tmp_case_deltas${full ? ' ORDER BY shop_id, day' : ''}`);
  // A full rebuild replaces every day: the first day may have moved later (an earliest order re-sent with a later time).
  if (full) await conn.run('DELETE FROM category_day');
  else if (replaces) await conn.run('DELETE FROM category_day WHERE day >= $from::DATE', since);
  await conn.run(sql.PERSIST_CATEGORY_DAY);
  await conn.run('DELETE FROM policy_day');
  await conn.run(sql.PERSIST_POLICY_DAY, { method: schedule.active.categoryMean });
  if (full) await conn.run('DELETE FROM shop_levels');
  else if (replaces) await conn.run('DELETE FROM shop_levels WHERE day >= $from::DATE', since);
  await conn.run(sql.PERSIST_LEVELS);
  if (full) await conn.run('DELETE FROM queue_day');
  else if (replaces) await conn.run('DELETE FROM queue_day WHERE day >= $from::DATE', since);
  if (computed.walkedShops.length > 0) await conn.run(sql.QUEUE_DAY);
  await conn.run('DELETE FROM shop_last');
  if (computed.oneDay) await conn.run(sql.LAST_COUNTS_ONE_DAY);
  else await conn.run(sql.LAST_COUNTS, { last: computed.range.last, window: schedule.active.windowDays });
  // Episodes: those that start in range are recomputed; those in force the day before were resumed by the walk.
  await conn.run('DELETE FROM restriction_episodes WHERE start_day >= $from::DATE OR (end_day IS NULL OR end_day >= $from::DATE)', since);
  await appendEpisodes(conn, computed.episodes);
  const policy = schedule.active;
  await conn.run('DELETE FROM data_range');
  await conn.run('INSERT INTO data_range VALUES ($first::DATE, $last::DATE, $window, $version, now())', {
    ...computed.range,
    window: policy.windowDays,
    version: policy.version,
  });
  // The shop-days this refresh covers (derived on read, not stored).
  const count = await queryOne<{ n: number }>(conn, "SELECT (SELECT count(*) FROM tmp_shops) * (datediff('day', $from::DATE, $last::DATE) + 1) AS n", {
    from,
    last: computed.range.last,
  });
  await dropTemp(conn);
  return {
    range: computed.range,
    from,
    shopDays: count?.n ?? 0,
    newDay: computed.oneDay,
    flaggedShops: computed.walkedShops.length,
    episodes: computed.episodes.length,
    ms: performance.now() - started,
  };
}

/** Appends episodes to restriction_episodes through a staging table (one append, not a statement each). */
async function appendEpisodes(conn: DuckDBConnection, episodes: { shopId: string; episode: Episode }[]): Promise<void> {
  if (episodes.length === 0) return;
  await conn.run(`CREATE OR REPLACE TEMP TABLE tmp_episodes (shop_id VARCHAR, level VARCHAR, codes VARCHAR, start_day DATE, end_day DATE,
    orders INTEGER, interventions INTEGER, rate DOUBLE, category_mean DOUBLE, ratio DOUBLE, flagged_days INTEGER, policy_version VARCHAR)`);
  const col = <T>(f: (x: { shopId: string; episode: Episode }) => T) => episodes.map(f);
  await appendColumns(
    conn,
    'tmp_episodes',
    [VARCHAR, VARCHAR, VARCHAR, DATE, DATE, INTEGER, INTEGER, DOUBLE, DOUBLE, DOUBLE, INTEGER, VARCHAR],
    [
      col((x) => x.shopId),
      col((x) => x.episode.level),
      col((x) => JSON.stringify(x.episode.codes)),
      col((x) => dateValue(x.episode.startDay)),
      col((x) => (x.episode.endDay ? dateValue(x.episode.endDay) : null)),
      col((x) => x.episode.orders),
      col((x) => x.episode.interventions),
      col((x) => x.episode.rate),
      col((x) => x.episode.categoryMean),
      col((x) => x.episode.ratio),
      col((x) => x.episode.flaggedDays),
      col((x) => x.episode.policyVersion),
    ],
  );
  await conn.run(`INSERT INTO restriction_episodes SELECT shop_id, level, codes::VARCHAR[], start_day, end_day, orders, interventions, rate,
    category_mean, ratio, flagged_days, policy_version FROM tmp_episodes`);
  await conn.run('DROP TABLE tmp_episodes');
}

interface SeriesRow {
  k: number;
  day: string;
  flagged: boolean;
  orders: number;
  interventions: number;
  rate: number | null;
  category_mean: number | null;
  ratio: number | null;
}

/**
 * Walks the days from `from` of every shop that needs it (flagged in range, something in force the day
 * before, or an early lift in range); every other shop is at level none throughout, with no run and no
 * flagged day. The walk also counts the days flagged in a row (from the stored count of the day before).
 */
async function walkLevels(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  lifts: Map<string, LiftOverride[]>,
  from: string,
  full: boolean,
  walkView: string,
): Promise<{ walkedShops: string[]; episodes: { shopId: string; episode: Episode }[] }> {
  await conn.run(
    'CREATE OR REPLACE TEMP TABLE tmp_levels (k INTEGER, day DATE, level VARCHAR, run_days INTEGER, clean_days INTEGER, consecutive_flagged INTEGER)',
  );
  await conn.run(sql.WALK_SHOPS, { from, full });
  const walk = await queryRows<{ k: number; shop_id: string; run_days: number; clean_days: number; consecutive_flagged: number }>(
    conn,
    'SELECT k, shop_id, run_days, clean_days, consecutive_flagged FROM tmp_walk ORDER BY k',
  );
  if (walk.length === 0) return { walkedShops: [], episodes: [] };
  await conn.run(walkView);
  const rows = await queryRows<SeriesRow>(conn, sql.WALK_SERIES);
  const openRows = full
    ? []
    : await queryRows<{
        shop_id: string;
        level: 'restricted' | 'severe';
        codes: string[];
        start_day: string;
        orders: number;
        interventions: number;
        rate: number | null;
        category_mean: number | null;
        ratio: number | null;
        flagged_days: number;
        policy_version: string;
      }>(conn, sql.OPEN_EPISODES, { from });
  const openByShop = new Map<string, Episode[]>();
  for (const r of openRows) {
    const list = openByShop.get(r.shop_id) ?? [];
    list.push({
      level: r.level,
      codes: r.codes,
      startDay: r.start_day,
      endDay: null,
      orders: r.orders,
      interventions: r.interventions,
      rate: r.rate,
      categoryMean: r.category_mean,
      ratio: r.ratio,
      flaggedDays: r.flagged_days,
      policyVersion: r.policy_version,
    });
    openByShop.set(r.shop_id, list);
  }
  const stateOf = new Map(walk.map((w) => [w.k, w]));
  const out = {
    k: [] as number[],
    day: [] as DuckDBDateValue[],
    level: [] as string[],
    run: [] as number[],
    clean: [] as number[],
    consecutive: [] as number[],
  };
  const allEpisodes: { shopId: string; episode: Episode }[] = [];
  const policyOn = (day: string) => schedule.on(day);
  for (let start = 0; start < rows.length;) {
    const k = rows[start].k;
    let end = start;
    while (end < rows.length && rows[end].k === k) end++;
    const days: DayInput[] = [];
    for (let i = start; i < end; i++) {
      const r = rows[i];
      days.push({
        day: r.day,
        flagged: r.flagged,
        orders: r.orders,
        interventions: r.interventions,
        rate: r.rate,
        categoryMean: r.category_mean,
        ratio: r.ratio,
      });
    }
    const state = stateOf.get(k)!;
    const shopId = state.shop_id;
    const resume = { run: state.run_days, clean: state.clean_days, open: openByShop.get(shopId) ?? [] };
    const { levels, runs, cleans, episodes } = evaluateShop(days, policyOn, lifts.get(shopId), resume);
    let consecutive = state.consecutive_flagged;
    levels.forEach((level, i) => {
      consecutive = days[i].flagged ? consecutive + 1 : 0;
      if (level === 'none' && runs[i] === 0 && cleans[i] === 0 && consecutive === 0) return;
      out.k.push(k);
      out.day.push(dateValue(days[i].day));
      out.level.push(level);
      out.run.push(runs[i]);
      out.clean.push(cleans[i]);
      out.consecutive.push(consecutive);
    });
    for (const episode of episodes) allEpisodes.push({ shopId, episode });
    start = end;
  }
  await appendColumns(
    conn,
    'tmp_levels',
    [INTEGER, DATE, VARCHAR, INTEGER, INTEGER, INTEGER],
    [out.k, out.day, out.level, out.run, out.clean, out.consecutive],
  );
  return { walkedShops: walk.map((w) => w.shop_id), episodes: allEpisodes };
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
