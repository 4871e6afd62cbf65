// The seam to a distributed engine: the portable SQL, run by DuckDB over raw orders and cases, hands
// over hive-partitioned daily shop counts; metrics computed from them equal metrics from raw ingest,
// distinct intervention orders included.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.js';
import { queryRows } from '../server/db/database.js';
import { generateDemo } from '../server/generate/demo.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { SeamError, exportSeam, ingestSeam, renderSeamSql } from '../server/seam/seam.js';
import { HEADERS, caseRow, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';

const SHOP_DAY = `SELECT shop_id, strftime(day, '%Y-%m-%d') AS day, orders, interventions, complaints, category_orders, category_interventions,
  rate, category_mean, ratio, judged, complete, flagged, consecutive_flagged, level, run_days, clean_days FROM shop_day ORDER BY shop_id, day`;
const EPISODES = `SELECT * FROM restriction_episodes ORDER BY ALL`;

describe('seam: daily shop counts from an engine', () => {
  let raw: Database;
  let seam: Database;
  let handover: string;
  let demo: string;
  beforeAll(async () => {
    demo = tempDir('iw-seam-demo-');
    await generateDemo({ shops: 300, days: 80, seed: 11, end: '2026-11-20', out: demo });
    ({ db: raw } = await openTempDb());
    expect((await ingest(raw, [demo])).exitCode).toBe(0);
    handover = path.join(tempDir('iw-seam-'), 'daily');
    await raw.read((conn) => exportSeam(conn, DEFAULT_POLICY, handover));
    ({ db: seam } = await openTempDb());
    // The dimension tables come as usual; the counts through the seam.
    expect((await ingest(seam, [path.join(demo, 'categories.csv'), path.join(demo, 'shops.csv')])).exitCode).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await raw.close();
    await seam.close();
  });

  it('writes hive partitions and a manifest', () => {
    const entries = fs.readdirSync(handover).sort();
    expect(entries).toContain('_manifest.json');
    expect(entries.filter((e) => e.startsWith('day=')).length).toBeGreaterThanOrEqual(80);
    expect(JSON.parse(fs.readFileSync(path.join(handover, '_manifest.json'), 'utf8'))).toMatchObject({
      windowDays: 30,
      timeZone: 'Asia/Shanghai',
      countBasis: 'case_opened',
    });
  });

  it('the portable SQL keeps to the shared subset', () => {
    const sql = renderSeamSql(DEFAULT_POLICY);
    // No DuckDB-only functions or syntax: timezone(), strftime, ::casts, GROUP BY ALL, QUALIFY, FILTER.
    for (const banned of [/timezone\(/i, /strftime/i, /::/, /GROUP BY ALL/i, /QUALIFY/i, /FILTER\s*\(/i, /\$\w+/]) expect(sql).not.toMatch(banned);
    expect(sql).toMatch(/INTERVAL '30' DAY/);
    expect(sql).toMatch(/AT TIME ZONE 'Asia\/Shanghai'/);
  });

  it('metrics from the seam equal metrics from raw ingest, every shop-day and every episode', async () => {
    const report = await ingestSeam(seam, handover);
    expect([report.rejected, report.exitCode]).toEqual([0, 0]);
    const want = await raw.read((conn) => queryRows(conn, SHOP_DAY));
    const got = await seam.read((conn) => queryRows(conn, SHOP_DAY));
    expect(got.length).toBe(300 * 80);
    expect(got).toEqual(want);
    expect(await seam.read((conn) => queryRows(conn, EPISODES))).toEqual(await raw.read((conn) => queryRows(conn, EPISODES)));
    // The data set has orders with cases on several days: the distinct count stayed exact.
    const repeated = await raw.read((conn) =>
      queryRows<{ n: number }>(
        conn,
        `SELECT count(*) AS n FROM (SELECT order_id FROM cases WHERE kind = 'intervention' AND NOT excluded GROUP BY order_id HAVING count(DISTINCT CAST(timezone('Asia/Shanghai', opened_at) AS DATE)) > 1)`,
      ),
    );
    expect(repeated[0].n).toBeGreaterThan(10);
  });

  it('counts an order with cases on two days once (hand-worked)', async () => {
    const { db: a, dir } = await openTempDb({ memory: true });
    const { db: b } = await openTempDb({ memory: true });
    writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [['A', '甲店', 'C1']]);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-10-01T10:00:00+08:00', '1'],
      ['O2', 'A', '2026-10-20T10:00:00+08:00', '1'],
    ]);
    writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
      caseRow('K1', 'O1', 'A', '2026-10-02T10:00:00+08:00'),
      caseRow('K2', 'O1', 'A', '2026-10-12T10:00:00+08:00'),
      caseRow('K3', 'O2', 'A', '2026-10-20T23:59:00+08:00'),
    ]);
    await ingest(a, [dir]);
    const out = path.join(tempDir(), 'daily');
    await a.read((conn) => exportSeam(conn, DEFAULT_POLICY, out));
    await ingest(b, [path.join(dir, 'categories.csv'), path.join(dir, 'shops.csv')]);
    await ingestSeam(b, out);
    // 10-12: O1 has cases on 10-02 and 10-12, both in the window: it counts once → 1.
    // 10-20: O1 once and O2 (10-20 23:59 local) once → 2.
    const k = (db: Database, day: string) =>
      db.read((conn) => queryRows<{ k: number }>(conn, `SELECT interventions AS k FROM shop_day WHERE shop_id = 'A' AND day = '${day}'`));
    expect((await k(b, '2026-10-20'))[0].k).toBe(2);
    expect((await k(b, '2026-10-12'))[0].k).toBe(1);
    expect(await b.read((conn) => queryRows(conn, SHOP_DAY))).toEqual(await a.read((conn) => queryRows(conn, SHOP_DAY)));
    await a.close();
    await b.close();
  });

  it('refuses a handover whose manifest does not match the policy, and sets aside rows of unknown shops', async () => {
    const { db, dir } = await openTempDb({ memory: true });
    writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [['A', '甲店', 'C1']]);
    await ingest(db, [dir]);
    const bad = path.join(tempDir(), 'daily');
    fs.mkdirSync(path.join(bad, 'day=2026-10-01'), { recursive: true });
    await db.read((conn) =>
      conn.run(`COPY (SELECT * FROM (VALUES ('A', 5, 1, 0, 0, 0), ('ZZ', 3, 0, 0, 0, 0)) t(shop_id, orders, interventions_in, interventions_out, complaints_in, complaints_out))
      TO '${path.join(bad, 'day=2026-10-01', 'part-0.parquet')}' (FORMAT parquet)`),
    );
    fs.writeFileSync(
      path.join(bad, '_manifest.json'),
      JSON.stringify({ format: 'intervention-watch/daily-shop-counts', version: 1, windowDays: 60, timeZone: 'Asia/Shanghai', countBasis: 'case_opened' }),
    );
    await expect(ingestSeam(db, bad)).rejects.toThrow(/windowDays is 60, but the active policy has 30/);
    fs.writeFileSync(
      path.join(bad, '_manifest.json'),
      JSON.stringify({ format: 'intervention-watch/daily-shop-counts', version: 1, windowDays: 30, timeZone: 'Asia/Shanghai', countBasis: 'case_opened' }),
    );
    const report = await ingestSeam(db, bad);
    expect([report.accepted, report.rejected, report.exitCode]).toEqual([1, 1, 3]);
    expect(report.rejects[0]).toMatchObject({ row: 2, reason: 'shop_id: unknown shop ZZ' });
    fs.rmSync(path.join(bad, '_manifest.json'));
    await expect(ingestSeam(db, bad)).rejects.toBeInstanceOf(SeamError);
    await db.close();
  });
});
