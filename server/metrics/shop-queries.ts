// Per-shop reads for the seller view: trend, cases, breakdown, peers, history.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { Breakdown, Cases, History, Peers, Trend } from '../contracts/shop.js';
import type { PolicySchedule } from '../policy/schedule.js';
import type { DataRangeRow } from './queries.js';

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export async function shopTrend(conn: DuckDBConnection, schedule: PolicySchedule, shopId: string, from: string, to: string): Promise<Trend> {
  const rows = await queryRows<Omit<Trend['points'][number], 'threshold'>>(
    conn,
    `SELECT strftime(day, '%Y-%m-%d') AS date, orders, interventions, complaints, rate, category_mean AS "categoryMean", ratio, judged, flagged, level
     FROM shop_day WHERE shop_id = $shopId AND day BETWEEN $from::DATE AND $to::DATE ORDER BY day`,
    { shopId, from, to },
  );
  const points = rows.map((r) => {
    const ratio = schedule.on(r.date).flagRatio;
    return { ...r, threshold: r.categoryMean === null ? null : ratio * r.categoryMean };
  });
  return { shopId, from, to, flagRatio: schedule.on(to).flagRatio, points };
}

/** The cases whose counting day lies in the window of the date, each with whether and until when it counts. */
export async function shopCases(conn: DuckDBConnection, schedule: PolicySchedule, range: DataRangeRow, shopId: string, date: string): Promise<Cases> {
  const policy = schedule.active;
  const from = addDays(date, -(policy.windowDays - 1));
  const cases = await queryRows<Cases['cases'][number]>(
    conn,
    `WITH c AS (
       SELECT c.*, o.order_id IS NOT NULL AS order_known,
         CAST(timezone($tz, c.opened_at) AS DATE) AS opened_day,
         CAST(timezone($tz, CASE WHEN $basis = 'order_paid' THEN o.paid_at ELSE c.opened_at END) AS DATE) AS count_day
       FROM cases c LEFT JOIN orders o ON o.order_id = c.order_id
       WHERE c.shop_id = $shopId)
     SELECT case_id AS "caseId", order_id AS "orderId", kind, reason, strftime(opened_at, '%Y-%m-%dT%H:%M:%SZ') AS "openedAt",
       strftime(opened_day, '%Y-%m-%d') AS "openedDay", status, outcome, excluded, exclusion_reason AS "exclusionReason",
       NOT excluded AS counted, strftime(count_day + $window::INTEGER, '%Y-%m-%d') AS "leavesWindowOn", order_known AS "orderKnown"
     FROM c WHERE count_day BETWEEN $from::DATE AND $date::DATE
     ORDER BY count_day DESC, case_id`,
    { tz: policy.timeZone, basis: policy.countBasis, shopId, from, date, window: policy.windowDays },
  );
  return { shopId, date, window: { from, to: date }, cases };
}

export async function shopBreakdown(conn: DuckDBConnection, schedule: PolicySchedule, shopId: string, date: string, weeks = 12): Promise<Breakdown> {
  const policy = schedule.active;
  const from = addDays(date, -(policy.windowDays - 1));
  const byReason = await queryRows<Breakdown['byReason'][number]>(
    conn,
    `SELECT coalesce(reason, 'unspecified') AS reason,
       count(DISTINCT order_id) FILTER (WHERE kind = 'intervention')::INTEGER AS interventions,
       count(DISTINCT order_id) FILTER (WHERE kind = 'complaint')::INTEGER AS complaints
     FROM cases
     WHERE shop_id = $shopId AND NOT excluded AND CAST(timezone($tz, opened_at) AS DATE) BETWEEN $from::DATE AND $date::DATE
     GROUP BY ALL ORDER BY interventions DESC, complaints DESC, reason`,
    { shopId, tz: policy.timeZone, from, date },
  );
  // Weeks start on Monday; the last one holds the date.
  const weekFrom = addDays(date, -(weeks * 7 - 1));
  const byWeek = await queryRows<Breakdown['byWeek'][number]>(
    conn,
    `WITH weeks AS (
       SELECT date_trunc('week', $weekFrom::DATE + i::INTEGER * 7)::DATE AS week_start FROM range(0, $weeks + 1) t(i)),
     o AS (SELECT date_trunc('week', CAST(timezone($tz, paid_at) AS DATE))::DATE AS week_start, count(*) AS n
           FROM orders WHERE shop_id = $shopId AND CAST(timezone($tz, paid_at) AS DATE) BETWEEN $weekFrom::DATE AND $date::DATE GROUP BY ALL),
     c AS (SELECT date_trunc('week', CAST(timezone($tz, opened_at) AS DATE))::DATE AS week_start,
             count(DISTINCT order_id) FILTER (WHERE kind = 'intervention') AS k, count(DISTINCT order_id) FILTER (WHERE kind = 'complaint') AS m
           FROM cases WHERE shop_id = $shopId AND NOT excluded AND CAST(timezone($tz, opened_at) AS DATE) BETWEEN $weekFrom::DATE AND $date::DATE GROUP BY ALL)
     SELECT DISTINCT strftime(w.week_start, '%Y-%m-%d') AS "weekStart", coalesce(c.k, 0)::INTEGER AS interventions,
       coalesce(c.m, 0)::INTEGER AS complaints, coalesce(o.n, 0)::INTEGER AS orders
     FROM weeks w LEFT JOIN o USING (week_start) LEFT JOIN c USING (week_start)
     WHERE w.week_start <= $date::DATE ORDER BY "weekStart"`,
    { shopId, tz: policy.timeZone, weekFrom, date, weeks },
  );
  return { shopId, date, byReason, byWeek };
}

/** Linear-interpolated quantile of sorted values (as spreadsheet PERCENTILE.INC). */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Ten equal buckets from 0 to the largest rate (the shop's included), the last one closed. */
export function histogram(values: number[], include: number | null, count = 10): Peers['buckets'] {
  const top = Math.max(0, ...values, include ?? 0);
  if (top === 0) return [{ from: 0, to: 0, shops: values.length }];
  const width = top / count;
  const buckets = Array.from({ length: count }, (_, i) => ({ from: i * width, to: (i + 1) * width, shops: 0 }));
  for (const v of values) buckets[Math.min(count - 1, Math.floor(v / width))].shops++;
  return buckets;
}

export async function shopPeers(conn: DuckDBConnection, shopId: string, date: string): Promise<Peers | null> {
  const rows = await queryRows<{ shop_id: string; category_id: string; rate: number | null; judged: boolean; category_mean: number | null }>(
    conn,
    `SELECT shop_id, category_id, rate, judged, category_mean FROM shop_day
     WHERE day = $date::DATE AND category_id = (SELECT category_id FROM shops WHERE shop_id = $shopId)`,
    { shopId, date },
  );
  const me = rows.find((r) => r.shop_id === shopId);
  if (!me) return null;
  const judged = rows.filter((r) => r.judged && r.rate !== null).map((r) => r.rate as number).sort((a, b) => a - b);
  const peers = rows.filter((r) => r.shop_id !== shopId && r.judged && r.rate !== null).map((r) => r.rate as number);
  const percentile = me.rate === null || peers.length === 0 ? null : peers.filter((r) => r < (me.rate as number)).length / peers.length;
  return {
    shopId,
    categoryId: me.category_id,
    date,
    judgedShops: judged.length,
    categoryMean: me.category_mean,
    median: quantile(judged, 0.5),
    p90: quantile(judged, 0.9),
    buckets: histogram(judged, me.rate),
    shopRate: me.rate,
    percentile,
  };
}

export async function shopHistory(conn: DuckDBConnection, shopId: string): Promise<Omit<History, 'decisions'>> {
  const days = await queryRows<{ day: string; level: History['periods'][number]['level'] }>(
    conn,
    "SELECT strftime(day, '%Y-%m-%d') AS day, level FROM shop_day WHERE shop_id = $shopId ORDER BY day",
    { shopId },
  );
  const periods: History['periods'] = [];
  for (const d of days) {
    const last = periods[periods.length - 1];
    if (last && last.level === d.level) last.to = d.day;
    else periods.push({ level: d.level, from: d.day, to: d.day });
  }
  const episodes = await queryRows<History['episodes'][number]>(
    conn,
    `SELECT level, codes, strftime(start_day, '%Y-%m-%d') AS start, strftime(end_day, '%Y-%m-%d') AS "end", orders, interventions,
       rate, category_mean AS "categoryMean", ratio, flagged_days AS "flaggedDays", policy_version AS "policyVersion"
     FROM restriction_episodes WHERE shop_id = $shopId ORDER BY start_day, level`,
    { shopId },
  );
  return { shopId, periods, episodes };
}
