// The read model of the last day with data: every shop's DESIGN §4 metrics on that day, held in memory
// and rebuilt after each committed write. Most requests ask for the latest day; they are answered
// from here without a query. Each rebuild is one snapshot, and it replaces the previous one whole, so
// an answer is wholly from before a batch or wholly from after it. With each shop it holds, from the same
// snapshot, how many shops of each category have orders in the window (for the small-category rule,
// server/metrics/privacy.ts); the routes apply the seller redaction to what this model answers.
import type { Database } from '../db/database.js';
import type { ShopMetrics } from '../contracts/metrics.js';
import { latestShopMetrics } from './queries.js';

export class LatestDay {
  private day: string | null = null;
  private byShop = new Map<string, ShopMetrics>();
  /** Per category: its shops with orders in the window on the day. */
  private withOrders = new Map<string, number>();
  private builtFor = -1;
  private building: Promise<void> | null = null;

  constructor(private readonly db: Database) {
    db.onCommit(() => void this.rebuild());
  }

  /** The answer for a shop on a date when this model holds it (the latest day, current data), else undefined. */
  lookup(shopId: string, date: string | undefined): ShopMetrics | undefined {
    if (this.builtFor !== this.db.generation || this.day === null) return undefined;
    if (date !== undefined && date !== this.day) return undefined;
    return this.byShop.get(shopId);
  }

  /**
   * lookup(), with the number of OTHER shops of the shop's category with orders in the window on that day,
   * from the same snapshot (never sent to a seller: the routes turn it into categoryComparable).
   */
  lookupWithPeers(shopId: string, date: string | undefined): { metrics: ShopMetrics; otherShopsWithOrders: number } | undefined {
    const metrics = this.lookup(shopId, date);
    if (!metrics) return undefined;
    const inCategory = this.withOrders.get(metrics.categoryId) ?? 0;
    return { metrics, otherShopsWithOrders: inCategory - (metrics.orders > 0 ? 1 : 0) };
  }

  /** Rebuilds from the current data; concurrent calls share one rebuild, and a newer commit triggers another. */
  rebuild(): Promise<void> {
    if (this.building) return this.building.then(() => (this.builtFor === this.db.generation ? undefined : this.rebuild()));
    const generation = this.db.generation;
    this.building = this.db
      .read(async (conn) => {
        const all = await latestShopMetrics(conn);
        return all;
      })
      .then((all) => {
        // Only install it if no write committed meanwhile (the snapshot could be older than the data).
        if (generation !== this.db.generation) return;
        const withOrders = new Map<string, number>();
        for (const m of all) if (m.orders > 0) withOrders.set(m.categoryId, (withOrders.get(m.categoryId) ?? 0) + 1);
        this.byShop = new Map(all.map((m) => [m.shopId, m]));
        this.withOrders = withOrders;
        this.day = all[0]?.date ?? null;
        this.builtFor = generation;
      })
      .catch(() => undefined)
      .finally(() => {
        this.building = null;
      });
    return this.building;
  }
}
