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

/** Orders per shop and local day, for the days from $from on (the rest of daily_orders stands). */
export const DAILY_ORDERS = `
CREATE OR REPLACE TEMP TABLE tmp_daily_orders AS
SELECT shop_id, CAST(timezone($tz, paid_at) AS DATE) AS day, count(*)::BIGINT AS orders
FROM orders
WHERE NOT $seam AND paid_at >= timezone($tz, $from::DATE::TIMESTAMP)
GROUP BY ALL
UNION ALL
SELECT shop_id, day, orders FROM seam_daily WHERE $seam AND day >= $from::DATE AND orders > 0`;

/** Per shop and day: the change in the window counts (orders, interventions, complaints) on that day. */
export const WINDOW_DELTAS = `
CREATE OR REPLACE TEMP TABLE tmp_window_deltas AS
WITH daily AS (
  SELECT shop_id, day, orders FROM daily_orders WHERE day < $from::DATE AND NOT $full
  UNION ALL SELECT shop_id, day, orders FROM tmp_daily_orders
),
case_days AS (
  -- By the day a case was opened; the join to orders only when cases count by their order's paid day.
  SELECT DISTINCT c.shop_id, c.kind, c.order_id, CAST(timezone($tz, c.opened_at) AS DATE) AS day
  FROM cases c
  WHERE NOT c.excluded AND NOT $seam AND $basis = 'case_opened'
  UNION ALL
  SELECT DISTINCT c.shop_id, c.kind, c.order_id, CAST(timezone($tz, o.paid_at) AS DATE) AS day
  FROM cases c JOIN orders o ON o.order_id = c.order_id
  WHERE NOT c.excluded AND NOT $seam AND $basis = 'order_paid'
),
case_spans AS (
  SELECT shop_id, kind, day AS enter_day,
    least(day + $window::INTEGER,
          coalesce(lead(day) OVER (PARTITION BY shop_id, kind, order_id ORDER BY day), day + $window::INTEGER)) AS leave_day
  FROM case_days WHERE day IS NOT NULL
),
events AS (
  SELECT shop_id, day, orders AS d_orders, 0 AS d_interventions, 0 AS d_complaints FROM daily WHERE day >= $from::DATE
  UNION ALL SELECT shop_id, day + $window::INTEGER, -orders, 0, 0 FROM daily WHERE day + $window::INTEGER >= $from::DATE
  UNION ALL SELECT shop_id, enter_day, 0, (kind = 'intervention')::INTEGER, (kind = 'complaint')::INTEGER FROM case_spans
  UNION ALL SELECT shop_id, leave_day, 0, -(kind = 'intervention')::INTEGER, -(kind = 'complaint')::INTEGER FROM case_spans
  -- From the seam the spans arrive already counted per shop and day.
  UNION ALL SELECT shop_id, day, 0, interventions_in - interventions_out, complaints_in - complaints_out FROM seam_daily WHERE $seam
)
-- In a full rebuild, changes before the first day (cases opened before any order) fold into it.
SELECT shop_id, greatest(day, $from::DATE) AS day,
  sum(d_orders)::BIGINT AS d_orders, sum(d_interventions)::BIGINT AS d_interventions, sum(d_complaints)::BIGINT AS d_complaints
FROM events WHERE day <= $last::DATE AND (day >= $from::DATE OR $full)
GROUP BY ALL`;

/** Every shop on every day from $from to the last: its window counts (the base plus running sums of the deltas). */
export const SHOP_COUNTS = `
CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS
WITH days AS (SELECT ($from::DATE + i::INTEGER) AS day FROM range(0, datediff('day', $from::DATE, $last::DATE) + 1) t(i)),
grid AS (SELECT s.shop_id, s.category_id, d.day FROM shops s CROSS JOIN days d),
base AS (SELECT shop_id, orders, interventions, complaints FROM shop_day WHERE day = $from::DATE - 1 AND NOT $full)
SELECT g.shop_id, g.category_id, g.day,
  coalesce(b.orders, 0) + sum(coalesce(e.d_orders, 0)) OVER w AS orders,
  coalesce(b.interventions, 0) + sum(coalesce(e.d_interventions, 0)) OVER w AS interventions,
  coalesce(b.complaints, 0) + sum(coalesce(e.d_complaints, 0)) OVER w AS complaints
FROM grid g
LEFT JOIN tmp_window_deltas e ON e.shop_id = g.shop_id AND e.day = g.day
LEFT JOIN base b ON b.shop_id = g.shop_id
WINDOW w AS (PARTITION BY g.shop_id ORDER BY g.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;

/** Per category and day: shops, pooled counts, and the category mean by the policy's method. */
export const CATEGORY_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_category_day AS
SELECT category_id, day, count(*)::INTEGER AS shops, sum(orders)::BIGINT AS orders, sum(interventions)::BIGINT AS interventions,
  sum(complaints)::BIGINT AS complaints,
  CASE WHEN $method = 'pooled' THEN CASE WHEN sum(orders) > 0 THEN sum(interventions) / sum(orders) END
       ELSE avg(CASE WHEN orders > 0 THEN interventions / orders END) END AS mean
FROM tmp_shop_counts GROUP BY ALL`;

/**
 * Rate, ratio, floors and flags, with the numbers of the policy version in force on each day.
 * Pooled flags compare integers (K·ΣN ≥ ratio·N·ΣK, the ratio scaled to millionths) so that a ratio
 * of exactly 5 is flagged however the division rounds.
 */
export const SHOP_FLAGS = `
CREATE OR REPLACE TEMP TABLE tmp_shop_flags AS
WITH judged AS (
  SELECT s.*, c.orders AS category_orders, c.interventions AS category_interventions, c.mean AS category_mean,
    CASE WHEN s.orders > 0 THEN s.interventions / s.orders END AS rate,
    (s.orders >= p.min_orders AND s.interventions >= p.min_interventions) AS judged,
    (s.day >= $first::DATE + ($window::INTEGER - 1)) AS complete,
    p.flag_ratio
  FROM tmp_shop_counts s
  JOIN tmp_category_day c ON c.category_id = s.category_id AND c.day = s.day
  JOIN tmp_policy_periods p ON s.day >= p.from_day AND s.day < p.to_day
),
flags AS (
  SELECT *,
    CASE WHEN category_mean > 0 AND rate IS NOT NULL THEN rate / category_mean END AS ratio,
    -- A shop without a rate or a ratio (no orders, or a category mean of 0 or none) is never flagged,
    -- whatever the floors; coalesce keeps a NULL comparison from reaching the level walk.
    coalesce(judged AND complete AND orders > 0 AND category_mean > 0 AND rate IS NOT NULL AND CASE
      WHEN $method = 'pooled' THEN category_interventions > 0 AND
        interventions::HUGEINT * category_orders::HUGEINT * 1000000 >= round(flag_ratio * 1000000)::HUGEINT * orders::HUGEINT * category_interventions::HUGEINT
      ELSE rate >= flag_ratio * category_mean * (1 - 1e-12)
    END, false) AS flagged
  FROM judged
),
base AS (SELECT shop_id, consecutive_flagged FROM shop_day WHERE day = $from::DATE - 1 AND NOT $full)
-- Days flagged in a row: since the last unflagged day in range, or carried on from the day before $from.
SELECT f.* EXCLUDE (flag_ratio),
  CASE WHEN f.flagged THEN coalesce(
    datediff('day', max(CASE WHEN NOT f.flagged THEN f.day END) OVER (PARTITION BY f.shop_id ORDER BY f.day ROWS UNBOUNDED PRECEDING), f.day),
    coalesce(b.consecutive_flagged, 0) + datediff('day', $from::DATE, f.day) + 1) ELSE 0 END AS consecutive_flagged
FROM flags f LEFT JOIN base b ON b.shop_id = f.shop_id`;

/**
 * The shops whose levels need a walk from $from: flagged in range, or with something in force the
 * day before, or lifted early in range. Each with its walk state of the day before.
 */
export const WALK_SHOPS = `
SELECT s.shop_id, coalesce(b.run_days, 0) AS run_days, coalesce(b.clean_days, 0) AS clean_days
FROM (
  SELECT DISTINCT shop_id FROM tmp_shop_flags WHERE flagged
  UNION SELECT shop_id FROM restriction_episodes WHERE NOT $full AND start_day < $from::DATE AND (end_day IS NULL OR end_day >= $from::DATE)
  UNION SELECT shop_id FROM decisions WHERE action = 'lift_early' AND effective_day >= $from::DATE
) s
LEFT JOIN shop_day b ON b.shop_id = s.shop_id AND b.day = $from::DATE - 1 AND NOT $full`;

/** The days of the walked shops (tmp_walk), in order. */
export const WALK_SERIES = `
SELECT f.shop_id, strftime(f.day, '%Y-%m-%d') AS day, f.flagged, f.orders::INTEGER AS orders, f.interventions::INTEGER AS interventions,
  f.rate, f.category_mean, f.ratio
FROM tmp_shop_flags f SEMI JOIN tmp_walk w ON w.shop_id = f.shop_id
ORDER BY f.shop_id, f.day`;

/** Episodes still in force on the day before $from: the walks resume with them. */
export const OPEN_EPISODES = `
SELECT shop_id, level, codes, strftime(start_day, '%Y-%m-%d') AS start_day, orders, interventions, rate, category_mean, ratio,
  flagged_days, policy_version
FROM restriction_episodes
WHERE start_day < $from::DATE AND (end_day IS NULL OR end_day >= $from::DATE)
ORDER BY shop_id, start_day, CASE level WHEN 'restricted' THEN 0 ELSE 1 END`;

export const SHOP_DAY = `
INSERT INTO shop_day
SELECT f.shop_id, f.day, f.category_id, f.orders::INTEGER, f.interventions::INTEGER, f.complaints::INTEGER,
  f.category_orders, f.category_interventions, f.rate, f.category_mean, f.ratio,
  f.judged, f.complete, f.flagged, f.consecutive_flagged::INTEGER, coalesce(l.level, 'none'),
  coalesce(l.run_days, 0), coalesce(l.clean_days, 0)
FROM tmp_shop_flags f LEFT JOIN tmp_levels l ON l.shop_id = f.shop_id AND l.day = f.day
-- Stored in shop order, so a lookup of one shop skips most row groups (zone maps).
ORDER BY f.shop_id, f.day`;

export const PERSIST_CATEGORY_DAY = `INSERT INTO category_day SELECT * FROM tmp_category_day`;
