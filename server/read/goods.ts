// GET /api/shops/:shopId/goods (DESIGN §4): what each goods of a shop contributes to its intervention rate
// on a date, and what the shop's rate, ratio and flag would have been without that goods' intervention
// orders.
//
// Counting follows the engine (server/pipeline/sql.ts) under the active policy's window, time zone and
// count basis: a goods' orders are the shop's orders of that goods paid in the window; its interventions
// are the distinct orders of that goods with a counted (not excluded, kind intervention) case whose
// counting day lies in the window — several cases on one order, on one day or on several, count once.
// Orders without a goods (and cases whose order is not in the data) belong to no item, so the shares of
// the items may add up to less than 1.
//
// The what-if reads "had that goods' intervention orders not happened" literally: those orders leave the
// shop's orders (the ones paid in the window) and its interventions, and the category's pooled counts
// lose the same (under mean_of_shop_rates the mean is taken again with the shop's new rate). The floors
// and the flag ratio are those of the policy version in force on the date, compared as the engine
// compares them; a day with an incomplete window is never flagged.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { Goods, GoodsItem } from '../contracts/shop.js';
import type { PolicySchedule } from '../policy/schedule.js';
import { addDays } from './shop-queries.js';
import { loadForecast } from './forecast.js';
import { loadLifts } from '../policy/lifts.js';

interface BaseRow {
  categoryId: string;
  orders: number;
  interventions: number;
  categoryOrders: number;
  categoryInterventions: number;
  complete: boolean;
}

/** The shop's numbers without some of its orders: rate, ratio against the recomputed mean, and the flag. */
export interface WhatIf {
  rate: number | null;
  ratio: number | null;
  flagged: boolean;
}

export interface WhatIfInput {
  /** The shop's window counts. */
  orders: number;
  interventions: number;
  /** The category's pooled window counts (the shop's included). */
  categoryOrders: number;
  categoryInterventions: number;
  /** Under mean_of_shop_rates: the rates of the category's shops with orders, the shop's own excluded. */
  otherRates: number[] | null;
  complete: boolean;
  minOrders: number;
  minInterventions: number;
  flagRatio: number;
}

/**
 * Rate, ratio and flag of a shop with `orders` and `interventions` in a category, exactly as the engine
 * flags (sql.ts shopFlags): pooled, by integers (K·ΣN·10⁶ ≥ round(ratio·10⁶)·N·ΣK) so that a ratio of exactly
 * the threshold is flagged; mean of shop rates, rate ≥ ratio·mean·(1 − 10⁻¹²).
 */
export function judgeShop(input: WhatIfInput): WhatIf {
  const { orders: n, interventions: k } = input;
  const rate = n > 0 ? k / n : null;
  let mean: number | null;
  if (input.otherRates === null) mean = input.categoryOrders > 0 ? input.categoryInterventions / input.categoryOrders : null;
  else {
    const rates = rate === null ? input.otherRates : [...input.otherRates, rate];
    mean = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : null;
  }
  const ratio = mean !== null && mean > 0 && rate !== null ? rate / mean : null;
  const judged = n >= input.minOrders && k >= input.minInterventions;
  let passes: boolean;
  if (input.otherRates === null) {
    const micro = BigInt(Math.round(input.flagRatio * 1_000_000));
    passes =
      input.categoryInterventions > 0 && BigInt(k) * BigInt(input.categoryOrders) * 1_000_000n >= micro * BigInt(n) * BigInt(input.categoryInterventions);
  } else passes = rate !== null && mean !== null && rate >= input.flagRatio * mean * (1 - 1e-12);
  const flagged = judged && input.complete && n > 0 && mean !== null && mean > 0 && rate !== null && passes;
  return { rate, ratio, flagged };
}

/** The goods of a shop on a date (null when the shop has no metrics that day). */
export async function shopGoods(conn: DuckDBConnection, schedule: PolicySchedule, shopId: string, date: string): Promise<Goods | null> {
  const policy = schedule.active;
  const onDay = schedule.on(date);
  const from = addDays(date, -(policy.windowDays - 1));
  const base = (
    await queryRows<BaseRow>(
      conn,
      `SELECT category_id AS "categoryId", orders, interventions, category_orders AS "categoryOrders",
         category_interventions AS "categoryInterventions", complete
       FROM shop_days($shopId, $date::DATE, $date::DATE)`,
      { shopId, date },
    )
  )[0];
  if (!base) return null;
  let otherRates: number[] | null = null;
  if (policy.categoryMean === 'mean_of_shop_rates') {
    const rows = await queryRows<{ rate: number }>(
      conn,
      `SELECT interventions / orders AS rate FROM shop_days_on($date::DATE)
       WHERE category_id = $categoryId AND shop_id <> $shopId AND orders > 0`,
      { categoryId: base.categoryId, date, shopId },
    );
    otherRates = rows.map((r) => Number(r.rate));
  }
  const rows = await queryRows<{ goodsId: string; goodsName: string; orders: number; interventions: number; paidInWindow: number }>(
    conn,
    `WITH win_orders AS (
       SELECT order_id, goods_id FROM orders
       WHERE shop_id = $shopId AND CAST(timezone($tz, paid_at) AS DATE) BETWEEN $from::DATE AND $date::DATE),
     counted AS (
       -- The shop's intervention orders of the window, as the engine counts them (once each).
       SELECT DISTINCT c.order_id FROM cases c LEFT JOIN case_orders o ON o.order_id = c.order_id
       WHERE c.shop_id = $shopId AND c.kind = 'intervention' AND NOT c.excluded
         AND CASE WHEN $basis = 'order_paid' THEN CAST(timezone($tz, o.paid_at) AS DATE) ELSE CAST(timezone($tz, c.opened_at) AS DATE) END
             BETWEEN $from::DATE AND $date::DATE),
     iv AS (
       SELECT o.goods_id, w.order_id IS NOT NULL AS paid_in_window
       FROM counted k JOIN case_orders o ON o.order_id = k.order_id LEFT JOIN win_orders w ON w.order_id = k.order_id
       WHERE o.goods_id IS NOT NULL),
     per AS (
       SELECT goods_id, count(*) AS orders, 0 AS interventions, 0 AS paid FROM win_orders WHERE goods_id IS NOT NULL GROUP BY goods_id
       UNION ALL
       SELECT goods_id, 0, count(*), count(*) FILTER (WHERE paid_in_window) FROM iv GROUP BY goods_id)
     SELECT p.goods_id AS "goodsId", coalesce(any_value(g.goods_name), p.goods_id) AS "goodsName",
       sum(p.orders)::INTEGER AS orders, sum(p.interventions)::INTEGER AS interventions, sum(p.paid)::INTEGER AS "paidInWindow"
     FROM per p LEFT JOIN goods g ON g.goods_id = p.goods_id
     GROUP BY p.goods_id
     ORDER BY interventions DESC, orders DESC, "goodsId"`,
    { shopId, tz: policy.timeZone, basis: policy.countBasis, from, date },
  );
  const items: GoodsItem[] = rows.map((r) => {
    const withoutIt = judgeShop({
      orders: base.orders - r.paidInWindow,
      interventions: base.interventions - r.interventions,
      categoryOrders: base.categoryOrders - r.paidInWindow,
      categoryInterventions: base.categoryInterventions - r.interventions,
      otherRates,
      complete: base.complete,
      minOrders: onDay.floors.minOrders,
      minInterventions: onDay.floors.minInterventions,
      flagRatio: onDay.flagRatio,
    });
    return {
      goodsId: r.goodsId,
      goodsName: r.goodsName,
      orders: r.orders,
      interventions: r.interventions,
      rate: r.orders > 0 ? r.interventions / r.orders : null,
      share: base.interventions > 0 ? r.interventions / base.interventions : null,
      withoutIt,
    };
  });
  // The forecast without each goods' counted intervention orders (only goods that have some: without the
  // others nothing changes): when the shop would fall under the threshold and its restrictions lift.
  const counted = await queryRows<{ goodsId: string; orderIds: string[] }>(
    conn,
    `SELECT o.goods_id AS "goodsId", list(DISTINCT c.order_id) AS "orderIds"
     FROM cases c JOIN case_orders o ON o.order_id = c.order_id
     WHERE c.shop_id = $shopId AND c.kind = 'intervention' AND NOT c.excluded AND o.goods_id IS NOT NULL
       AND CASE WHEN $basis = 'order_paid' THEN CAST(timezone($tz, o.paid_at) AS DATE) ELSE CAST(timezone($tz, c.opened_at) AS DATE) END
           BETWEEN $from::DATE AND $date::DATE
     GROUP BY o.goods_id`,
    { shopId, tz: policy.timeZone, basis: policy.countBasis, from, date },
  );
  const firstDay = await queryRows<{ first: string }>(conn, "SELECT strftime(first_day, '%Y-%m-%d') AS first FROM data_range");
  if (firstDay[0]) {
    const lifts = (await loadLifts(conn)).get(shopId) ?? [];
    for (const item of items) {
      const orderIds = counted.find((c) => c.goodsId === item.goodsId)?.orderIds ?? [];
      if (orderIds.length === 0) continue;
      const forecast = await loadForecast(conn, schedule, firstDay[0].first, shopId, date, lifts, orderIds);
      if (forecast) item.withoutIt = { ...item.withoutIt, belowThresholdOn: forecast.belowThresholdOn, liftOn: forecast.liftOn };
    }
  }
  return { shopId, date, window: { from, to: date }, items };
}
