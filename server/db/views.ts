// The shop-days, derived on read (the sparse engine, server/pipeline/sql.ts). A refresh stores only what
// cannot be derived cheaply: the orders per shop and local day (daily_orders), the change of the window's
// case counts per shop and day (daily_cases), the category figures (category_day), the policy's numbers per
// day (policy_day) and the level walk's results for the few shops it walked (shop_levels). A shop's window
// counts on a day are then a sum over at most W of its days; flags follow from the counts, the category
// and the policy exactly as the pipeline computes them; every shop-day the walk did not store is at level
// none with zero runs.
//
// Two forms of one definition: the view shop_day (every shop and day; a reader that filters on a day or a
// category gets a join, not a pass over every shop-day) and the table macro shop_days(shop, from, to) for
// the readers of one shop's days, whose filters on the shop reach the stored tables' zone maps. Recreated
// at every start (they hold no data), so the definition lives in code, not in a migration; a test checks
// that both give the same rows.
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The columns of a shop-day from its window counts (`counts`: shop_id, day, category_id, orders,
 * interventions, complaints), with the category figures, the policy's numbers and the walk's results of the
 * day. The flag test is the pipeline's (shopFlags in server/pipeline/sql.ts): pooled means compare integers.
 */
function shopDayColumns(counts: string, levels = 'shop_levels'): string {
  return `
SELECT g.shop_id, g.day, g.category_id, g.orders, g.interventions, g.complaints,
  c.orders AS category_orders, c.interventions AS category_interventions,
  g.rate, c.mean AS category_mean,
  CASE WHEN c.mean > 0 AND g.rate IS NOT NULL THEN g.rate / c.mean END AS ratio,
  (g.orders >= p.min_orders AND g.interventions >= p.min_interventions) AS judged, p.complete,
  coalesce(g.orders >= p.min_orders AND g.interventions >= p.min_interventions AND p.complete AND g.orders > 0 AND c.mean > 0
    AND g.rate IS NOT NULL AND CASE WHEN p.method = 'pooled'
      THEN c.interventions > 0 AND g.interventions::HUGEINT * c.orders::HUGEINT * 1000000 >= p.flag_ratio_micro * g.orders::HUGEINT * c.interventions::HUGEINT
      ELSE g.rate >= p.flag_ratio * c.mean * (1 - 1e-12) END, false) AS flagged,
  coalesce(l.consecutive_flagged, 0) AS consecutive_flagged, coalesce(l.level, 'none') AS level,
  coalesce(l.run_days, 0) AS run_days, coalesce(l.clean_days, 0) AS clean_days
FROM (SELECT *, CASE WHEN orders > 0 THEN interventions / orders END AS rate FROM ${counts}) g
JOIN category_day c ON c.category_id = g.category_id AND c.day = g.day
JOIN policy_day p ON p.day = g.day
LEFT JOIN ${levels} l ON l.shop_id = g.shop_id AND l.day = g.day`;
}

/** Every shop on every day of the data: window counts as sums over the stored days (policy_day holds the days). */
const VIEW = `
CREATE OR REPLACE VIEW shop_day AS ${shopDayColumns(`(
  SELECT s.shop_id, p.day, s.category_id,
    coalesce((SELECT sum(o.orders) FROM daily_orders o
              WHERE o.shop_id = s.shop_id AND o.day > p.day - r.window_days AND o.day <= p.day), 0)::INTEGER AS orders,
    coalesce((SELECT sum(x.d_interventions) FROM daily_cases x WHERE x.shop_id = s.shop_id AND x.day <= p.day), 0)::INTEGER AS interventions,
    coalesce((SELECT sum(x.d_complaints) FROM daily_cases x WHERE x.shop_id = s.shop_id AND x.day <= p.day), 0)::INTEGER AS complaints
  FROM shops s CROSS JOIN policy_day p CROSS JOIN data_range r)`)}`;

/**
 * One shop's days from d0 to d1 (both DATE): running sums over its own days only (the days from the first
 * day of the data, a few hundred rows at most), so a trend or a day's metrics read a few row groups.
 */
const MACRO = `
CREATE OR REPLACE MACRO shop_days(sid, d0, d1) AS TABLE ${shopDayColumns(
  `(
  SELECT sid AS shop_id, w.day, s.category_id,
    w.orders::INTEGER AS orders, w.interventions::INTEGER AS interventions, w.complaints::INTEGER AS complaints
  FROM (
    SELECT d.day,
      sum(coalesce(o.orders, 0)) OVER (ORDER BY d.day ROWS BETWEEN d.window_days - 1 PRECEDING AND CURRENT ROW) AS orders,
      sum(coalesce(x.d_interventions, 0)) OVER (ORDER BY d.day ROWS UNBOUNDED PRECEDING) AS interventions,
      sum(coalesce(x.d_complaints, 0)) OVER (ORDER BY d.day ROWS UNBOUNDED PRECEDING) AS complaints
    -- least() would skip a NULL bound: no bound, no days (as the view's day filter).
    FROM (SELECT unnest(generate_series(first_day, CASE WHEN d1 IS NOT NULL THEN least(d1::DATE, last_day) END, INTERVAL 1 DAY))::DATE AS day,
            window_days FROM data_range) d
    LEFT JOIN (SELECT day, orders FROM daily_orders WHERE shop_id = sid AND day <= d1::DATE) o ON o.day = d.day
    LEFT JOIN (SELECT day, d_interventions, d_complaints FROM daily_cases WHERE shop_id = sid AND day <= d1::DATE) x ON x.day = d.day
  ) w
  -- An unknown shop has no row here, so no days.
  JOIN (SELECT category_id FROM shops WHERE shop_id = sid) s ON true
  WHERE w.day >= d0::DATE)`,
  '(SELECT * FROM shop_levels WHERE shop_id = sid)',
)}`;

/**
 * Every shop on one day d: the window's orders summed over the W days up to d (one pass over those days of
 * daily_orders, grouped by shop), the cases accumulated up to d. For the readers of a whole day (the latest
 * day in memory, the categories, an activation's levels, a category's peers on a date).
 */
const DAY_MACRO = `
CREATE OR REPLACE MACRO shop_days_on(d) AS TABLE ${shopDayColumns(
  `(
  SELECT s.shop_id, d::DATE AS day, s.category_id,
    coalesce(o.orders, 0)::INTEGER AS orders, coalesce(x.interventions, 0)::INTEGER AS interventions,
    coalesce(x.complaints, 0)::INTEGER AS complaints
  FROM shops s
  LEFT JOIN (SELECT shop_id, sum(orders) AS orders FROM daily_orders
             WHERE day > d::DATE - (SELECT window_days FROM data_range) AND day <= d::DATE GROUP BY shop_id) o ON o.shop_id = s.shop_id
  LEFT JOIN (SELECT shop_id, sum(d_interventions) AS interventions, sum(d_complaints) AS complaints FROM daily_cases
             WHERE day <= d::DATE GROUP BY shop_id) x ON x.shop_id = s.shop_id)`,
  '(SELECT * FROM shop_levels WHERE day = d::DATE)',
)}`;

/** (Re)creates the derived view and macros: after the migrations, at every start. */
export async function createDerivedViews(conn: DuckDBConnection): Promise<void> {
  await conn.run(VIEW);
  await conn.run(MACRO);
  await conn.run(DAY_MACRO);
}
