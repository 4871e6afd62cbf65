// The read model of the last day with data: every shop's DESIGN §4 metrics on that day, held in memory
// and rebuilt after each committed write. Most requests ask for the latest day; they are answered
// from here without a query. Each rebuild is one snapshot, and it replaces the previous one whole, so
// an answer is wholly from before a batch or wholly from after it. With each shop it holds, from the same
// snapshot, how many shops of each category have orders in the window (for the small-category rule,
// server/metrics/privacy.ts); the routes apply the seller redaction to what this model answers.
// It also holds the flagged queue of that day (every shop whose level is not none, as flaggedShops
// answers it), so GET /api/flagged on the latest day is a filter, a sort and a slice in memory; and the shared
// queue's entries of that day (server/read/review.ts), so each item's review and the review filters are too.
import type { Database } from '../db/database.js';
import type { FlaggedQuery, ShopMetrics } from '../contracts/metrics.js';
import type { QueueItem as ReviewedItem, QueueQuery as ReviewedQuery } from '../contracts/governance.js';
import { dataRange, flaggedShops, latestShopMetrics } from './queries.js';
import { matchesReview, queueEntries, sortByAge, withReviews, type QueueEntryRow, type ReviewContext } from './review.js';
import type { PeerRow } from './shop-queries.js';

type QueueItem = ShopMetrics & { unflaggedDays?: number };
export type QueueQuery = Pick<FlaggedQuery, 'categoryId' | 'level' | 'minRatio' | 'exempt' | 'sort' | 'order' | 'limit' | 'offset'> & { date?: string };

const LEVEL_RANK: Record<string, number> = { severe: 3, restricted: 2, warning: 1, none: 0 };

/** The sort key of the queue, as flaggedShops' SQL has it (null sorts last either way). */
function sortKey(item: QueueItem, sort: FlaggedQuery['sort']): number | string | null {
  switch (sort) {
    case 'level':
      return LEVEL_RANK[item.level] ?? 0;
    case 'consecutiveFlaggedDays':
      return item.consecutiveFlaggedDays;
    case 'shopId':
      return item.shopId;
    default:
      return item[sort];
  }
}

function compareKeys(a: number | string | null, b: number | string | null, descending: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const order = a < b ? -1 : 1;
  return descending ? -order : order;
}

/** flaggedShops' order: the key (nulls last), then ratio descending (nulls last), then shop id. */
export function sortQueue(items: QueueItem[], sort: FlaggedQuery['sort'], order: FlaggedQuery['order']): QueueItem[] {
  const descending = order !== 'asc';
  return items.sort(
    (a, b) =>
      compareKeys(sortKey(a, sort), sortKey(b, sort), descending) ||
      compareKeys(a.ratio, b.ratio, true) ||
      (a.shopId < b.shopId ? -1 : a.shopId > b.shopId ? 1 : 0),
  );
}

export class LatestDay {
  private day: string | null = null;
  private byShop = new Map<string, ShopMetrics>();
  /** Per category: its shops with orders in the window on the day. */
  private withOrders = new Map<string, number>();
  /** The day's non-none shops, in flaggedShops' shape. */
  private queue: QueueItem[] = [];
  /** The day's queue entries (the shared queue's review rows), from the same snapshot. */
  private entries = new Map<string, QueueEntryRow>();
  /** Per category: its shops as the peers' comparison reads them (made on first use, for this snapshot). */
  private peers = new Map<string, PeerRow[]>();
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

  /** The shops of the shop's category on the latest day (peerRows' answer from this snapshot), or undefined. */
  peerRows(shopId: string, date: string | undefined): PeerRow[] | undefined {
    const metrics = this.lookup(shopId, date);
    if (!metrics) return undefined;
    let rows = this.peers.get(metrics.categoryId);
    if (!rows) {
      rows = [];
      for (const m of this.byShop.values())
        if (m.categoryId === metrics.categoryId)
          rows.push({ shop_id: m.shopId, category_id: m.categoryId, rate: m.rate, judged: m.judged, category_mean: m.categoryMean });
      this.peers.set(metrics.categoryId, rows);
    }
    return rows;
  }

  /**
   * GET /api/flagged from memory when the date is the latest day (or not given) and the model is current:
   * the same total and items as flaggedShops on that snapshot. Undefined otherwise (the caller queries).
   */
  flagged(query: QueueQuery): { total: number; items: QueueItem[] } | undefined {
    if (this.builtFor !== this.db.generation || this.day === null) return undefined;
    if (query.date !== undefined && query.date !== this.day) return undefined;
    const matching = this.queue.filter(
      (m) =>
        (query.categoryId === undefined || m.categoryId === query.categoryId) &&
        (query.level === undefined || m.level === query.level) &&
        (query.minRatio === undefined || (m.ratio !== null && m.ratio >= query.minRatio)) &&
        // An exemption in force on an episode in force shows as exemptUntil on its restrictions.
        (query.exempt === undefined || m.restrictions.some((r) => r.exemptUntil !== undefined) === (query.exempt === 'only')),
    );
    const sorted = sortQueue(matching, query.sort, query.order);
    return { total: sorted.length, items: sorted.slice(query.offset, query.offset + query.limit) };
  }

  /**
   * The shared queue (GET /api/queue: each item with its review, and the review filters) from memory, under
   * the same conditions as flagged(); undefined otherwise (the caller queries: reviewedQueue).
   */
  reviewed(query: Omit<ReviewedQuery, 'format' | 'date'> & { date?: string }, ctx: ReviewContext): { total: number; items: ReviewedItem[] } | undefined {
    // sort=age: the age is the review's; sortByAge orders what flagged() answers.
    const byAge = query.sort === 'age';
    const sort: FlaggedQuery['sort'] = query.sort === 'age' ? 'level' : query.sort;
    const all = this.flagged({ ...query, sort, limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    if (!all || this.day === null) return undefined;
    const matching = withReviews(all.items, this.entries, this.day, ctx).filter((m) => matchesReview(m.review, query, ctx.viewer));
    if (byAge) sortByAge(matching, query.order);
    return { total: matching.length, items: matching.slice(query.offset, query.offset + query.limit) };
  }

  /** Rebuilds from the current data; concurrent calls share one rebuild, and a newer commit triggers another. */
  rebuild(): Promise<void> {
    if (this.building) return this.building.then(() => (this.builtFor === this.db.generation ? undefined : this.rebuild()));
    const generation = this.db.generation;
    this.building = this.db
      .read(
        async (conn) => {
          const all = await latestShopMetrics(conn);
          const range = await dataRange(conn);
          const queue = range
            ? (await flaggedShops(conn, range, { date: range.last, sort: 'shopId', order: 'asc', limit: 1_000_000_000, offset: 0 })).items
            : [];
          const entries = range ? await queueEntries(conn, range.last) : new Map<string, QueueEntryRow>();
          return { all, queue, entries };
        },
        // Ahead of the waiting reads: until it is installed, every request of the latest day queries instead.
        { first: true },
      )
      .then(({ all, queue, entries }) => {
        // Only install it if no write committed meanwhile (the snapshot could be older than the data).
        if (generation !== this.db.generation) return;
        const withOrders = new Map<string, number>();
        for (const m of all) if (m.orders > 0) withOrders.set(m.categoryId, (withOrders.get(m.categoryId) ?? 0) + 1);
        this.byShop = new Map(all.map((m) => [m.shopId, m]));
        this.peers = new Map();
        this.withOrders = withOrders;
        this.queue = queue;
        this.entries = entries;
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
