-- Daily shop counts: the seam between the raw event stream and Intervention Watch's metrics.
--
-- An existing engine (Spark SQL, Flink SQL in batch mode, Trino) runs this over the raw `orders` and
-- `cases` tables (the columns of DESIGN §2, timestamps as TIMESTAMP WITH TIME ZONE) and writes the
-- result as Parquet partitioned by `day` (hive style: day=YYYY-MM-DD/part-*.parquet). Everything after
-- the seam (window sums, category means, flags, levels) is unchanged.
--
-- Kept to the subset those engines share: CTEs, CASE, COUNT, SUM, LEAD() OVER, CAST, date + INTERVAL.
-- Two placeholders are replaced before running: :window_days (an integer, the policy's windowDays)
-- and :time_zone (the policy's IANA zone, quoted). The local day is written `CAST(ts AT TIME ZONE
-- :time_zone AS DATE)` (Trino, DuckDB); in Spark SQL write `to_date(from_utc_timestamp(ts, :time_zone))`.
--
-- Why enter/leave counts and not a daily count of intervention orders: a 30-day count of distinct
-- orders is not a sum of daily distinct counts (an order with cases on two days would count twice).
-- Each day an order has a counted case "owns" the days until the order's next case day, at most the
-- window: spans that are disjoint and cover exactly the days the order counts on. The number of spans
-- entering and leaving per shop and day sums to the exact distinct count over any window.
WITH order_days AS (
  SELECT shop_id, CAST(paid_at AT TIME ZONE :time_zone AS DATE) AS day, COUNT(*) AS orders
  FROM orders
  GROUP BY shop_id, CAST(paid_at AT TIME ZONE :time_zone AS DATE)
),
case_days AS (
  SELECT DISTINCT shop_id, kind, order_id, CAST(opened_at AT TIME ZONE :time_zone AS DATE) AS day
  FROM cases
  WHERE excluded = FALSE
),
spans AS (
  SELECT shop_id, kind, day AS enter_day,
    CASE
      WHEN LEAD(day) OVER (PARTITION BY shop_id, kind, order_id ORDER BY day) IS NULL
        OR LEAD(day) OVER (PARTITION BY shop_id, kind, order_id ORDER BY day) > CAST(day + INTERVAL ':window_days' DAY AS DATE)
      THEN CAST(day + INTERVAL ':window_days' DAY AS DATE)
      ELSE LEAD(day) OVER (PARTITION BY shop_id, kind, order_id ORDER BY day)
    END AS leave_day
  FROM case_days
),
events AS (
  SELECT shop_id, day, orders, 0 AS interventions_in, 0 AS interventions_out, 0 AS complaints_in, 0 AS complaints_out FROM order_days
  UNION ALL
  SELECT shop_id, enter_day, 0,
    CASE WHEN kind = 'intervention' THEN 1 ELSE 0 END, 0, CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END, 0
  FROM spans
  UNION ALL
  SELECT shop_id, leave_day, 0,
    0, CASE WHEN kind = 'intervention' THEN 1 ELSE 0 END, 0, CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END
  FROM spans
)
SELECT shop_id, day,
  SUM(orders) AS orders,
  SUM(interventions_in) AS interventions_in, SUM(interventions_out) AS interventions_out,
  SUM(complaints_in) AS complaints_in, SUM(complaints_out) AS complaints_out
FROM events
GROUP BY shop_id, day
