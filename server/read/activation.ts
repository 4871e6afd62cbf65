// What an activation did: every shop's level on a day as stored (read before and after the refresh), and
// the outcome set beside the simulation — the levels per category after it and the shops that moved.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Activation } from '../contracts/governance.js';
import type { Level } from '../contracts/policy.js';
import { queryRows } from '../db/database.js';

export type ShopLevel = { shopId: string; shopName: string; categoryId: string; categoryName: string; level: Level };

/** Every shop's level on a day (as stored), to compare before and after an activation. */
export async function levelsOn(conn: DuckDBConnection, date: string): Promise<Map<string, ShopLevel>> {
  const rows = await queryRows<ShopLevel>(
    conn,
    `SELECT d.shop_id AS "shopId", s.shop_name AS "shopName", d.category_id AS "categoryId",
       coalesce(c.category_name, d.category_id) AS "categoryName", d.level
     FROM shop_days_on($date::DATE) d JOIN shops s ON s.shop_id = d.shop_id LEFT JOIN categories c ON c.category_id = d.category_id`,
    { date },
  );
  return new Map(rows.map((r) => [r.shopId, r]));
}

/** What an activation did on a day: the levels after it per category, and the shops whose level moved. */
export function activationOutcome(date: string, before: Map<string, ShopLevel>, after: Map<string, ShopLevel>): NonNullable<Activation['outcome']> {
  const categories = new Map<string, NonNullable<Activation['outcome']>['categories'][number]>();
  const changes: NonNullable<Activation['outcome']>['changes'] = [];
  for (const row of after.values()) {
    let cat = categories.get(row.categoryId);
    if (!cat)
      categories.set(row.categoryId, (cat = { categoryId: row.categoryId, categoryName: row.categoryName, levels: { warning: 0, restricted: 0, severe: 0 } }));
    if (row.level !== 'none') cat.levels[row.level]++;
    const was = before.get(row.shopId)?.level ?? 'none';
    if (was !== row.level) changes.push({ shopId: row.shopId, shopName: row.shopName, categoryId: row.categoryId, from: was, to: row.level });
  }
  changes.sort((a, b) => a.shopId.localeCompare(b.shopId));
  return { date, categories: [...categories.values()].sort((a, b) => a.categoryId.localeCompare(b.categoryId)), changes };
}
