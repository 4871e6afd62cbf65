import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { Categories } from '../contracts/governance.js';

/** Every category on a date: its pooled numbers, the spread of its judged shops' rates and its shops per level. */
export async function categoriesOn(conn: DuckDBConnection, date: string): Promise<Categories> {
  const rows = await queryRows<Omit<Categories['categories'][number], 'levels'> & { warning: number; restricted: number; severe: number }>(
    conn,
    `WITH per AS (
       SELECT category_id,
         count(*) FILTER (WHERE judged)::INTEGER AS judged_shops,
         quantile_cont(rate, 0.5) FILTER (WHERE judged) AS median_rate,
         quantile_cont(rate, 0.9) FILTER (WHERE judged) AS p90_rate,
         count(*) FILTER (WHERE level = 'warning')::INTEGER AS warning,
         count(*) FILTER (WHERE level = 'restricted')::INTEGER AS restricted,
         count(*) FILTER (WHERE level = 'severe')::INTEGER AS severe
       FROM shop_days_on($date::DATE) GROUP BY category_id)
     SELECT c.category_id AS "categoryId", coalesce(k.category_name, c.category_id) AS "categoryName", k.parent_id AS "parentId",
       p.category_name AS "parentName", c.shops, per.judged_shops AS "judgedShops", c.orders, c.interventions, c.complaints, c.mean,
       per.median_rate AS "medianRate", per.p90_rate AS "p90Rate", per.warning, per.restricted, per.severe
     FROM category_day c JOIN per USING (category_id)
     LEFT JOIN categories k ON k.category_id = c.category_id
     LEFT JOIN categories p ON p.category_id = k.parent_id
     WHERE c.day = $date::DATE ORDER BY "parentId" NULLS FIRST, "categoryId"`,
    { date },
  );
  return {
    date,
    categories: rows.map(({ warning, restricted, severe, ...r }) => ({ ...r, levels: { warning, restricted, severe } })),
  };
}
