// Issue 15's read path and engine: the flagged queue's table (queue_day) always equals the non-none
// shop-days of shop_day, after a full rebuild and after partial refreshes; the in-memory queue of the
// latest day answers every filter, sort and page exactly as the query does; verified tokens are cached
// by token string, never past their expiry, and the cache is bounded.
import { describe, expect, it } from 'vitest';
import { generateDemo } from '../server/generate/demo.js';
import { LatestDay, type QueueQuery } from '../server/read/latest.js';
import { dataRange, flaggedShops } from '../server/read/queries.js';
import { refreshMetrics } from '../server/pipeline/refresh.js';
import { queryRows, type Database } from '../server/db/database.js';
import { signToken, TokenVerifier, AuthError } from '../server/auth/tokens.js';
import { FLAGGED_SORTS } from '../server/contracts/metrics.js';
import { ingest, openTempDb, tempDir } from './helpers.js';

const QUEUE_COLUMNS =
  'shop_id, day, category_id, orders, interventions, complaints, rate, category_mean, ratio, judged, flagged, level, consecutive_flagged, run_days, clean_days';

async function queueMatchesShopDay(db: Database): Promise<number> {
  const [queue, fromShopDay] = await db.read(async (conn) => [
    await queryRows(conn, `SELECT ${QUEUE_COLUMNS} FROM queue_day ORDER BY day, shop_id`),
    await queryRows(conn, `SELECT ${QUEUE_COLUMNS} FROM shop_day WHERE level <> 'none' ORDER BY day, shop_id`),
  ]);
  expect(queue).toEqual(fromShopDay);
  return queue.length;
}

describe('queue_day and the in-memory queue', () => {
  it('queue_day equals the non-none shop-days after a rebuild and after partial refreshes', async () => {
    const out = tempDir('iw-sparse-');
    await generateDemo({ shops: 300, days: 80, seed: 11, end: '2026-11-20', out });
    const { db } = await openTempDb({ memory: true });
    await ingest(db, [out]);
    expect(await queueMatchesShopDay(db)).toBeGreaterThan(0);
    for (const from of ['2026-11-20', '2026-10-30', '2026-09-15']) {
      await db.write((conn) => refreshMetrics(conn, { from }));
      await queueMatchesShopDay(db);
    }
    await db.write((conn) => refreshMetrics(conn, { from: null }));
    await queueMatchesShopDay(db);

    // The latest day's queue in memory: every sort, both orders, filters and pages, as the query answers.
    const latest = new LatestDay(db);
    await latest.rebuild();
    const range = (await db.read((conn) => dataRange(conn)))!;
    const categories = await db.read((conn) =>
      queryRows<{ category_id: string }>(conn, 'SELECT DISTINCT category_id FROM queue_day WHERE day = $d::DATE ORDER BY 1', { d: range.last }),
    );
    // An exemption on one restricted shop of the last day, so that the exempt filter has both sides.
    const restricted = await db.read((conn) =>
      queryRows<{ shop_id: string; start: string }>(
        conn,
        `SELECT e.shop_id, strftime(min(e.start_day), '%Y-%m-%d') AS start FROM restriction_episodes e
         WHERE e.start_day <= $d::DATE AND (e.end_day IS NULL OR e.end_day > $d::DATE) GROUP BY e.shop_id ORDER BY e.shop_id LIMIT 1`,
        { d: range.last },
      ),
    );
    expect(restricted.length).toBe(1);
    await db.write((conn) =>
      conn.run(
        `INSERT INTO decisions (id, shop_id, action, reason, effective_day, until_day, episode_start, actor, role, decided_at, episode_level)
         VALUES (999, $shop, 'exempt', 'test', $d::DATE, $d::DATE + 10, $start::DATE, 'test', 'reviewer', now(), 'severe')`,
        { shop: restricted[0].shop_id, d: range.last, start: restricted[0].start },
      ),
    );
    expect(latest.flagged({ sort: 'level', order: 'desc', limit: 50, offset: 0 })).toBeUndefined(); // a commit since the rebuild
    await latest.rebuild();
    const queries: QueueQuery[] = [];
    for (const sort of FLAGGED_SORTS)
      for (const order of ['asc', 'desc'] as const) queries.push({ sort, order, limit: 7, offset: 3 }, { sort, order, limit: 1000, offset: 0 });
    for (const categoryId of categories.slice(0, 3).map((c) => c.category_id))
      queries.push({ sort: 'ratio' as const, order: 'desc' as const, categoryId, limit: 50, offset: 0 });
    for (const level of ['warning', 'restricted', 'severe'] as const)
      queries.push({ sort: 'shopId' as const, order: 'asc' as const, level, limit: 50, offset: 0 });
    for (const exempt of ['only', 'hide'] as const) queries.push({ sort: 'level' as const, order: 'desc' as const, exempt, limit: 50, offset: 0 });
    queries.push({ sort: 'level', order: 'desc', minRatio: 6, limit: 50, offset: 0 }, { sort: 'level', order: 'desc', limit: 50, offset: 100000 });
    let compared = 0;
    for (const q of queries) {
      const want = await db.read((conn) => flaggedShops(conn, range, { ...q, date: range.last }));
      const got = latest.flagged(q);
      expect(got, JSON.stringify(q)).toEqual(want);
      expect(latest.flagged({ ...q, date: range.last })).toEqual(want);
      compared += want.items.length;
    }
    expect(compared).toBeGreaterThan(0);
    expect(latest.flagged({ sort: 'level', order: 'desc', exempt: 'only', limit: 50, offset: 0 })!.total).toBe(1);
    // Another day is not held.
    expect(latest.flagged({ sort: 'level', order: 'desc', limit: 50, offset: 0, date: range.first })).toBeUndefined();
    await db.close();
  });
});

describe('TokenVerifier', () => {
  const secret = new TextEncoder().encode('a'.repeat(40));

  it('verifies a token once and answers it from the cache until its expiry, never after', async () => {
    const verifier = new TokenVerifier(secret, 100);
    // exp is in whole seconds (iat rounded down + 3): 2 to 3 s from now, never already past as a 1 s token could be.
    const token = await signToken(secret, { role: 'seller', shops: ['A'], subject: 'amy' }, '3s');
    expect(await verifier.verify(token)).toEqual({ subject: 'amy', role: 'seller', shops: ['A'] });
    expect(verifier.size).toBe(1);
    const cached = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(cached); // the cached answer itself, not a new verification
    await new Promise((r) => setTimeout(r, 3100)); // past exp: the cache drops it and jose refuses it
    await expect(verifier.verify(token)).rejects.toThrow('the token has expired');
    expect(verifier.size).toBe(0);
  });

  it('never answers from the cache past exp, whatever the clock of the verification said', async () => {
    let now = Date.now();
    const verifier = new TokenVerifier(secret, 100, () => now);
    const token = await signToken(secret, { role: 'reviewer', subject: 'rita' }, '60s');
    const cached = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(cached);
    now += 61_000; // the cache's clock is past exp: it verifies again (a new answer, not the cached one)
    expect(await verifier.verify(token)).not.toBe(cached);
  });

  it('keeps at most its bound, the oldest dropped first, and caches no failure', async () => {
    const verifier = new TokenVerifier(secret, 3);
    const tokens = await Promise.all([1, 2, 3, 4].map((i) => signToken(secret, { role: 'reviewer', subject: `r${i}` }, '1h')));
    for (const t of tokens) await verifier.verify(t);
    expect(verifier.size).toBe(3);
    await expect(verifier.verify(`${tokens[0].slice(0, -2)}xx`)).rejects.toThrow(AuthError);
    expect(verifier.size).toBe(3);
    // A token signed with another secret is refused even after a good one was cached.
    const other = await signToken(new TextEncoder().encode('b'.repeat(40)), { role: 'admin', subject: 'x' }, '1h');
    await expect(verifier.verify(other)).rejects.toThrow(AuthError);
  });
});
