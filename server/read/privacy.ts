// DESIGN §3 small categories: a seller sees category figures (mean, threshold, ratio, peers, and anything
// from which another shop's numbers can be solved) only when the category has at least a minimum number
// of OTHER shops with orders in the window on that day (MIN_PEER_SHOPS, default 5). Below it the seller
// is told the category is too small to compare — a boolean and the minimum, never the count, which would
// help solve — and every such figure is null or empty. Reviewers and admins see everything.
//
// The count is read from category_day (shops with orders, stored by each refresh) at request time (bound parameters only); the redaction is applied by the
// routes, by role, to every answer, also those served from the in-memory latest day.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import type { ShopMetrics } from '../contracts/metrics.js';
import type { Breakdown, Forecast, History, Peers, Trend } from '../contracts/shop.js';

/** Whether a category with this many other shops with orders meets the minimum. */
export function isComparable(otherShopsWithOrders: number, minPeerShops: number): boolean {
  return otherShopsWithOrders >= minPeerShops;
}

/** The other shops of the shop's category with orders in the window of a date (0 when the shop has no row that day). */
export async function otherShopsWithOrders(conn: DuckDBConnection, shopId: string, date: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
    conn,
    `SELECT (c.shops_with_orders - (me.orders > 0)::INTEGER)::INTEGER AS n
     FROM shop_days($shopId, $date::DATE, $date::DATE) me JOIN category_day c ON c.category_id = me.category_id AND c.day = me.day
     WHERE c.day = $date::DATE`,
    { shopId, date },
  );
  return row?.n ?? 0;
}

/** The same count for each day from..to with a row of the shop (days without one are absent). */
export async function otherShopsWithOrdersByDay(conn: DuckDBConnection, shopId: string, from: string, to: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ day: string; n: number }>(
    conn,
    `SELECT strftime(me.day, '%Y-%m-%d') AS day, (coalesce(c.shops_with_orders, 0) - (me.orders > 0)::INTEGER)::INTEGER AS n
     FROM shop_days($shopId, $from::DATE, $to::DATE) me
     LEFT JOIN category_day c ON c.category_id = me.category_id AND c.day = me.day AND c.day BETWEEN $from::DATE AND $to::DATE`,
    { shopId, from, to },
  );
  return new Map(rows.map((r) => [r.day, r.n]));
}

/** Who reads, and the minimum in force: sellers are gated, reviewers and admins see everything. */
export interface Reader {
  seller: boolean;
  minPeerShops: number;
}

/** GET /shops/:id/metrics: for a seller, the gate fields; categoryMean and ratio null when too small (a copy). */
export function metricsFor(reader: Reader, metrics: ShopMetrics, others: number): ShopMetrics {
  if (!reader.seller) return metrics;
  const comparable = isComparable(others, reader.minPeerShops);
  return {
    ...metrics,
    ...(comparable ? {} : { categoryMean: null, ratio: null }),
    categoryComparable: comparable,
    minPeerShops: reader.minPeerShops,
  };
}

/** Trend: comparable when every day of the range is; a seller's incomparable days lose mean, threshold and ratio. */
export function trendFor(reader: Reader, trend: Omit<Trend, 'categoryComparable' | 'minPeerShops'>, othersByDay: Map<string, number>): Trend {
  const ok = (day: string) => isComparable(othersByDay.get(day) ?? 0, reader.minPeerShops);
  return {
    ...trend,
    points: reader.seller ? trend.points.map((p) => (ok(p.date) ? p : { ...p, categoryMean: null, threshold: null, ratio: null })) : trend.points,
    categoryComparable: trend.points.every((p) => ok(p.date)),
    minPeerShops: reader.minPeerShops,
  };
}

/** Peers: a seller of a small category sees only the shop's own rate. */
export function peersFor(reader: Reader, peers: Omit<Peers, 'categoryComparable' | 'minPeerShops'>, others: number): Peers {
  const comparable = isComparable(others, reader.minPeerShops);
  const gate = { categoryComparable: comparable, minPeerShops: reader.minPeerShops };
  if (comparable || !reader.seller) return { ...peers, ...gate };
  return { ...peers, judgedShops: null, categoryMean: null, median: null, p90: null, buckets: [], percentile: null, ...gate };
}

/**
 * Forecast: the per-day thresholds of a small category solve for the other shops' numbers, and the
 * headroom probes the threshold; a seller sees neither. The shop's own projection (rate, flags, levels,
 * when it falls under and lifts) stays.
 */
export function forecastFor(reader: Reader, forecast: Omit<Forecast, 'categoryComparable' | 'minPeerShops'>, others: number): Forecast {
  const comparable = isComparable(others, reader.minPeerShops);
  const gate = { categoryComparable: comparable, minPeerShops: reader.minPeerShops };
  if (comparable || !reader.seller) return { ...forecast, ...gate };
  return { ...forecast, headroom7d: null, points: forecast.points.map((p) => ({ ...p, threshold: null })), ...gate };
}

/** Breakdown: the shop's own counts only; the gate says whether the category could be compared. */
export function breakdownFor(reader: Reader, breakdown: Omit<Breakdown, 'categoryComparable' | 'minPeerShops'>, others: number): Breakdown {
  return { ...breakdown, categoryComparable: isComparable(others, reader.minPeerShops), minPeerShops: reader.minPeerShops };
}

/** History: the category mean and ratio behind an episode, for a seller only when the category was large enough on its first day. */
export function historyFor<H extends Pick<History, 'episodes'>>(reader: Reader, history: H, othersByDay: Map<string, number>): H {
  if (!reader.seller) return history;
  return {
    ...history,
    episodes: history.episodes.map((e) => (isComparable(othersByDay.get(e.start) ?? 0, reader.minPeerShops) ? e : { ...e, categoryMean: null, ratio: null })),
  };
}
