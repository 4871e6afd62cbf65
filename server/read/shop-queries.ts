// Per-shop reads for the seller view: trend, cases, breakdown, peers, history.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryPrepared, queryRows } from '../db/database.js';
import type { Breakdown, Cases, History, Peers, Trend } from '../contracts/shop.js';
import type { Policy } from '../policy/policy.js';
import type { PolicySchedule } from '../policy/schedule.js';
import type { DataRangeRow } from './queries.js';

type Gated<T> = Omit<T, 'categoryComparable' | 'minPeerShops'>;

/**
 * The day a case counts on, as the metric engine places it (sql.ts caseDeltas): the day it was opened,
 * or under order_paid the day its order was paid (NULL when the order is not in the data: it counts
 * nowhere). A case table \`c\` LEFT JOINed to orders \`o\` on the order id; the join only under order_paid.
 */
function countDay(policy: Policy): { join: string; day: string } {
  return policy.countBasis === 'order_paid'
    ? { join: 'LEFT JOIN case_orders o ON o.order_id = c.order_id', day: 'CAST(timezone($tz, o.paid_at) AS DATE)' }
    : { join: '', day: 'CAST(timezone($tz, c.opened_at) AS DATE)' };
}

/** The name of a category (its id when the categories table does not name it). */
export async function categoryNameOf(conn: DuckDBConnection, categoryId: string): Promise<string> {
  const rows = await queryRows<{ name: string | null }>(conn, 'SELECT category_name AS name FROM categories WHERE category_id = $categoryId', { categoryId });
  return rows[0]?.name ?? categoryId;
}

const DAY_MS = 86_400_000;
/** Day numbers (days since 1970-01-01) of the days seen, and the days of the numbers: the forecast asks often. */
const dayNumbers = new Map<string, number>();
const dayTexts = new Map<number, string>();

export function addDays(day: string, n: number): string {
  let number = dayNumbers.get(day);
  if (number === undefined) {
    number = Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
    // An invalid day (NaN) is not kept: Date would throw on it below, as it always did.
    if (Number.isFinite(number) && dayNumbers.size < 100_000) dayNumbers.set(day, number);
  }
  const target = number + n;
  let text = dayTexts.get(target);
  if (text === undefined) {
    text = new Date(target * DAY_MS).toISOString().slice(0, 10);
    if (dayTexts.size < 100_000) dayTexts.set(target, text);
  }
  return text;
}

/**
 * The trend, and with it from the same pass over the shop's days (shop_days, server/db/views.ts) the other shops of the category with orders in
 * the window of each day (privacy.ts otherShopsWithOrdersByDay: a day of the shop's without a category_day
 * row counts 0; category_day has one row per category and day).
 */
export async function shopTrendWithOthers(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  shopId: string,
  from: string,
  to: string,
): Promise<{ trend: Gated<Trend>; othersByDay: Map<string, number> }> {
  // Prepared once per connection (the text never changes): one of the hot per-shop reads.
  const rows = await queryPrepared<Omit<Trend['points'][number], 'threshold'> & { otherShopsWithOrders: number }>(
    conn,
    `SELECT strftime(me.day, '%Y-%m-%d') AS date, me.orders, me.interventions, me.complaints, me.rate, me.category_mean AS "categoryMean", me.ratio,
       me.judged, me.flagged, me.level, (coalesce(c.shops_with_orders, 0) - (me.orders > 0)::INTEGER)::INTEGER AS "otherShopsWithOrders"
     FROM shop_days($shopId, $from::DATE, $to::DATE) me
     LEFT JOIN category_day c ON c.category_id = me.category_id AND c.day = me.day AND c.day BETWEEN $from::DATE AND $to::DATE
     ORDER BY me.day`,
    { shopId, from, to },
  );
  const othersByDay = new Map<string, number>();
  const points = rows.map(({ otherShopsWithOrders, ...r }) => {
    othersByDay.set(r.date, otherShopsWithOrders);
    const ratio = schedule.on(r.date).flagRatio;
    return { ...r, threshold: r.categoryMean === null ? null : ratio * r.categoryMean };
  });
  return { trend: { shopId, from, to, flagRatio: schedule.on(to).flagRatio, points }, othersByDay };
}

/**
 * The cases whose counting day lies in the window of the date, each with whether, on which day and until
 * when it counts. The counting day follows the count basis: the opened day, or under order_paid the day
 * its order was paid (in the policy time zone). Under order_paid a case whose order is not in the data
 * counts nowhere; it is listed (by its opened day) with orderKnown false and notCountedBecause
 * 'order_missing'. Under case_opened it counts like any other, as the engine counts it.
 */
export async function shopCases(conn: DuckDBConnection, schedule: PolicySchedule, _range: DataRangeRow, shopId: string, date: string): Promise<Cases> {
  const policy = schedule.active;
  const from = addDays(date, -(policy.windowDays - 1));
  // Prepared once per connection (the text never changes).
  const cases = await queryPrepared<Cases['cases'][number]>(
    conn,
    `WITH c AS (
       SELECT c.*, o.order_id IS NOT NULL AS order_known, o.goods_id,
         CAST(timezone($tz, c.opened_at) AS DATE) AS opened_day,
         CAST(timezone($tz, o.paid_at) AS DATE) AS paid_day
       FROM cases c LEFT JOIN case_orders o ON o.order_id = c.order_id
       WHERE c.shop_id = $shopId),
     k AS (
       SELECT *, CASE WHEN $basis = 'order_paid' THEN paid_day ELSE opened_day END AS count_day FROM c)
     SELECT case_id AS "caseId", order_id AS "orderId", kind, reason, strftime(opened_at, '%Y-%m-%dT%H:%M:%SZ') AS "openedAt",
       strftime(opened_day, '%Y-%m-%d') AS "openedDay", status, outcome, excluded, exclusion_reason AS "exclusionReason",
       NOT excluded AND count_day IS NOT NULL AS counted,
       strftime(coalesce(count_day, opened_day) + $window::INTEGER, '%Y-%m-%d') AS "leavesWindowOn", order_known AS "orderKnown",
       strftime(paid_day, '%Y-%m-%d') AS "paidDay", strftime(count_day, '%Y-%m-%d') AS "countsOn",
       CASE WHEN excluded THEN 'excluded' WHEN count_day IS NULL THEN 'order_missing' END AS "notCountedBecause",
       goods_id AS "goodsId"
     FROM k WHERE coalesce(count_day, opened_day) BETWEEN $from::DATE AND $date::DATE
     ORDER BY coalesce(count_day, opened_day) DESC, case_id`,
    { tz: policy.timeZone, basis: policy.countBasis, shopId, from, date, window: policy.windowDays },
  );
  return { shopId, date, window: { from, to: date }, countBasis: policy.countBasis, cases };
}

/**
 * Counted interventions and complaints (distinct orders) in the window by reason, and by week over
 * \`weeks\` weeks, each case placed on the day it counts on under the count basis (see shopCases).
 */
export async function shopBreakdown(conn: DuckDBConnection, schedule: PolicySchedule, shopId: string, date: string, weeks = 12): Promise<Gated<Breakdown>> {
  const policy = schedule.active;
  const from = addDays(date, -(policy.windowDays - 1));
  const counted = countDay(policy);
  const byReason = await queryRows<Breakdown['byReason'][number]>(
    conn,
    `WITH k AS (
       SELECT c.order_id, c.kind, c.reason, ${counted.day} AS day FROM cases c ${counted.join}
       WHERE c.shop_id = $shopId AND NOT c.excluded)
     SELECT coalesce(reason, 'unspecified') AS reason,
       count(DISTINCT order_id) FILTER (WHERE kind = 'intervention')::INTEGER AS interventions,
       count(DISTINCT order_id) FILTER (WHERE kind = 'complaint')::INTEGER AS complaints
     FROM k WHERE day BETWEEN $from::DATE AND $date::DATE
     GROUP BY ALL ORDER BY interventions DESC, complaints DESC, reason`,
    { shopId, tz: policy.timeZone, from, date },
  );
  // Weeks start on Monday; the last one holds the date.
  const weekFrom = addDays(date, -(weeks * 7 - 1));
  const byWeek = await queryRows<Breakdown['byWeek'][number]>(
    conn,
    `WITH weeks AS (
       SELECT date_trunc('week', $weekFrom::DATE + i::INTEGER * 7)::DATE AS week_start FROM range(0, $weeks + 1) t(i)),
     o AS (SELECT date_trunc('week', day)::DATE AS week_start, sum(orders) AS n
           FROM daily_orders WHERE shop_id = $shopId AND day BETWEEN $weekFrom::DATE AND $date::DATE GROUP BY ALL),
     k AS (SELECT c.order_id, c.kind, ${counted.day} AS day FROM cases c ${counted.join} WHERE c.shop_id = $shopId AND NOT c.excluded),
     c AS (SELECT date_trunc('week', day)::DATE AS week_start,
             count(DISTINCT order_id) FILTER (WHERE kind = 'intervention') AS k, count(DISTINCT order_id) FILTER (WHERE kind = 'complaint') AS m
           FROM k WHERE day BETWEEN $weekFrom::DATE AND $date::DATE GROUP BY ALL)
     SELECT DISTINCT strftime(w.week_start, '%Y-%m-%d') AS "weekStart", coalesce(c.k, 0)::INTEGER AS interventions,
       coalesce(c.m, 0)::INTEGER AS complaints, coalesce(o.n, 0)::INTEGER AS orders
     FROM weeks w LEFT JOIN o USING (week_start) LEFT JOIN c USING (week_start)
     WHERE w.week_start <= $date::DATE ORDER BY "weekStart"`,
    { shopId, tz: policy.timeZone, weekFrom, date, weeks },
  );
  const missing = await queryRows<{ n: number }>(
    conn,
    `SELECT count(*)::INTEGER AS n FROM cases c
     WHERE c.shop_id = $shopId AND NOT c.excluded AND CAST(timezone($tz, c.opened_at) AS DATE) BETWEEN $from::DATE AND $date::DATE
       AND NOT EXISTS (SELECT 1 FROM case_orders o WHERE o.order_id = c.order_id)`,
    { shopId, tz: policy.timeZone, from, date },
  );
  return { shopId, date, countBasis: policy.countBasis, byReason, byWeek, casesWithoutOrder: missing[0]?.n ?? 0 };
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

/** A shop of the category on the day, as the peers' comparison needs it. */
export interface PeerRow {
  shop_id: string;
  category_id: string;
  rate: number | null;
  judged: boolean;
  category_mean: number | null;
}

/** The shops of the shop's category on a date (the shop among them), from that day's shop-days. */
export async function peerRows(conn: DuckDBConnection, shopId: string, date: string): Promise<PeerRow[]> {
  return queryRows<PeerRow>(
    conn,
    `SELECT shop_id, category_id, rate, judged, category_mean FROM shop_days_on($date::DATE)
     WHERE category_id = (SELECT category_id FROM shops WHERE shop_id = $shopId)`,
    { shopId, date },
  );
}

export async function shopPeers(conn: DuckDBConnection, shopId: string, date: string): Promise<Gated<Peers> | null> {
  return peersOf(shopId, date, await peerRows(conn, shopId, date));
}

/** Where the shop stands among the judged shops of its category (rows: peerRows, or the same from the latest day in memory). */
export function peersOf(shopId: string, date: string, rows: readonly PeerRow[]): Gated<Peers> | null {
  const me = rows.find((r) => r.shop_id === shopId);
  if (!me) return null;
  const judged = rows
    .filter((r) => r.judged && r.rate !== null)
    .map((r) => r.rate as number)
    .sort((a, b) => a - b);
  // The share of the judged shops (judgedShops: the shop itself among them when it is judged) whose rate is
  // strictly below the shop's, so that "higher than {percentile} of the {judgedShops} judged shops" is true
  // as written: the top shop of 5 judged is above 4 of them (80%), never "above 100% of 5".
  // Null when no other shop is judged: there is nobody to compare with.
  const others = rows.filter((r) => r.shop_id !== shopId && r.judged && r.rate !== null).length;
  const percentile = me.rate === null || others === 0 ? null : judged.filter((r) => r < (me.rate as number)).length / judged.length;
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
    "SELECT strftime(day, '%Y-%m-%d') AS day, level FROM shop_days($shopId, DATE '0001-01-01', DATE '9999-12-31') ORDER BY day",
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
