// The SQL of the metric pipeline (DESIGN §5), one named statement per step, parameters bound.
// Every step computes the days from $from to the last; a full rebuild is the case $from = the first day.
//
// A sparse engine: a refresh stores what the shop-days are derived from, not a row for every shop and day
// (server/db/views.ts derives them on read): the orders per shop and local day (daily_orders), the change of
// each shop's window case counts per day (daily_cases), the category figures (category_day, from category sums),
// the policy's numbers per day (policy_day) and the level walk's results (shop_levels). Window counts, flags and
// levels are computed only for the shops that can be judged in range (their interventions reach the lowest
// floor of the versions in force) or that have something in force; every other shop is at level none
// throughout, its numbers computed when read.
//
// How the 30-day distinct count stays exact without scanning 30 days per shop-day:
// for each order, the distinct days on which it has a counted case are d1 < d2 < …; the order is
// in the window of day D when some di lies in D−W+1…D. Let each di "own" the days from di until
// the next case day of the same order, and at most W days: [di, min(di+W, di+1)). These spans are
// disjoint and their union is exactly the days the order counts on, so a +1 at each span's start
// and a −1 at its end, summed per shop and day (daily_cases) and then accumulated over days, is the number
// of distinct intervention orders in the window. Orders are one per id and day, so their window sum is
// the plain sum of the daily counts of the last W days.
//
// Shops get an integer key for the computation (tmp_shops.k, in shop id order; as scanned for a refresh of
// the last day alone, SHOP_KEYS_ONE_DAY), so the grid's joins and windows run on integers. Flags are a view
// over the counts, and everything that only the level walk can say (levels, runs, consecutive flagged days)
// is computed for the few shops that were flagged in range or had something in force.

import { localDaySql, type ZoneSpan } from './local-day.js';

/** The walk state of every walked shop on the day before $from (none in a full rebuild); a shop not stored has zeros. */
export const BASE_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_base AS
SELECT s.k, b.run_days, b.clean_days, b.consecutive_flagged
FROM shop_levels b JOIN tmp_shops s ON s.shop_id = b.shop_id
WHERE b.day = $from::DATE - 1 AND NOT $full`;

/** The shops with an integer key in shop id order. */
export const SHOP_KEYS = `
CREATE OR REPLACE TEMP TABLE tmp_shops AS
SELECT (row_number() OVER (ORDER BY shop_id))::INTEGER AS k, shop_id, category_id FROM shops`;

/** SHOP_KEYS for a refresh of the last day alone: any key unique in this computation will do, so no sort of the shops. */
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

/**
 * Per shop and day from $from on: the change in the window's intervention and complaint counts (the spans
 * above); the days before $from stand in daily_cases. In a full rebuild, changes before the first day (cases
 * opened before any order) fold into it.
 */
export const caseDeltas = (span: ZoneSpan | null) => `
CREATE OR REPLACE TEMP TABLE tmp_case_deltas AS
WITH case_days AS (
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
  SELECT shop_id, enter_day AS day, (kind = 'intervention')::INTEGER AS d_interventions, (kind = 'complaint')::INTEGER AS d_complaints FROM case_spans
  UNION ALL SELECT shop_id, leave_day, -(kind = 'intervention')::INTEGER, -(kind = 'complaint')::INTEGER FROM case_spans
  -- From the seam the spans arrive already counted per shop and day.
  UNION ALL SELECT shop_id, day, interventions_in - interventions_out, complaints_in - complaints_out FROM seam_daily WHERE $seam
)
SELECT shop_id, greatest(day, $from::DATE) AS day, sum(d_interventions)::INTEGER AS d_interventions, sum(d_complaints)::INTEGER AS d_complaints
FROM events WHERE day <= $last::DATE AND (day >= $from::DATE OR $full)
GROUP BY ALL
HAVING sum(d_interventions) <> 0 OR sum(d_complaints) <> 0`;

/**
 * The daily counts the computation reads, as temp views: the stored days before $from and the computed ones from
 * $from on (`stored`: false in a full rebuild and when everything is recomputed; `computed`: false when the
 * stored counts are reused as they are). `from` is a YYYY-MM-DD checked by the caller (views take no parameters).
 */
export function dailyViews(from: string, stored: boolean, computed: boolean): string[] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new Error(`not a day: ${from}`);
  const part = (table: string, columns: string, tmp: string) =>
    [stored ? `SELECT ${columns} FROM ${table}${computed ? ` WHERE day < DATE '${from}'` : ''}` : null, computed ? `SELECT ${columns} FROM ${tmp}` : null]
      .filter((x) => x !== null)
      .join(' UNION ALL ');
  return [
    `CREATE OR REPLACE TEMP VIEW tmp_orders_all AS ${part('daily_orders', 'shop_id, day, orders', 'tmp_daily_orders')}`,
    `CREATE OR REPLACE TEMP VIEW tmp_cases_all AS ${part('daily_cases', 'shop_id, day, d_interventions, d_complaints', 'tmp_case_deltas')}`,
  ];
}

/**
 * The shops whose window counts are computed: those whose interventions reach $min_interventions (the lowest floor
 * of the versions in force from $from on) on a day in range, those with a restriction in force the day before
 * (the walk resumes them), and those lifted early in range; every shop when $all (a floor of 0, or a category
 * mean over shop rates, which needs every shop's rate); and those at a level on $keep_day (a simulation's date). A shop's interventions on a day are the sum of its
 * changes up to that day, so over the range they take the value carried into $from and those of its change days.
 */
export const CANDIDATES = `
CREATE OR REPLACE TEMP TABLE tmp_cand AS
WITH k AS (
  SELECT shop_id, day, sum(d_interventions) OVER (PARTITION BY shop_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS interventions
  FROM tmp_cases_all WHERE day <= $last::DATE
),
reached AS (
  SELECT shop_id FROM k GROUP BY shop_id
  HAVING coalesce(max(interventions) FILTER (WHERE day >= $from::DATE), -1) >= $min_interventions
      OR coalesce(arg_max(interventions, day) FILTER (WHERE day < $from::DATE), 0) >= $min_interventions
)
SELECT t.k, t.shop_id, t.category_id FROM tmp_shops t
WHERE $all
   OR t.shop_id IN (SELECT shop_id FROM reached)
   OR t.shop_id IN (SELECT shop_id FROM restriction_episodes
                    WHERE NOT $full AND start_day < $from::DATE AND (end_day IS NULL OR end_day >= $from::DATE))
   OR t.shop_id IN (SELECT shop_id FROM decisions WHERE action = 'lift_early' AND effective_day >= $from::DATE)
   OR t.shop_id IN (SELECT shop_id FROM queue_day WHERE day = $keep_day::DATE)`;

/**
 * The window counts of the candidate shops on every day from $from to the last: orders summed over the last W
 * days, cases accumulated from the first day (what carries in from before the grid, then a running sum).
 */
export const CANDIDATE_COUNTS = `
CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS
WITH days AS (
  SELECT ($from::DATE - $window::INTEGER + 1 + i::INTEGER) AS day FROM range(0, datediff('day', $from::DATE, $last::DATE) + $window::INTEGER) t(i)
),
o AS (
  SELECT c.k, o.day, o.orders FROM tmp_orders_all o JOIN tmp_cand c ON c.shop_id = o.shop_id
  WHERE o.day > $from::DATE - $window::INTEGER AND o.day <= $last::DATE
),
x0 AS (
  SELECT c.k, sum(x.d_interventions) AS interventions, sum(x.d_complaints) AS complaints
  FROM tmp_cases_all x JOIN tmp_cand c ON c.shop_id = x.shop_id WHERE x.day <= $from::DATE - $window::INTEGER GROUP BY ALL
),
x AS (
  SELECT c.k, x.day, x.d_interventions, x.d_complaints FROM tmp_cases_all x JOIN tmp_cand c ON c.shop_id = x.shop_id
  WHERE x.day > $from::DATE - $window::INTEGER AND x.day <= $last::DATE
),
grid AS (
  SELECT c.k, c.category_id, d.day,
    sum(coalesce(o.orders, 0)) OVER (PARTITION BY c.k ORDER BY d.day ROWS BETWEEN $window::INTEGER - 1 PRECEDING AND CURRENT ROW) AS orders,
    coalesce(x0.interventions, 0) + sum(coalesce(x.d_interventions, 0)) OVER (PARTITION BY c.k ORDER BY d.day ROWS UNBOUNDED PRECEDING) AS interventions,
    coalesce(x0.complaints, 0) + sum(coalesce(x.d_complaints, 0)) OVER (PARTITION BY c.k ORDER BY d.day ROWS UNBOUNDED PRECEDING) AS complaints
  FROM tmp_cand c CROSS JOIN days d
  LEFT JOIN o ON o.k = c.k AND o.day = d.day
  LEFT JOIN x ON x.k = c.k AND x.day = d.day
  LEFT JOIN x0 ON x0.k = c.k
)
SELECT k, category_id, day, orders::INTEGER AS orders, interventions::INTEGER AS interventions, complaints::INTEGER AS complaints
FROM grid WHERE day >= $from::DATE`;

/**
 * A new day after the stored last day: every shop's window counts on it are those of the day before (shop_last) plus
 * the day's orders, less the orders of W days before, plus the day's case changes; no pass over the window's days.
 */
export const ONE_DAY_COUNTS = `
CREATE OR REPLACE TEMP TABLE tmp_shop_counts AS
SELECT s.k, s.category_id, $from::DATE AS day,
  (coalesce(b.orders, 0) + coalesce(n.orders, 0) - coalesce(o.orders, 0))::INTEGER AS orders,
  (coalesce(b.interventions, 0) + coalesce(x.d_interventions, 0))::INTEGER AS interventions,
  (coalesce(b.complaints, 0) + coalesce(x.d_complaints, 0))::INTEGER AS complaints
FROM tmp_shops s
LEFT JOIN shop_last b ON b.shop_id = s.shop_id AND b.day = $from::DATE - 1
LEFT JOIN tmp_daily_orders n ON n.shop_id = s.shop_id AND n.day = $from::DATE
LEFT JOIN (SELECT shop_id, orders FROM daily_orders WHERE day = $from::DATE - $window::INTEGER) o ON o.shop_id = s.shop_id
LEFT JOIN tmp_case_deltas x ON x.shop_id = s.shop_id AND x.day = $from::DATE`;

/** Every shop's window counts on the last day, from the stored daily counts (after a refresh of more than a new day). */
export const LAST_COUNTS = `
INSERT INTO shop_last
SELECT s.shop_id, $last::DATE, coalesce(o.orders, 0)::INTEGER, coalesce(x.interventions, 0)::INTEGER, coalesce(x.complaints, 0)::INTEGER
FROM shops s
LEFT JOIN (SELECT shop_id, sum(orders) AS orders FROM daily_orders
           WHERE day > $last::DATE - $window::INTEGER AND day <= $last::DATE GROUP BY ALL) o ON o.shop_id = s.shop_id
LEFT JOIN (SELECT shop_id, sum(d_interventions) AS interventions, sum(d_complaints) AS complaints FROM daily_cases
           WHERE day <= $last::DATE GROUP BY ALL) x ON x.shop_id = s.shop_id`;

/** shop_last from the counts of a new day (ONE_DAY_COUNTS: every shop). */
export const LAST_COUNTS_ONE_DAY = `
INSERT INTO shop_last SELECT s.shop_id, c.day, c.orders, c.interventions, c.complaints FROM tmp_shop_counts c JOIN tmp_shops s ON s.k = c.k`;

/**
 * Per category and day from $from on, from category sums (no shop-day grid): the shops, the orders of the last W
 * days, the cases accumulated, the pooled mean, and the shops with orders in the window (each day with orders
 * owns the days until the shop's next day with orders, at most W: disjoint spans, counted like the cases).
 */
export const CATEGORY_SUMS = `
CREATE OR REPLACE TEMP TABLE tmp_category_day AS
WITH days AS (SELECT ($from::DATE + i::INTEGER) AS day FROM range(0, datediff('day', $from::DATE, $last::DATE) + 1) t(i)),
cats AS (SELECT category_id, count(*)::INTEGER AS shops FROM tmp_shops GROUP BY ALL),
od AS (
  SELECT s.k, s.category_id, o.day, o.orders FROM tmp_orders_all o JOIN tmp_shops s ON s.shop_id = o.shop_id
  WHERE o.day > $from::DATE - $window::INTEGER AND o.day <= $last::DATE AND o.orders > 0
),
category_orders AS (SELECT category_id, day, sum(orders) AS orders FROM od GROUP BY ALL),
spans AS (
  SELECT category_id, day AS enter_day,
    least(day + $window::INTEGER, coalesce(lead(day) OVER (PARTITION BY k ORDER BY day), day + $window::INTEGER)) AS leave_day
  FROM od
),
with_orders AS (
  SELECT category_id, greatest(enter_day, $from::DATE) AS day, count(*) AS n FROM spans WHERE leave_day > $from::DATE GROUP BY ALL
  UNION ALL
  SELECT category_id, leave_day, -count(*) FROM spans WHERE leave_day > $from::DATE AND leave_day <= $last::DATE GROUP BY ALL
),
category_cases AS (
  SELECT s.category_id, x.day, sum(x.d_interventions) AS d_interventions, sum(x.d_complaints) AS d_complaints
  FROM tmp_cases_all x JOIN tmp_shops s ON s.shop_id = x.shop_id WHERE x.day <= $last::DATE GROUP BY ALL
),
sums AS (
  SELECT c.category_id, d.day, c.shops,
    coalesce((SELECT sum(o.orders) FROM category_orders o
              WHERE o.category_id = c.category_id AND o.day > d.day - $window::INTEGER AND o.day <= d.day), 0)::BIGINT AS orders,
    coalesce((SELECT sum(x.d_interventions) FROM category_cases x WHERE x.category_id = c.category_id AND x.day <= d.day), 0)::BIGINT AS interventions,
    coalesce((SELECT sum(x.d_complaints) FROM category_cases x WHERE x.category_id = c.category_id AND x.day <= d.day), 0)::BIGINT AS complaints,
    coalesce((SELECT sum(w.n) FROM with_orders w WHERE w.category_id = c.category_id AND w.day <= d.day), 0)::INTEGER AS shops_with_orders
  FROM cats c CROSS JOIN days d
)
SELECT category_id, day, shops, orders, interventions, complaints,
  CASE WHEN orders > 0 THEN interventions / orders END AS mean, shops_with_orders
FROM sums`;

/**
 * CATEGORY_SUMS for a category mean over shop rates: from every shop's counts (tmp_shop_counts holds every shop
 * then), as the mean needs each shop's rate.
 */
export const CATEGORY_DAY = `
CREATE OR REPLACE TEMP TABLE tmp_category_day AS
SELECT category_id, day, count(*)::INTEGER AS shops, sum(orders)::BIGINT AS orders, sum(interventions)::BIGINT AS interventions,
  sum(complaints)::BIGINT AS complaints,
  CASE WHEN $method = 'pooled' THEN CASE WHEN sum(orders) > 0 THEN sum(interventions) / sum(orders) END
       ELSE avg(CASE WHEN orders > 0 THEN interventions / orders END) END AS mean,
  count(*) FILTER (WHERE orders > 0)::INTEGER AS shops_with_orders
FROM tmp_shop_counts GROUP BY category_id, day`;

/**
 * The numbers of the policy version in force on each day of the data (tmp_policy_periods holds the versions' day
 * ranges), and whether the day's window is complete: stored as policy_day, which the shop-days are derived with.
 */
export const POLICY_DAYS = `
CREATE OR REPLACE TEMP TABLE tmp_policy_days AS
WITH days AS (SELECT ($first::DATE + i::INTEGER) AS day FROM range(0, datediff('day', $first::DATE, $last::DATE) + 1) t(i))
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

/**
 * The walk's results (tmp_levels: its shop-days other than level none with zero runs), by shop id, in shop and
 * day order: a reader of one shop's days finds them in a few row groups.
 */
export const PERSIST_LEVELS = `
INSERT INTO shop_levels
SELECT s.shop_id, l.day, l.level, l.run_days, l.clean_days, l.consecutive_flagged
FROM tmp_levels l JOIN tmp_shops s ON s.k = l.k
ORDER BY s.shop_id, l.day`;

/** The policy's numbers on every day of the data, with the category mean's method (the flag test depends on it). */
export const PERSIST_POLICY_DAY = `
INSERT INTO policy_day SELECT day, flag_ratio, flag_ratio_micro, min_orders, min_interventions, complete, $method FROM tmp_policy_days ORDER BY day`;

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
