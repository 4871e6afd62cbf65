// The platform over time, for governance: shops per level per day, the shops that entered and left each
// level each day, the days policy versions took effect, and the week's top movers. All of it from
// queue_day, the shop-days whose level is not none (a shop absent from it that day is at none), so it
// reads a few rows per flagged shop and day, not the whole shop-day grid.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Platform } from '../contracts/governance.js';
import { queryRows } from '../db/database.js';
import type { PolicySchedule } from '../policy/schedule.js';

type Counted = 'warning' | 'restricted' | 'severe';

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** One category's (or every category's: null) level counts and moves per day from `from` to `to`. */
export async function platformOverTime(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  range: { from: string; to: string; categoryId: string | null },
): Promise<Platform> {
  const params = { from: range.from, to: range.to, categoryId: range.categoryId };
  const levels = await queryRows<{ date: string; warning: number; restricted: number; severe: number }>(
    conn,
    `SELECT strftime(day, '%Y-%m-%d') AS date,
       count(*) FILTER (WHERE level = 'warning')::INTEGER AS warning,
       count(*) FILTER (WHERE level = 'restricted')::INTEGER AS restricted,
       count(*) FILTER (WHERE level = 'severe')::INTEGER AS severe
     FROM queue_day
     WHERE day BETWEEN $from::DATE AND $to::DATE AND ($categoryId::VARCHAR IS NULL OR category_id = $categoryId)
     GROUP BY day`,
    params,
  );
  // Each shop's level on a day against the day before (absent: none); a move enters the new level and leaves the old.
  const moves = await queryRows<{ date: string; now: string; was: string; shops: number }>(
    conn,
    `WITH t AS (
       SELECT shop_id, day, level FROM queue_day
       WHERE day BETWEEN $from::DATE AND $to::DATE AND ($categoryId::VARCHAR IS NULL OR category_id = $categoryId)),
     y AS (
       SELECT shop_id, day + 1 AS day, level FROM queue_day
       WHERE day BETWEEN $from::DATE - 1 AND $to::DATE - 1 AND ($categoryId::VARCHAR IS NULL OR category_id = $categoryId))
     SELECT strftime(coalesce(t.day, y.day), '%Y-%m-%d') AS date, coalesce(t.level, 'none') AS now, coalesce(y.level, 'none') AS was,
       count(*)::INTEGER AS shops
     FROM t FULL JOIN y ON t.shop_id = y.shop_id AND t.day = y.day
     WHERE coalesce(t.level, 'none') <> coalesce(y.level, 'none')
     GROUP BY ALL`,
    params,
  );
  const zero = () => ({ warning: 0, restricted: 0, severe: 0 });
  const byDay = new Map<string, Platform['days'][number]>();
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) byDay.set(day, { date: day, levels: zero(), entered: zero(), left: zero() });
  for (const row of levels) {
    const d = byDay.get(row.date);
    if (d) d.levels = { warning: row.warning, restricted: row.restricted, severe: row.severe };
  }
  for (const row of moves) {
    const d = byDay.get(row.date);
    if (!d) continue;
    if (row.now !== 'none') d.entered[row.now as Counted] += row.shops;
    if (row.was !== 'none') d.left[row.was as Counted] += row.shops;
  }
  const policyVersions = schedule.versions
    .filter((v) => v.from !== null && v.from >= range.from && v.from <= range.to)
    .map((v) => ({ version: v.policy.version, effectiveFrom: v.from! }));
  // The week ending on `to`: the level then against seven days before.
  const weekFrom = addDays(range.to, -7);
  const movers = await queryRows<{
    shopId: string;
    shopName: string;
    categoryId: string;
    from: Platform['movers']['up'][number]['from'];
    to: Platform['movers']['up'][number]['to'];
    ratio: number | null;
    rise: number;
  }>(
    conn,
    `WITH rank(level, n) AS (VALUES ('none', 0), ('warning', 1), ('restricted', 2), ('severe', 3)),
     t AS (SELECT shop_id, level, ratio, category_id FROM queue_day WHERE day = $to::DATE AND ($categoryId::VARCHAR IS NULL OR category_id = $categoryId)),
     w AS (SELECT shop_id, level, category_id FROM queue_day WHERE day = $weekFrom::DATE AND ($categoryId::VARCHAR IS NULL OR category_id = $categoryId)),
     j AS (
       SELECT coalesce(t.shop_id, w.shop_id) AS shop_id, coalesce(t.category_id, w.category_id) AS category_id,
         coalesce(w.level, 'none') AS was, coalesce(t.level, 'none') AS now, t.ratio
       FROM t FULL JOIN w ON t.shop_id = w.shop_id)
     SELECT j.shop_id AS "shopId", s.shop_name AS "shopName", j.category_id AS "categoryId", j.was AS "from", j.now AS "to", j.ratio,
       (rn.n - rw.n)::INTEGER AS rise
     FROM j JOIN shops s ON s.shop_id = j.shop_id JOIN rank rn ON rn.level = j.now JOIN rank rw ON rw.level = j.was
     WHERE j.was <> j.now
     ORDER BY rise DESC, j.ratio DESC NULLS LAST, j.shop_id`,
    { to: range.to, weekFrom, categoryId: range.categoryId },
  );
  const strip = ({ rise: _rise, ...m }: (typeof movers)[number]) => m;
  return {
    from: range.from,
    to: range.to,
    categoryId: range.categoryId,
    days: [...byDay.values()],
    policyVersions,
    movers: {
      weekFrom,
      up: movers
        .filter((m) => m.rise > 0)
        .slice(0, 10)
        .map(strip),
      down: movers
        .filter((m) => m.rise < 0)
        .sort((a, b) => a.rise - b.rise || a.shopId.localeCompare(b.shopId))
        .slice(0, 10)
        .map(strip),
    },
  };
}
