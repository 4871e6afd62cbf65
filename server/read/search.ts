// Find a shop by id (any case) or by name: the reviewer's search box. Bound parameters only; matching is
// plain substring containment (no LIKE pattern), so % and _ in the text are ordinary characters.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { ShopSearch } from '../contracts/governance.js';

type Item = ShopSearch['items'][number];
const MATCHES: Item['match'][] = ['id', 'id_prefix', 'name_prefix', 'contains'];

/** Shops whose id or name contains the text (case-insensitive): the exact id first, then id prefixes, name prefixes, the rest. */
export async function searchShops(conn: DuckDBConnection, text: string, limit: number): Promise<ShopSearch> {
  const q = text.trim();
  if (q === '') return { q, items: [] };
  const rows = await queryRows<Omit<Item, 'match'> & { rank: number }>(
    conn,
    `WITH m AS (
       SELECT s.shop_id, s.shop_name, s.category_id,
         CASE WHEN lower(s.shop_id) = lower($q::VARCHAR) THEN 0
              WHEN starts_with(lower(s.shop_id), lower($q::VARCHAR)) THEN 1
              WHEN starts_with(lower(s.shop_name), lower($q::VARCHAR)) THEN 2
              ELSE 3 END AS rank
       FROM shops s
       WHERE contains(lower(s.shop_id), lower($q::VARCHAR)) OR contains(lower(s.shop_name), lower($q::VARCHAR)))
     SELECT m.shop_id AS "shopId", m.shop_name AS "shopName", m.category_id AS "categoryId", c.category_name AS "categoryName",
       -- Every shop has a shop-day on the last day once there is data; queue_day holds those at a level other than none.
       CASE WHEN (SELECT last_day FROM data_range LIMIT 1) IS NOT NULL THEN coalesce(d.level, 'none') END AS level, m.rank::INTEGER AS rank
     FROM m
     LEFT JOIN categories c ON c.category_id = m.category_id
     LEFT JOIN queue_day d ON d.shop_id = m.shop_id AND d.day = (SELECT last_day FROM data_range LIMIT 1)
     ORDER BY m.rank, lower(m.shop_id), m.shop_id
     LIMIT $limit`,
    { q, limit },
  );
  return {
    q,
    items: rows.map(({ rank, level, ...r }) => ({ ...r, level: level ?? null, match: MATCHES[rank] ?? 'contains' })),
  };
}
