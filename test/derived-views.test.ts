// The sparse engine (server/pipeline/sql.ts, server/db/views.ts): a refresh stores the daily counts, the category
// figures, the policy's days and the walk's results, not a row per shop and day; the shop-days are derived on
// read, by the view shop_day (every shop) and by the macro shop_days (one shop). Both must give the same rows,
// after a rebuild and after refreshes of the last days; the walk's table holds only shops it walked.
import { describe, expect, it } from 'vitest';
import { generateDemo } from '../server/generate/demo.js';
import { refreshMetrics } from '../server/pipeline/refresh.js';
import { queryRows, type Database } from '../server/db/database.js';
import { ingest, openTempDb, tempDir } from './helpers.js';

const COLUMNS =
  'shop_id, day, category_id, orders, interventions, complaints, category_orders, category_interventions, rate, category_mean, ratio, judged, complete, flagged, consecutive_flagged, level, run_days, clean_days';

async function viewAndMacro(db: Database): Promise<{ view: unknown[]; macro: unknown[]; shops: string[] }> {
  return db.read(async (conn) => {
    const shops = (await queryRows<{ shop_id: string }>(conn, 'SELECT shop_id FROM shops ORDER BY shop_id')).map((r) => r.shop_id);
    const view = await queryRows(conn, `SELECT ${COLUMNS} FROM shop_day ORDER BY shop_id, day`);
    const macro: unknown[] = [];
    for (const shopId of shops) {
      macro.push(...(await queryRows(conn, `SELECT ${COLUMNS} FROM shop_days($shopId, DATE '0001-01-01', DATE '9999-12-31') ORDER BY day`, { shopId })));
    }
    return { view, macro, shops };
  });
}

describe('shop-days derived on read', () => {
  it('the view and the macro agree on every shop-day, after a rebuild and after partial refreshes', async () => {
    const out = tempDir('iw-derived-');
    await generateDemo({ shops: 150, days: 75, seed: 5, end: '2026-11-20', out });
    const { db } = await openTempDb({ memory: true });
    await ingest(db, [out]);
    for (const from of [null, '2026-11-20', '2026-10-25']) {
      if (from) await db.write((conn) => refreshMetrics(conn, { from }));
      const { view, macro, shops } = await viewAndMacro(db);
      const days = await db.read((conn) => queryRows<{ n: number }>(conn, "SELECT datediff('day', first_day, last_day) + 1 AS n FROM data_range"));
      // Every shop on every day of the data, once.
      expect(view.length).toBe(shops.length * days[0].n);
      expect(macro).toEqual(view);
      // And day by day, every shop of the day (shop_days_on).
      const byDay = await db.read(async (conn) => {
        const rows: unknown[] = [];
        const dayList = await queryRows<{ day: string }>(conn, "SELECT strftime(day, '%Y-%m-%d') AS day FROM policy_day ORDER BY day");
        for (const { day } of dayList) rows.push(...(await queryRows(conn, `SELECT ${COLUMNS} FROM shop_days_on($day::DATE)`, { day })));
        return rows;
      });
      const key = (r: unknown) => `${(r as { shop_id: string }).shop_id}|${String((r as { day: unknown }).day)}`;
      expect([...byDay].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(view);
      // Some of them flagged and at a level, so that the comparison covers the walk's columns too.
      expect(view.filter((r) => (r as { level: string }).level !== 'none').length).toBeGreaterThan(0);
    }
    // A window of days inside the data: the macro's sums start from the first day whatever its from.
    const shopId = 'S00007';
    const [inside, fromView] = await db.read(async (conn) => [
      await queryRows(conn, `SELECT ${COLUMNS} FROM shop_days($shopId, DATE '2026-10-01', DATE '2026-10-31') ORDER BY day`, { shopId }),
      await queryRows(conn, `SELECT ${COLUMNS} FROM shop_day WHERE shop_id = $shopId AND day BETWEEN '2026-10-01' AND '2026-10-31' ORDER BY day`, { shopId }),
    ]);
    expect(inside.length).toBe(31);
    expect(inside).toEqual(fromView);
    // A day outside the data has no shop-days.
    expect(await db.read((conn) => queryRows(conn, "SELECT * FROM shop_days_on(DATE '2020-01-01')"))).toEqual([]);
    expect(await db.read((conn) => queryRows(conn, 'SELECT * FROM shop_days_on(NULL::DATE)'))).toEqual([]);
    // A NULL bound gives no days, as the view's day filter does.
    expect(await db.read((conn) => queryRows(conn, "SELECT * FROM shop_days('S00007', DATE '0001-01-01', NULL::DATE)"))).toEqual([]);
    expect(await db.read((conn) => queryRows(conn, "SELECT * FROM shop_days('S00007', NULL::DATE, DATE '9999-12-31')"))).toEqual([]);
    // An unknown shop has no days.
    expect(await db.read((conn) => queryRows(conn, "SELECT * FROM shop_days('nobody', DATE '0001-01-01', DATE '9999-12-31')"))).toEqual([]);
  });

  it('stores no row per shop and day: the walk keeps only the shops it walked, the cases only their changes', async () => {
    const out = tempDir('iw-derived-');
    await generateDemo({ shops: 200, days: 70, seed: 9, end: '2026-11-20', out });
    const { db } = await openTempDb({ memory: true });
    await ingest(db, [out]);
    const [stored] = await db.read((conn) =>
      queryRows<{ shops: number; days: number; walked: number; levelRows: number; caseRows: number; levelled: number }>(
        conn,
        `SELECT (SELECT count(*) FROM shops) AS shops, (SELECT datediff('day', first_day, last_day) + 1 FROM data_range) AS days,
           (SELECT count(DISTINCT shop_id) FROM shop_levels) AS walked, (SELECT count(*) FROM shop_levels) AS "levelRows",
           (SELECT count(*) FROM daily_cases) AS "caseRows",
           (SELECT count(DISTINCT shop_id) FROM shop_day WHERE level <> 'none' OR run_days > 0 OR clean_days > 0 OR consecutive_flagged > 0) AS levelled`,
      ),
    );
    // The walk's table holds exactly the shops with something to say (a level, a run or a count of flagged days).
    expect(stored.walked).toBe(stored.levelled);
    expect(stored.walked).toBeGreaterThan(0);
    expect(stored.walked).toBeLessThan(stored.shops / 2);
    expect(stored.levelRows).toBeLessThan(stored.shops * stored.days * 0.2);
    expect(stored.caseRows).toBeLessThan(stored.shops * stored.days * 0.2);
  });

  it('a store without policy_day (a database migrated from before the sparse engine) is rebuilt whole, whatever day a batch asks from', async () => {
    const out = tempDir('iw-derived-');
    await generateDemo({ shops: 60, days: 50, seed: 3, end: '2026-11-20', out });
    const { db } = await openTempDb({ memory: true });
    await ingest(db, [out]);
    const before = await db.read((conn) => queryRows(conn, `SELECT ${COLUMNS} FROM shop_day ORDER BY shop_id, day`));
    await db.write(async (conn) => {
      await conn.run('DELETE FROM policy_day');
      await conn.run('DELETE FROM shop_levels');
      await conn.run('DELETE FROM daily_cases');
    });
    const summary = await db.write((conn) => refreshMetrics(conn, { from: '2026-11-19' }));
    const range = await db.read((conn) => queryRows<{ first: string }>(conn, "SELECT strftime(first_day, '%Y-%m-%d') AS first FROM data_range"));
    expect(summary.from).toBe(range[0].first);
    expect(await db.read((conn) => queryRows(conn, `SELECT ${COLUMNS} FROM shop_day ORDER BY shop_id, day`))).toEqual(before);
  });
});
