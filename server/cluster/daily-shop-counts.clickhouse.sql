-- Daily shop counts on a ClickHouse shard (the seam of server/seam/daily-shop-counts.sql, in the SQL
-- that ClickHouse 18.16 and current ClickHouse both accept: no window functions, no WITH subqueries,
-- lambdas that see only their own arguments).
--
-- It runs over the shard's LOCAL tables, as a view; a Distributed table over that view makes it one
-- distributed query in which every shard computes the counts of its own shops (rows are sharded by
-- shop, so a shop's orders and cases all live on one shard and nothing is merged across shards).
--
-- Re-sent rows carry a higher `version` (the batch that wrote them); argMax(…, version) per id reads
-- the latest row of each id among the batches that count: those whose latest marker in batches_local
-- is committed (1) or prepared (2; an ingest counting its own batch before its embedded commit). Rows
-- of a batch that failed after they reached the cluster are never marked, or are revoked (0), so they
-- never count, whenever they are merged.
--
-- Placeholders replaced before running (validated by the policy schema): :window_days, :time_zone.
-- Spans as in the portable seam: each local day on which an order has a counted case owns the days
-- until the order's next case day, at most the window; a span enters on its day and leaves on
-- min(day + window, next day).
SELECT shop_id, day,
  sum(orders) AS orders,
  sum(interventions_in) AS interventions_in, sum(interventions_out) AS interventions_out,
  sum(complaints_in) AS complaints_in, sum(complaints_out) AS complaints_out
FROM
(
  SELECT shop_id, toDate(toDateTime(intDiv(paid_at_us, 1000000), 'UTC'), :time_zone) AS day, toUInt64(count()) AS orders,
    toUInt64(0) AS interventions_in, toUInt64(0) AS interventions_out, toUInt64(0) AS complaints_in, toUInt64(0) AS complaints_out
  FROM
  (
    SELECT order_id, argMax(shop_id, version) AS shop_id, argMax(paid_at_us, version) AS paid_at_us
    FROM :database.orders_local
    WHERE version IN (SELECT version FROM :database.batches_local GROUP BY version HAVING argMax(state, seq) IN (1, 2))
    GROUP BY order_id
  )
  GROUP BY shop_id, day
  UNION ALL
  SELECT shop_id, tupleElement(event, 1) AS day, toUInt64(0) AS orders,
    toUInt64(kind = 'intervention' AND tupleElement(event, 2) = 1) AS interventions_in,
    toUInt64(kind = 'intervention' AND tupleElement(event, 2) = -1) AS interventions_out,
    toUInt64(kind = 'complaint' AND tupleElement(event, 2) = 1) AS complaints_in,
    toUInt64(kind = 'complaint' AND tupleElement(event, 2) = -1) AS complaints_out
  FROM
  (
    SELECT shop_id, kind,
      arrayConcat(
        arrayMap(d -> (d, toInt8(1)), days),
        arrayMap((d, n) -> (least(d + :window_days, n), toInt8(-1)), days, arrayPushBack(arrayPopFront(days), days[length(days)] + :window_days))
      ) AS events
    FROM
    (
      SELECT shop_id, kind, order_id, arraySort(groupUniqArray(toDate(toDateTime(intDiv(opened_at_us, 1000000), 'UTC'), :time_zone))) AS days
      FROM
      (
        SELECT case_id, argMax(shop_id, version) AS shop_id, argMax(order_id, version) AS order_id, argMax(kind, version) AS kind,
          argMax(excluded, version) AS excluded, argMax(opened_at_us, version) AS opened_at_us
        FROM :database.cases_local
        WHERE version IN (SELECT version FROM :database.batches_local GROUP BY version HAVING argMax(state, seq) IN (1, 2))
        GROUP BY case_id
      )
      WHERE excluded = 0
      GROUP BY shop_id, kind, order_id
    )
  )
  ARRAY JOIN events AS event
)
GROUP BY shop_id, day
