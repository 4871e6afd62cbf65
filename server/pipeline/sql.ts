// The SQL of the metric pipeline (DESIGN §5), one named statement per step, parameters bound.
// Every step computes the days from $from to $last; a full rebuild is the case $from = the first day.
//
// How the 30-day distinct count stays exact without scanning 30 days per shop-day:
// for each order, the distinct days on which it has a counted case are d1 < d2 < …; the order is
// in the window of day D when some di lies in D−W+1…D. Let each di "own" the days from di until
// the next case day of the same order, and at most W days: [di, min(di+W, di+1)). These spans are
// disjoint and their union is exactly the days the order counts on, so a +1 at each span's start
// and a −1 at its end, summed per shop and day and then accumulated over days, is the number of
// distinct intervention orders in the window. Orders are one per id and day, so their window sum is
// the plain sum of the daily counts.
//
// Window counts for days ≥ $from resume from the stored counts of $from − 1 (the base), plus the
// changes of each day: today's orders in, the orders of W days ago out, spans starting and ending.
//
// Shops get an integer key for the computation (tmp_shops.k, in shop id order; as scanned for a refresh of
// the last day alone, SHOP_KEYS_ONE_DAY), so the grid's
// joins, window and final sort run on integers. Flags are a view over the counts (computed where
// they are read, never stored wide in between), and everything that only the level walk can say
// (levels, runs, consecutive flagged days) is computed for the few shops that were flagged in range
// or had something in force: every other shop-day is at level none with zero runs.

import { localDaySql, type ZoneSpan } from './local-day.js';

/**
 * The stored state of every shop on the day before $from (nothing in a full rebuild): the window counts
 * the counts resume from and the walk state the walks resume from, read from shop_day once. The last
 * day's rows are stored after the others (SHOP_DAY), so for a new day the filter on the day reads only
 * the last row groups (zone maps), not every shop-day.
 */
export const BASE_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_base AS
SELECT s.k, b.orders, b.interventions, b.complaints, b.run_days, b.clean_days, b.consecutive_flagged
FROM shop_day b JOIN tmp_shops s ON s.shop_id = b.shop_id
WHERE b.day = $from::DATE - 1 AND NOT $full`;

/** The shops with an integer key in shop id order (the order shop_day is stored in). */
export const SHOP_KEYS = `
CREATE OR REPLACE TEMP TABLE tmp_shops AS
SELECT (row_number() OVER (ORDER BY shop_id))::INTEGER AS k, shop_id, category_id FROM shops`;

/**
 * SHOP_KEYS for a refresh of the last day alone: its rows fill the last row group whatever their order, so
 * any key unique in this computation will do: numbered as scanned, no sort of the shops.
 */
export const SHOP_KEYS_ONE_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_shops AS
SELECT (row_number() OVER ())::INTEGER AS k, shop_id, category_id FROM shops`;

/**
 * Orders per shop and local day, for the days from $from on (the rest of daily_orders stands). `span`:
 * the zone's offsets over the data (local-day.ts), so the local day is arithmetic, not a zone lookup per row.
 */
export const dailyOrders = (span: ZoneSpan | null) => `
CREATE OR REPLACE TEMP TABLE tmp_daily_orders AS
SELECT shop_id, ${localDaySql('paid_at', span)} AS day, count(*)::BIGINT AS orders
FROM orders
WHERE NOT $seam AND paid_at >= timezone($tz, $from::DATE::TIMESTAMP)
GROUP BY ALL
UNION ALL
SELECT shop_id, day, orders FROM seam_daily WHERE $seam AND day >= $from::DATE AND orders > 0`;

/** Per shop (key) and day: the change in the window counts (orders, interventions, complaints) on that day. */
export const windowDeltas = (span: ZoneSpan | null) => `
CREATE OR REPLACE TEMP TABLE tmp_window_deltas AS
WITH daily AS (
  -- Orders leave the window W days after they enter: only the stored days from $from − W to $last − W matter.
  -- From the seam they are in daily_orders; otherwise they are counted from the orders paid on those days (the
  -- orders are stored about in time order, so the filter on the instant reads a few row groups, where
  -- daily_orders, stored in shop order, would be read whole).
  SELECT shop_id, day, orders FROM daily_orders
  WHERE $seam AND day < $from::DATE AND day >= $from::DATE - $window::INTEGER AND day <= $last::DATE - $window::INTEGER AND NOT $full
  UNION ALL
  SELECT shop_id, ${localDaySql('paid_at', span)} AS day, count(*)::BIGINT AS orders FROM orders
  WHERE NOT $seam AND NOT $full AND paid_at >= timezone($tz, ($from::DATE - $window::INTEGER)::TIMESTAMP)
    AND paid_at < timezone($tz, least($from::DATE, $last::DATE - $window::INTEGER + 1)::TIMESTAMP)
  GROUP BY ALL
  UNION ALL SELECT shop_id, day, orders FROM tmp_daily_orders
),
case_days AS (
  -- By the day a case was opened; the join to orders only when cases count by their order's paid day.
  SELECT DISTINCT c.shop_id, c.kind, c.order_id, ${localDaySql('c.opened_at', span)} AS day
  FROM cases c
  WHERE NOT c.excluded AND NOT $seam AND $basis = 'case_opened'
    -- A partial refresh reads the cases of its last W days (and one more, for the zone) only: the rest own no day in range.
    AND ($full OR c.opened_at >= timezone($tz, ($from::DATE - ($window::INTEGER + 1))::TIMESTAMP))
  UNION ALL
  SELECT DISTINCT c.shop_id, c.kind, c.order_id, ${localDaySql('o.paid_at', span)} AS day
  FROM cases c JOIN orders o ON o.order_id = c.order_id
  WHERE NOT c.excluded AND NOT $seam AND $basis = 'order_paid'
    AND ($full OR o.paid_at >= timezone($tz, ($from::DATE - ($window::INTEGER + 1))::TIMESTAMP))
),
case_spans AS (
  -- A case day more than W days before $from owns no day from $from on, and the next case day of its
  -- order (which bounds a span) is always later: both are left out of a partial refresh.
  SELECT shop_id, kind, day AS enter_day,
    least(day + $window::INTEGER,
          coalesce(lead(day) OVER (PARTITION BY shop_id, kind, order_id ORDER BY day), day + $window::INTEGER)) AS leave_day
  FROM case_days WHERE day IS NOT NULL AND ($full OR day >= $from::DATE - $window::INTEGER)
),
events AS (
  SELECT shop_id, day, orders AS d_orders, 0 AS d_interventions, 0 AS d_complaints FROM daily WHERE day >= $from::DATE
  UNION ALL SELECT shop_id, day + $window::INTEGER, -orders, 0, 0 FROM daily WHERE day + $window::INTEGER >= $from::DATE
  UNION ALL SELECT shop_id, enter_day, 0, (kind = 'intervention')::INTEGER, (kind = 'complaint')::INTEGER FROM case_spans
  UNION ALL SELECT shop_id, leave_day, 0, -(kind = 'intervention')::INTEGER, -(kind = 'complaint')::INTEGER FROM case_spans
  -- From the seam the spans arrive already counted per shop and day.
  UNION ALL SELECT shop_id, day, 0, interventions_in - interventions_out, complaints_in - complaints_out FROM seam_daily WHERE $seam
),
summed AS (
  -- In a full rebuild, changes before the first day (cases opened before any order) fold into it.
  SELECT shop_id, greatest(day, $from::DATE) AS day,
    sum(d_orders)::BIGINT AS d_orders, sum(d_interventions)::BIGINT AS d_interventions, sum(d_complaints)::BIGINT AS d_complaints
  FROM events WHERE day <= $last::DATE AND (day >= $from::DATE OR $full)
  GROUP BY ALL
)
SELECT s.k, e.day, e.d_orders, e.d_interventions, e.d_complaints FROM summed e JOIN tmp_shops s ON s.shop_id = e.shop_id`;

/** Every shop on every day from $from to the last: its window counts (the base plus running sums of the deltas). */
export const SHOP_COUNTS = `
CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS
WITH days AS (SELECT ($from::DATE + i::INTEGER) AS day FROM range(0, datediff('day', $from::DATE, $last::DATE) + 1) t(i))
SELECT g.k, g.category_id, d.day,
  (coalesce(b.orders, 0) + sum(coalesce(e.d_orders, 0)) OVER w)::INTEGER AS orders,
  (coalesce(b.interventions, 0) + sum(coalesce(e.d_interventions, 0)) OVER w)::INTEGER AS interventions,
  (coalesce(b.complaints, 0) + sum(coalesce(e.d_complaints, 0)) OVER w)::INTEGER AS complaints
FROM tmp_shops g CROSS JOIN days d
LEFT JOIN tmp_window_deltas e ON e.k = g.k AND e.day = d.day
LEFT JOIN tmp_base b ON b.k = g.k
WINDOW w AS (PARTITION BY g.k ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;

/** SHOP_COUNTS when $from is the last day (a new day): the base plus the day's changes, no running sum. */
export const SHOP_COUNTS_ONE_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS
SELECT g.k, g.category_id, $from::DATE AS day,
  (coalesce(b.orders, 0) + coalesce(e.d_orders, 0))::INTEGER AS orders,
  (coalesce(b.interventions, 0) + coalesce(e.d_interventions, 0))::INTEGER AS interventions,
  (coalesce(b.complaints, 0) + coalesce(e.d_complaints, 0))::INTEGER AS complaints
FROM tmp_shops g
LEFT JOIN tmp_window_deltas e ON e.k = g.k AND e.day = $from::DATE
LEFT JOIN tmp_base b ON b.k = g.k`;

/** The window counts from the stored metrics (a simulation with the same structural policy). */
export const STORED_COUNTS = `
CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS
SELECT s.k, d.category_id, d.day, d.orders, d.interventions, d.complaints
FROM shop_day d JOIN tmp_shops s ON s.shop_id = d.shop_id WHERE d.day >= $from::DATE`;

/** Per category and day: shops, pooled counts, and the category mean by the policy's method. */
export const CATEGORY_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_category_day AS
SELECT category_id, day, count(*)::INTEGER AS shops, sum(orders)::BIGINT AS orders, sum(interventions)::BIGINT AS interventions,
  sum(complaints)::BIGINT AS complaints,
  CASE WHEN $method = 'pooled' THEN CASE WHEN sum(orders) > 0 THEN sum(interventions) / sum(orders) END
       ELSE avg(CASE WHEN orders > 0 THEN interventions / orders END) END AS mean,
  count(*) FILTER (WHERE orders > 0)::INTEGER AS shops_with_orders
FROM tmp_shop_counts GROUP BY category_id, day`;

/**
 * The numbers of the policy version in force on each day from $from to the last (tmp_policy_periods
 * holds the versions' day ranges), and whether the day's window is complete.
 */
export const POLICY_DAYS = `
CREATE OR REPLACE TEMP TABLE tmp_policy_days AS
WITH days AS (SELECT ($from::DATE + i::INTEGER) AS day FROM range(0, datediff('day', $from::DATE, $last::DATE) + 1) t(i))
SELECT d.day, p.flag_ratio, round(p.flag_ratio * 1000000)::HUGEINT AS flag_ratio_micro, p.min_orders, p.min_interventions,
  (d.day >= $first::DATE + ($window::INTEGER - 1)) AS complete
FROM days d JOIN tmp_policy_periods p ON d.day >= p.from_day AND d.day < p.to_day`;

/**
 * Rate, ratio, floors and flags of the shop-days of `counts` (tmp_shop_counts or a part of it), with
 * the numbers of the policy version in force on each day. Pooled flags compare integers
 * (K·ΣN ≥ ratio·N·ΣK, the ratio scaled to millionths) so that a ratio of exactly 5 is flagged however
 * the division rounds. `method` is 'pooled' or 'mean_of_shop_rates' (the caller picks one of the two
 * texts; views take no parameters).
 */
function shopFlags(method: 'pooled' | 'mean_of_shop_rates', counts: string): string {
  const test =
    method === 'pooled'
      ? 'category_interventions > 0 AND interventions::HUGEINT * category_orders::HUGEINT * 1000000 >= flag_ratio_micro * orders::HUGEINT * category_interventions::HUGEINT'
      : 'rate >= flag_ratio * category_mean * (1 - 1e-12)';
  return `
WITH judged AS (
  SELECT s.k, s.category_id, s.day, s.orders, s.interventions, s.complaints,
    c.orders AS category_orders, c.interventions AS category_interventions, c.mean AS category_mean,
    CASE WHEN s.orders > 0 THEN s.interventions / s.orders END AS rate,
    (s.orders >= p.min_orders AND s.interventions >= p.min_interventions) AS judged,
    p.complete, p.flag_ratio, p.flag_ratio_micro
  FROM ${counts} s
  JOIN tmp_category_day c ON c.category_id = s.category_id AND c.day = s.day
  JOIN tmp_policy_days p ON p.day = s.day
)
SELECT k, category_id, day, orders, interventions, complaints, category_orders, category_interventions, category_mean, rate,
  CASE WHEN category_mean > 0 AND rate IS NOT NULL THEN rate / category_mean END AS ratio, judged, complete,
  -- A shop without a rate or a ratio (no orders, or a category mean of 0 or none) is never flagged,
  -- whatever the floors; coalesce keeps a NULL comparison from reaching the level walk.
  coalesce(judged AND complete AND orders > 0 AND category_mean > 0 AND rate IS NOT NULL AND (${test}), false) AS flagged
FROM judged`;
}

/**
 * Views of the flags: tmp_shop_flags over every shop-day in range (read once, by the final insert),
 * tmp_candidate_flags over the shop-days that pass the lowest floors of any version in range (the
 * only ones that can be flagged: a few percent), and tmp_walk_flags over the walked shops' days.
 */
export function flagViews(method: 'pooled' | 'mean_of_shop_rates'): { all: string; candidates: string; walk: string } {
  return {
    all: `CREATE OR REPLACE TEMP VIEW tmp_shop_flags AS ${shopFlags(method, 'tmp_shop_counts')}`,
    candidates: `CREATE OR REPLACE TEMP VIEW tmp_candidate_flags AS ${shopFlags(
      method,
      `(SELECT * FROM tmp_shop_counts WHERE orders >= (SELECT min(min_orders) FROM tmp_policy_days)
          AND interventions >= (SELECT min(min_interventions) FROM tmp_policy_days))`,
    )}`,
    // Created once tmp_walk exists (WALK_SHOPS).
    walk: `CREATE OR REPLACE TEMP VIEW tmp_walk_flags AS ${shopFlags(method, '(SELECT * FROM tmp_shop_counts SEMI JOIN tmp_walk USING (k))')}`,
  };
}

/**
 * The shops whose levels need a walk from $from: flagged in range, or with something in force the
 * day before, or lifted early in range. Each with its walk state of the day before.
 */
export const WALK_SHOPS = `
CREATE OR REPLACE TEMP TABLE tmp_walk AS
SELECT s.k, t.shop_id, coalesce(b.run_days, 0) AS run_days, coalesce(b.clean_days, 0) AS clean_days,
  coalesce(b.consecutive_flagged, 0) AS consecutive_flagged
FROM (
  SELECT DISTINCT k FROM tmp_candidate_flags WHERE flagged
  UNION SELECT t.k FROM restriction_episodes e JOIN tmp_shops t ON t.shop_id = e.shop_id
    WHERE NOT $full AND e.start_day < $from::DATE AND (e.end_day IS NULL OR e.end_day >= $from::DATE)
  UNION SELECT t.k FROM decisions x JOIN tmp_shops t ON t.shop_id = x.shop_id WHERE x.action = 'lift_early' AND x.effective_day >= $from::DATE
) s
JOIN tmp_shops t ON t.k = s.k
LEFT JOIN tmp_base b ON b.k = s.k`;

/** The days of the walked shops (tmp_walk), in order. */
export const WALK_SERIES = `
SELECT f.k, strftime(f.day, '%Y-%m-%d') AS day, f.flagged, f.orders::INTEGER AS orders, f.interventions::INTEGER AS interventions,
  f.rate, f.category_mean, f.ratio
FROM tmp_walk_flags f
ORDER BY f.k, f.day`;

/** Episodes still in force on the day before $from: the walks resume with them. */
export const OPEN_EPISODES = `
SELECT shop_id, level, codes, strftime(start_day, '%Y-%m-%d') AS start_day, orders, interventions, rate, category_mean, ratio,
  flagged_days, policy_version
FROM restriction_episodes
WHERE start_day < $from::DATE AND (end_day IS NULL OR end_day >= $from::DATE)
ORDER BY shop_id, start_day, CASE level WHEN 'restricted' THEN 0 ELSE 1 END`;

const SHOP_DAY_ROWS = `
SELECT s.shop_id, f.day, f.category_id, f.orders, f.interventions, f.complaints,
  f.category_orders, f.category_interventions, f.rate, f.category_mean, f.ratio,
  f.judged, f.complete, f.flagged, coalesce(l.consecutive_flagged, 0), coalesce(l.level, 'none'),
  coalesce(l.run_days, 0), coalesce(l.clean_days, 0)
FROM tmp_shop_flags f JOIN tmp_shops s ON s.k = f.k LEFT JOIN tmp_levels l ON l.k = f.k AND l.day = f.day`;

/**
 * Every shop-day in range; the walk's results (tmp_levels) where it has any, level none and zeros elsewhere.
 * The days before the last are stored in shop order (k follows shop_id), so a lookup of one shop skips most
 * row groups (zone maps), and the last day after them, in shop order too (a shop's lookup then skips
 * most of that row group's segments): the last day's rows are always in the last row
 * groups (a later refresh deletes from its first day and appends), where the next day's BASE_DAY and the
 * readers of the latest day find them without reading every shop-day.
 */
export const SHOP_DAY_BEFORE_LAST = `
INSERT INTO shop_day ${SHOP_DAY_ROWS}
WHERE f.day < $last::DATE
ORDER BY f.k, f.day`;

export const SHOP_DAY_LAST = `
INSERT INTO shop_day ${SHOP_DAY_ROWS}
WHERE f.day = $last::DATE
ORDER BY f.k`;

/**
 * The flagged queue's table: the shop-days in range whose level is not none (a small share of shop_day).
 * Only a walked shop can have a level (every other shop-day is at none), so it is read from the walk's
 * results, as shop_day has them (created once the walk has shops: tmp_walk_flags).
 */
export const QUEUE_DAY = `
INSERT INTO queue_day
SELECT s.shop_id, f.day, f.category_id, f.orders, f.interventions, f.complaints, f.rate, f.category_mean, f.ratio,
  f.judged, f.flagged, l.level, l.consecutive_flagged, l.run_days, l.clean_days
FROM tmp_walk_flags f JOIN tmp_levels l ON l.k = f.k AND l.day = f.day JOIN tmp_shops s ON s.k = f.k
WHERE l.level <> 'none'
ORDER BY f.day, s.shop_id`;

export const PERSIST_CATEGORY_DAY = `INSERT INTO category_day SELECT * FROM tmp_category_day`;
