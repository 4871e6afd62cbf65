// The engine against an independent, naive computation (test/oracle) on a generated data set:
// every shop, every day, every field of DESIGN §3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.js';
import { queryRows } from '../server/db/database.js';
import { generateDemo } from '../server/generate/demo.js';
import { computeOracle, readCsvDir, type OracleResult } from './oracle/oracle.js';
import { ingest, openTempDb, tempDir } from './helpers.js';

let db: Database;
let oracle: OracleResult;

beforeAll(async () => {
  ({ db } = await openTempDb());
  const out = tempDir('iw-oracle-');
  await generateDemo({ shops: 400, days: 100, seed: 7, end: '2026-11-20', out });
  expect((await ingest(db, [out])).exitCode).toBe(0);
  oracle = computeOracle(readCsvDir(out));
}, 120_000);
afterAll(async () => db.close());

describe('engine = oracle on a generated data set (400 shops, 100 days)', () => {
  it('has the same days', async () => {
    const range = await db.read((conn) =>
      queryRows(conn, "SELECT strftime(first_day, '%Y-%m-%d') AS first, strftime(last_day, '%Y-%m-%d') AS last FROM data_range"),
    );
    expect(range[0]).toEqual({ first: oracle.first, last: oracle.last });
  });

  it('agrees on every shop-day: counts, rate, mean, ratio, judged, flagged, run, level and restrictions', async () => {
    const rows = await db.read((conn) =>
      queryRows<{
        shop_id: string;
        day: string;
        orders: number;
        interventions: number;
        complaints: number;
        rate: number | null;
        category_mean: number | null;
        ratio: number | null;
        judged: boolean;
        flagged: boolean;
        consecutive_flagged: number;
        level: string;
      }>(
        conn,
        `SELECT shop_id, strftime(day, '%Y-%m-%d') AS day, orders, interventions, complaints, rate, category_mean, ratio, judged, flagged, consecutive_flagged, level
         FROM shop_day ORDER BY shop_id, day`,
      ),
    );
    const episodes = await db.read((conn) =>
      queryRows<{ shop_id: string; codes: string[]; start: string; end: string | null }>(
        conn,
        "SELECT shop_id, codes, strftime(start_day, '%Y-%m-%d') AS start, strftime(end_day, '%Y-%m-%d') AS \"end\" FROM restriction_episodes",
      ),
    );
    let compared = 0;
    const levelsSeen = new Set<string>();
    const mismatches: string[] = [];
    for (const row of rows) {
      const want = oracle.days.get(row.shop_id)?.find((d) => d.date === row.day);
      if (!want) {
        mismatches.push(`${row.shop_id} ${row.day}: not in the oracle`);
        continue;
      }
      const restrictions = episodes
        .filter((e) => e.shop_id === row.shop_id && e.start <= row.day && (e.end === null || e.end > row.day))
        .flatMap((e) => e.codes.map((code) => ({ code, since: e.start })));
      const got = {
        orders: row.orders,
        interventions: row.interventions,
        complaints: row.complaints,
        judged: row.judged,
        flagged: row.flagged,
        consecutiveFlaggedDays: row.consecutive_flagged,
        level: row.level,
        restrictions,
      };
      const expected = {
        orders: want.orders,
        interventions: want.interventions,
        complaints: want.complaints,
        judged: want.judged,
        flagged: want.flagged,
        consecutiveFlaggedDays: want.consecutiveFlaggedDays,
        level: want.level,
        restrictions: want.restrictions,
      };
      const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)));
      if (
        JSON.stringify(got) !== JSON.stringify(expected) ||
        !close(row.rate, want.rate) ||
        !close(row.category_mean, want.categoryMean) ||
        !close(row.ratio, want.ratio)
      ) {
        mismatches.push(
          `${row.shop_id} ${row.day}: engine ${JSON.stringify({ ...got, rate: row.rate, mean: row.category_mean, ratio: row.ratio })} oracle ${JSON.stringify(want)}`,
        );
      }
      levelsSeen.add(row.level);
      compared++;
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBe(400 * 100);
    // The data set exercises every level.
    expect([...levelsSeen].sort()).toEqual(['none', 'restricted', 'severe', 'warning']);
  });
});
