// The shared queue's read side: each queued shop's current queue entry (the first day of its run of days at a
// level other than none, from queue_day) and the review state stored on that entry (queue_reviews, written by
// server/governance/review.ts), matched to the entry so that a correction moving the run's first day keeps it
// (queueEntries). A shop that leaves the queue and comes back has a new entry, hence no review row: it reads as
// new. The age counts data days (entry day to stat date). A decision covers the restriction episode (and the level) the reviewer saw: when a
// later episode is in force, or the episode escalated to severe after a decision on restricted, the entry
// reads as new again, as an exemption would not reach it either (DESIGN §3).
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { QueueItem, QueueQuery, Review, ShopReview } from '../contracts/governance.js';
import type { FlaggedQuery, ShopMetrics } from '../contracts/metrics.js';
import { flaggedShops, type DataRangeRow } from './queries.js';

export interface QueueEntryRow {
  shopId: string;
  enteredOn: string;
  /** The entered_on of the review row this entry carries (the key to write it back under), null: none yet. */
  reviewKey: string | null;
  state: string | null;
  assignee: string | null;
  claimedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decidedEpisodeStart: string | null;
  decidedEpisodeLevel: string | null;
  /** The restriction episode in force on the date (its first day and the highest level reached), if any. */
  episodeStart: string | null;
  episodeLevel: string | null;
}

const TS = (column: string) => `strftime(${column}, '%Y-%m-%dT%H:%M:%SZ')`;

/**
 * The queue entries on a date: every shop in queue_day on that date (or the one shop asked for), with the
 * first day of its run in the queue (consecutive days in queue_day: gaps and islands), its review row and
 * the restriction episode in force.
 *
 * The review row is matched to the entry robustly, not by the entry day alone: a correction (a re-sent case, an
 * earlier order) can move the run's first day after a reviewer claimed or decided it. The entry carries the
 * latest review row of the shop keyed on or before the date and after the shop's previous run in the queue
 * ended: one written for this run, whether the run now starts earlier or later than when it was written. A row
 * of an earlier run (the shop left the queue since) is not carried, so a shop that comes back starts as new.
 */
export async function queueEntries(conn: DuckDBConnection, date: string, shopId: string | null = null): Promise<Map<string, QueueEntryRow>> {
  const rows = await queryRows<QueueEntryRow>(
    conn,
    `WITH runs AS (
       SELECT shop_id, day, day - CAST(row_number() OVER (PARTITION BY shop_id ORDER BY day) AS INTEGER) AS run
       FROM queue_day WHERE day <= $date::DATE AND ($shopId::VARCHAR IS NULL OR shop_id = $shopId)),
     current AS (
       SELECT r.shop_id, min(r.day) AS entered_on FROM runs r
       JOIN (SELECT shop_id, run FROM runs WHERE day = $date::DATE) today USING (shop_id, run)
       GROUP BY r.shop_id),
     previous AS (
       SELECT c.shop_id, max(r.day) AS left_on FROM current c JOIN runs r ON r.shop_id = c.shop_id AND r.day < c.entered_on
       GROUP BY c.shop_id),
     review AS (
       SELECT q.* FROM queue_reviews q JOIN current c USING (shop_id) LEFT JOIN previous p USING (shop_id)
       WHERE q.entered_on <= $date::DATE AND (p.left_on IS NULL OR q.entered_on > p.left_on)
       QUALIFY row_number() OVER (PARTITION BY q.shop_id ORDER BY q.entered_on DESC) = 1),
     episode AS (
       SELECT shop_id, min(start_day) AS episode_start, max(level) AS episode_level FROM restriction_episodes
       WHERE start_day <= $date::DATE AND (end_day IS NULL OR end_day > $date::DATE) AND ($shopId::VARCHAR IS NULL OR shop_id = $shopId)
       GROUP BY shop_id)
     SELECT c.shop_id AS "shopId", strftime(c.entered_on, '%Y-%m-%d') AS "enteredOn", strftime(q.entered_on, '%Y-%m-%d') AS "reviewKey",
       q.state, q.assignee, ${TS('q.claimed_at')} AS "claimedAt", q.decided_by AS "decidedBy", ${TS('q.decided_at')} AS "decidedAt",
       strftime(q.decided_episode_start, '%Y-%m-%d') AS "decidedEpisodeStart", q.decided_episode_level AS "decidedEpisodeLevel",
       strftime(e.episode_start, '%Y-%m-%d') AS "episodeStart", e.episode_level AS "episodeLevel"
     FROM current c
     LEFT JOIN review q ON q.shop_id = c.shop_id
     LEFT JOIN episode e ON e.shop_id = c.shop_id`,
    { date, shopId },
  );
  return new Map(rows.map((r) => [r.shopId, r]));
}

/** Whether a decision no longer covers what is in force: a later episode, or an escalation beyond the level decided on. */
function reopened(row: QueueEntryRow): boolean {
  if (row.episodeStart === null) return false;
  if (row.decidedEpisodeStart !== row.episodeStart) return true;
  return row.episodeLevel === 'severe' && row.decidedEpisodeLevel !== 'severe';
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The review as answered: the effective state, the age on the date and whether it is past the service time. */
export function reviewOf(row: QueueEntryRow, date: string, serviceDays: number): Review {
  const ageDays = daysBetween(row.enteredOn, date);
  const blank = { assignee: null, claimedAt: null, decidedBy: null, decidedAt: null };
  let state: Review['state'] = row.state === 'in_review' || row.state === 'decided' ? row.state : 'new';
  let held = { assignee: row.assignee, claimedAt: row.claimedAt, decidedBy: row.decidedBy, decidedAt: row.decidedAt };
  if (state === 'decided' && reopened(row)) {
    state = 'new';
    held = blank;
  }
  if (state === 'new') held = blank;
  return { state, ...held, enteredOn: row.enteredOn, ageDays, pastService: state !== 'decided' && ageDays >= serviceDays };
}

/** Whether a review passes the queue's review filters (mine: in review by `viewer`). */
export function matchesReview(review: Review, filter: { review?: string; assignee?: string }, viewer: string): boolean {
  switch (filter.review) {
    case 'new':
    case 'in_review':
    case 'decided':
      if (review.state !== filter.review) return false;
      break;
    case 'mine':
      if (review.state !== 'in_review' || review.assignee !== viewer) return false;
      break;
    case 'unassigned':
      if (review.state !== 'new') return false;
      break;
    default:
      break;
  }
  // The assignee stays on a decided entry (who worked it): an assignee filter finds both.
  return filter.assignee === undefined || review.assignee === filter.assignee;
}

/** Who asks and the service time: what the review fields and the `mine` filter depend on besides the data. */
export interface ReviewContext {
  viewer: string;
  serviceDays: number;
}

/** Each item with its review on the date (an item without an entry cannot happen: the queue is queue_day). */
export function withReviews<T extends ShopMetrics>(
  items: T[],
  entries: Map<string, QueueEntryRow>,
  date: string,
  ctx: ReviewContext,
): (T & { review: Review })[] {
  return items.map((m) => {
    const entry = entries.get(m.shopId) ?? { ...EMPTY_ENTRY, shopId: m.shopId, enteredOn: date };
    return { ...m, review: reviewOf(entry, date, ctx.serviceDays) };
  });
}

const EMPTY_ENTRY: Omit<QueueEntryRow, 'shopId' | 'enteredOn'> = {
  reviewKey: null,
  state: null,
  assignee: null,
  claimedAt: null,
  decidedBy: null,
  decidedAt: null,
  decidedEpisodeStart: null,
  decidedEpisodeLevel: null,
  episodeStart: null,
  episodeLevel: null,
};

/**
 * The queue by age (sort=age): the days since each shop entered the queue — desc, the longest waiting first —
 * then as flaggedShops breaks ties: ratio descending (nulls last), then shop id. Sorts in place.
 */
export function sortByAge<T extends ShopMetrics & { review: Review }>(items: T[], order: 'asc' | 'desc'): T[] {
  const sign = order === 'asc' ? 1 : -1;
  return items.sort(
    (a, b) =>
      sign * (a.review.ageDays - b.review.ageDays) ||
      (a.ratio === b.ratio ? 0 : a.ratio === null ? 1 : b.ratio === null ? -1 : b.ratio - a.ratio) ||
      (a.shopId < b.shopId ? -1 : a.shopId > b.shopId ? 1 : 0),
  );
}

/**
 * GET /api/queue from the database (a day other than the latest, or while the in-memory model rebuilds):
 * flaggedShops' page with each item's review. With a review filter, or sorted by age, the whole day's queue is
 * read, filtered, sorted and paged here, in flaggedShops' order (the queue of a day is a few thousand rows at
 * most; filtering keeps the order).
 */
export async function reviewedQueue(
  conn: DuckDBConnection,
  range: DataRangeRow,
  query: Omit<QueueQuery, 'format' | 'date'> & { date: string },
  ctx: ReviewContext,
): Promise<{ total: number; items: QueueItem[] }> {
  const entries = await queueEntries(conn, query.date);
  const filtered = query.review !== undefined || query.assignee !== undefined;
  const byAge = query.sort === 'age';
  // The age is the review's, not a column of the queue: read it in flaggedShops' level order, sort here.
  const sort: FlaggedQuery['sort'] = query.sort === 'age' ? 'level' : query.sort;
  const sql = { ...query, sort };
  if (!filtered && !byAge) {
    const page = await flaggedShops(conn, range, sql);
    return { total: page.total, items: withReviews(page.items, entries, query.date, ctx) };
  }
  const all = await flaggedShops(conn, range, { ...sql, limit: 1_000_000_000, offset: 0 });
  const matching = withReviews(all.items, entries, query.date, ctx).filter((m) => matchesReview(m.review, query, ctx.viewer));
  if (byAge) sortByAge(matching, query.order);
  return { total: matching.length, items: matching.slice(query.offset, query.offset + query.limit) };
}

/** The shop's queue entry on the last day with data, as GET /api/shops/:shopId/review answers it (review null: not in the queue). */
export async function shopReview(conn: DuckDBConnection, range: DataRangeRow, shopId: string, serviceDays: number): Promise<ShopReview> {
  const level = await queryRows<{ level: ShopReview['level'] }>(conn, 'SELECT level FROM shop_days($shopId, $day::DATE, $day::DATE)', {
    shopId,
    day: range.last,
  });
  const entry = (await queueEntries(conn, range.last, shopId)).get(shopId);
  return { shopId, date: range.last, level: level[0]?.level ?? 'none', serviceDays, review: entry ? reviewOf(entry, range.last, serviceDays) : null };
}
