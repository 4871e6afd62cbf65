// Goods (issue 13): the optional goods_id column of orders and the goods table at ingest, and
// GET /api/shops/:shopId/goods with hand-worked numbers.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { Database, queryRows } from '../server/db/database.js';
import { GoodsSchema, type Goods } from '../server/contracts/shop.js';
import { judgeShop } from '../server/read/goods.js';
import { HEADERS, NOW, caseRow, dailyOrders, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';
import { ingestFiles, type IngestReport } from '../server/ingest/ingest.js';
import { generateDemo } from '../server/generate/demo.js';

const secret = new TextEncoder().encode('goods-test-secret-0123456789abcdef0123');
const ORDERS5 = [...HEADERS.orders, 'goods_id'];
const GOODS = ['goods_id', 'shop_id', 'goods_name'];
const LAST = '2026-10-15';

// ────────────────────────────────────────────────────────────────────────────────────────────────
// Data 2026-09-01 … 10-15, default policy (window 30 days, case opened day, pooled mean, floors 30/3, ratio 5).
// The window of 10-15 is 09-16 … 10-15; the first day is 09-01, so windows are complete from 09-30.
//   Category C1: shops A and B.
//   A (orders-a.csv, five columns): 2 orders a day, order -1 of goods G1 (保温杯), -2 of G2 (雨伞);
//     line 92: A-X1 names G3, a goods of B → rejected; line 93: A-X2 (10-03) names G9, not in the goods
//     table → accepted, named G9. A in the window: N = 30 + 30 + 1 = 61.
//   B (orders-b.csv, the old four-column header): 20 orders a day → 600 in the window, no goods.
//   Cases of A in the window:
//     A1 on A-10-01-1 (G1) and A2 on A-10-01-2 (G2): two goods, orders of the same day → G1 1, G2 1;
//     A3 and A4 on A-10-05-1 (G1), opened 10-06 and 10-08: one order → G1 counts it once;
//     A5 on A-10-07-1 (G1);
//     A6 on A-10-09-2 (G2) excluded → counts nowhere; A7 a complaint on A-10-10-2 (G2) → not in the rate.
//     K(A) = 4: G1 3, G2 1. Case B1 on B-10-03-1: K(B) = 1.
//   On 10-15: A rate 4/61; category ΣK = 5, ΣN = 661, mean 5/661; ratio = 4·661 / (61·5) = 2644/305 ≈ 8.669
//   → judged (61 ≥ 30, 4 ≥ 3), flagged.
//   Without G1 (its 3 intervention orders, all paid in the window, gone): N' = 58, K' = 1, ΣN' = 658,
//     ΣK' = 2: rate 1/58, ratio = (1/58)/(2/658) = 658/116 ≈ 5.672, not judged (K' = 1 < 3) → not flagged.
//   Without G2 (1 order): N' = 60, K' = 3, ΣN' = 660, ΣK' = 4: rate 3/60 = 0.05,
//     ratio = 3·660 / (60·4) = 8.25, judged → flagged.
//   Without G9 (no intervention orders): unchanged, rate 4/61, ratio 2644/305, flagged.
// ────────────────────────────────────────────────────────────────────────────────────────────────
function writeData(dir: string): void {
  writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '家居', '']]);
  writeCsv(dir, 'shops.csv', HEADERS.shops, [
    ['A', '甲店', 'C1'],
    ['B', '乙店', 'C1'],
  ]);
  writeCsv(dir, 'goods.csv', GOODS, [
    ['G1', 'A', '保温杯'],
    ['G2', 'A', '雨伞'],
    ['G3', 'B', '毛巾'],
  ]);
  writeCsv(dir, 'orders-a.csv', ORDERS5, [
    ...dailyOrders('A', '2026-09-01', LAST, 2).map((r) => [...r, r[0].endsWith('-1') ? 'G1' : 'G2']),
    ['A-X1', 'A', '2026-10-01T09:00:00+08:00', '5.00', 'G3'],
    ['A-X2', 'A', '2026-10-03T09:00:00+08:00', '5.00', 'G9'],
  ]);
  writeCsv(dir, 'orders-b.csv', HEADERS.orders, dailyOrders('B', '2026-09-01', LAST, 20));
  writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('A1', 'A-2026-10-01-1', 'A', '2026-10-02T10:00:00+08:00'),
    caseRow('A2', 'A-2026-10-01-2', 'A', '2026-10-02T11:00:00+08:00'),
    caseRow('A3', 'A-2026-10-05-1', 'A', '2026-10-06T10:00:00+08:00'),
    caseRow('A4', 'A-2026-10-05-1', 'A', '2026-10-08T10:00:00+08:00'),
    caseRow('A5', 'A-2026-10-07-1', 'A', '2026-10-08T12:00:00+08:00'),
    caseRow('A6', 'A-2026-10-09-2', 'A', '2026-10-10T10:00:00+08:00', { excluded: 'true', exclusionReason: 'logistics' }),
    caseRow('A7', 'A-2026-10-10-2', 'A', '2026-10-11T10:00:00+08:00', { kind: 'complaint' }),
    caseRow('B1', 'B-2026-10-03-1', 'B', '2026-10-04T10:00:00+08:00'),
  ]);
}

describe('goods at ingest', () => {
  it('loads goods before orders, rejects a goods of another shop with line and reason, accepts unknown goods, still loads four columns', async () => {
    const { db, dir } = await openTempDb({ memory: true });
    try {
      writeData(dir);
      const report = await ingest(db, [dir]);
      const byName = Object.fromEntries(report.files.map((f) => [path.basename(f.file), f]));
      expect(report.files.map((f) => f.kind)).toEqual(['categories', 'shops', 'goods', 'orders', 'orders', 'interventions']);
      expect(byName['goods.csv']).toMatchObject({ accepted: 3, rejected: 0 });
      expect(byName['orders-a.csv']).toMatchObject({ accepted: 91, rejected: 1 });
      expect(byName['orders-a.csv'].rejects).toEqual([{ line: 92, column: 'goods_id', reason: 'goods_id: goods G3 belongs to shop B, not A', id: 'A-X1' }]);
      expect(byName['orders-b.csv']).toMatchObject({ accepted: 900, rejected: 0 });
      expect(report.exitCode).toBe(3);
      const stored = await db.read((conn) =>
        queryRows<{ order_id: string; goods_id: string | null }>(
          conn,
          "SELECT order_id, goods_id FROM orders WHERE order_id IN ('A-2026-10-01-1', 'A-2026-10-01-2', 'A-X2', 'B-2026-10-01-1') ORDER BY order_id",
        ),
      );
      expect(stored).toEqual([
        { order_id: 'A-2026-10-01-1', goods_id: 'G1' },
        { order_id: 'A-2026-10-01-2', goods_id: 'G2' },
        { order_id: 'A-X2', goods_id: 'G9' },
        { order_id: 'B-2026-10-01-1', goods_id: null },
      ]);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bulk path and the row reader give the same report and rows for the goods column and table', async () => {
    const dir = tempDir('iw-goods-');
    writeData(dir);
    // Bad values in the new column and table, and a goods moved to another shop in a later batch.
    writeCsv(dir, 'orders-c.csv', ORDERS5, [
      ['C-1', 'A', '2026-10-01T09:00:00+08:00', '1.00', ''],
      ['C-2', 'A', '2026-10-01T09:00:00+08:00', '1.00', 'x'.repeat(200)],
      ['C-3', 'A', '2026-10-01T09:00:00+08:00', '1.00', ' G1 '],
      ['C-4', 'B', '2026-10-01T09:00:00+08:00', '1.00', 'G2'],
    ]);
    fs.writeFileSync(path.join(dir, 'goods-bad.csv'), `${GOODS.join(',')}\nG4,Z,x\nG5,A,\nG6,A,ok,extra\nG1,A,again\n`);
    const later = tempDir('iw-goods-later-');
    writeCsv(later, 'goods.csv', GOODS, [['G1', 'B', '保温杯']]);
    fs.writeFileSync(path.join(later, 'orders-wrong.csv'), 'order_id,shop_id,paid_at,amount,goods\nW-1,A,2026-10-01T09:00:00+08:00,1.00,G1\n');
    const results = [];
    for (const bulk of [true, false]) {
      const db = await Database.open(':memory:', { poolSize: 2 });
      try {
        const reports: IngestReport[] = [await ingestFiles(db, [dir], { now: NOW, bulk }), await ingestFiles(db, [later], { now: NOW, bulk })];
        const rows = await db.read(async (conn) => ({
          orders: await queryRows(conn, 'SELECT order_id, goods_id FROM orders ORDER BY order_id'),
          goods: await queryRows(conn, 'SELECT * FROM goods ORDER BY goods_id'),
        }));
        results.push({ files: reports.flatMap((r) => r.files.map((f) => ({ ...f, file: path.basename(f.file) }))), rows });
      } finally {
        await db.close();
      }
    }
    expect(results[0]).toEqual(results[1]);
    const files = Object.fromEntries(results[1].files.map((f) => [f.file, f]));
    expect(files['orders-c.csv'].rejects.map((r) => r.reason)).toEqual([
      'goods_id: is longer than 128 characters',
      'goods_id: goods G2 belongs to shop A, not B',
    ]);
    expect(files['goods-bad.csv'].rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, 'shop_id: unknown shop Z'],
      [3, 'goods_name: is empty'],
      [4, 'has 4 fields; expected 3 (goods_id,shop_id,goods_name)'],
    ]);
    const goodsFiles = results[1].files.filter((f) => f.file === 'goods.csv');
    expect(goodsFiles[0].rejects).toEqual([]); // the first batch's
    expect(goodsFiles[1].rejects.map((r) => r.reason)).toEqual(['shop_id: goods G1 is stored for shop A, not B']);
    expect(files['orders-wrong.csv'].error).toMatch(/expected 'order_id,shop_id,paid_at,amount' \(names and order exactly\); it may also end with goods_id$/);
    expect(results[1].rows.orders).toContainEqual({ order_id: 'C-1', goods_id: null });
    expect(results[1].rows.orders).toContainEqual({ order_id: 'C-3', goods_id: 'G1' });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(later, { recursive: true, force: true });
  });

  it('reads a Parquet orders file with or without goods_id', async () => {
    const { db, dir } = await openTempDb({ memory: true });
    try {
      writeData(dir);
      expect((await ingest(db, [dir])).exitCode).toBe(3);
      const pq = tempDir('iw-goods-pq-');
      const five = path.join(pq, 'orders-five.parquet');
      const four = path.join(pq, 'orders-four.parquet');
      await db.read(async (conn) => {
        await conn.run(
          `COPY (SELECT 'P-1' AS order_id, 'A' AS shop_id, '2026-10-02T09:00:00+08:00' AS paid_at, '1.00' AS amount, 'G2' AS goods_id) TO '${five}' (FORMAT parquet)`,
        );
        await conn.run(
          `COPY (SELECT 'P-2' AS order_id, 'A' AS shop_id, '2026-10-02T09:00:00+08:00' AS paid_at, '1.00' AS amount) TO '${four}' (FORMAT parquet)`,
        );
      });
      for (const bulk of [true, false]) {
        const report = await ingest(db, [pq], { bulk });
        expect(report.exitCode).toBe(0);
        expect(report.accepted).toBe(2);
      }
      const rows = await db.read((conn) => queryRows(conn, "SELECT order_id, goods_id FROM orders WHERE order_id LIKE 'P-%' ORDER BY order_id"));
      expect(rows).toEqual([
        { order_id: 'P-1', goods_id: 'G2' },
        { order_id: 'P-2', goods_id: null },
      ]);
      fs.rmSync(pq, { recursive: true, force: true });
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GET /api/shops/:shopId/goods', () => {
  let db: Database;
  let dir: string;
  let app: Express;
  let sellerA: string;
  let sellerB: string;
  let reviewer: string;
  const get = (url: string, token: string) => request(app).get(url).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    ({ db, dir } = await openTempDb({ memory: true }));
    writeData(dir);
    expect((await ingest(db, [dir])).exitCode).toBe(3);
    app = createApp({ db, secret });
    sellerA = await signToken(secret, { role: 'seller', shops: ['A'] });
    sellerB = await signToken(secret, { role: 'seller', shops: ['B'] });
    reviewer = await signToken(secret, { role: 'reviewer' });
  });
  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the shop is flagged on 10-15 as worked out above', async () => {
    const res = await get(`/api/shops/A/metrics?date=${LAST}`, reviewer);
    expect(res.body).toMatchObject({ orders: 61, interventions: 4, judged: true, flagged: true });
    expect(res.body.ratio).toBeCloseTo(2644 / 305, 12);
  });

  it('answers per goods, by interventions, with the what-if worked out by hand (reviewer)', async () => {
    const res = await get(`/api/shops/A/goods?date=${LAST}`, reviewer);
    expect(res.status).toBe(200);
    const body: Goods = GoodsSchema.strict().parse(res.body);
    expect(Object.keys(res.body).sort()).toEqual(['date', 'items', 'shopId', 'window']);
    expect(body).toMatchObject({ shopId: 'A', date: LAST, window: { from: '2026-09-16', to: LAST } });
    expect(body.items.map((i) => [i.goodsId, i.goodsName, i.orders, i.interventions])).toEqual([
      ['G1', '保温杯', 30, 3],
      ['G2', '雨伞', 30, 1],
      ['G9', 'G9', 1, 0],
    ]);
    const [g1, g2, g9] = body.items;
    expect(Object.keys(g1).sort()).toEqual(['goodsId', 'goodsName', 'interventions', 'orders', 'rate', 'share', 'withoutIt']);
    expect(g1.rate).toBeCloseTo(0.1, 12);
    expect(g1.share).toBe(0.75);
    expect(g1.withoutIt.rate).toBeCloseTo(1 / 58, 12);
    expect(g1.withoutIt.ratio).toBeCloseTo(658 / 116, 12);
    expect(g1.withoutIt.flagged).toBe(false);
    expect(g2.rate).toBeCloseTo(1 / 30, 12);
    expect(g2.share).toBe(0.25);
    expect(g2.withoutIt.rate).toBeCloseTo(0.05, 12);
    expect(g2.withoutIt.ratio).toBeCloseTo(8.25, 12);
    expect(g2.withoutIt.flagged).toBe(true);
    expect(g9).toMatchObject({ rate: 0, share: 0 });
    expect(g9.withoutIt.rate).toBeCloseTo(4 / 61, 12);
    expect(g9.withoutIt.ratio).toBeCloseTo(2644 / 305, 12);
    expect(g9.withoutIt.flagged).toBe(true);
  });

  it('an incomplete window is never flagged; a shop without goods has no items and shares of nothing', async () => {
    // 09-20: window 08-22 … 09-20, before the first complete window (09-30). A: 40 orders (G1 20, G2 20), K 0.
    const early = (await get('/api/shops/A/goods?date=2026-09-20', reviewer)).body as Goods;
    expect(early.items.map((i) => [i.goodsId, i.orders, i.interventions, i.share, i.withoutIt.flagged])).toEqual([
      ['G1', 20, 0, null, false],
      ['G2', 20, 0, null, false],
    ]);
    expect((await get(`/api/shops/B/goods?date=${LAST}`, reviewer)).body.items).toEqual([]);
  });

  it('a seller reads only their own shop; in a category too small to compare, withoutIt.ratio is null (the flag stays)', async () => {
    expect((await get(`/api/shops/A/goods?date=${LAST}`, sellerB)).status).toBe(403);
    expect((await request(app).get(`/api/shops/A/goods?date=${LAST}`)).status).toBe(401);
    const res = await get(`/api/shops/A/goods?date=${LAST}`, sellerA);
    expect(res.status).toBe(200);
    // C1 has one other shop with orders (B), below MIN_PEER_SHOPS (5).
    expect(res.body.items.map((i: Goods['items'][number]) => [i.goodsId, i.withoutIt.ratio, i.withoutIt.flagged])).toEqual([
      ['G1', null, false],
      ['G2', null, true],
      ['G9', null, true],
    ]);
    expect(res.body.items[1].withoutIt.rate).toBeCloseTo(0.05, 12);
  });

  it('bad parameters are 400, an unknown shop 404', async () => {
    expect((await get('/api/shops/A/goods?date=2026-13-01', reviewer)).status).toBe(400);
    expect((await get('/api/shops/A/goods?day=2026-10-01', reviewer)).status).toBe(400);
    expect((await get('/api/shops/NOPE/goods', reviewer)).status).toBe(404);
  });
});

describe('goods in the demo data', () => {
  it('every order has a goods of its shop; a few goods cause most of a troubled shop’s interventions', async () => {
    const { db, dir } = await openTempDb({ memory: true });
    try {
      const summary = await generateDemo({ shops: 150, days: 75, seed: 13, end: '2026-11-20', out: dir });
      expect(summary.files.map((f) => path.basename(f))).toContain('goods.csv');
      const report = await ingest(db, [dir]);
      expect(report.rejected).toBe(0);
      const counts = await db.read((conn) =>
        queryRows<{ orders: number; without: number; goods: number }>(
          conn,
          'SELECT count(*)::INTEGER AS orders, count(*) FILTER (WHERE goods_id IS NULL)::INTEGER AS without, (SELECT count(*)::INTEGER FROM goods) AS goods FROM orders',
        ),
      );
      expect(counts[0].without).toBe(0);
      expect(counts[0].goods).toBeGreaterThanOrEqual(150 * 3);
      // The shop with the most intervention orders on the last day: its goods add up to its counts, and
      // its top two goods hold most of its interventions.
      const worst = await db.read((conn) =>
        queryRows<{ shop_id: string; orders: number; interventions: number }>(
          conn,
          `SELECT shop_id, orders, interventions FROM shop_day WHERE day = $day::DATE ORDER BY interventions DESC, shop_id LIMIT 1`,
          { day: summary.last },
        ),
      );
      const app = createApp({ db, secret });
      const token = await signToken(secret, { role: 'reviewer' });
      const res = await request(app).get(`/api/shops/${worst[0].shop_id}/goods?date=${summary.last}`).set('Authorization', `Bearer ${token}`);
      const body: Goods = GoodsSchema.parse(res.body);
      expect(body.items.reduce((n, i) => n + i.orders, 0)).toBe(worst[0].orders);
      expect(body.items.reduce((n, i) => n + i.interventions, 0)).toBe(worst[0].interventions);
      expect(body.items[0].goodsName).toMatch(/[\u4e00-\u9fff]/);
      expect((body.items[0].share ?? 0) + (body.items[1]?.share ?? 0)).toBeGreaterThan(0.6);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('judgeShop compares as the engine does', () => {
  const base = { otherRates: null, complete: true, minOrders: 30, minInterventions: 3, flagRatio: 5 };
  it('a ratio of exactly the threshold is flagged (pooled, by integers)', () => {
    // Shop 3/30 = 0.1; category 6/300 = 0.02 → ratio exactly 5.
    expect(judgeShop({ ...base, orders: 30, interventions: 3, categoryOrders: 300, categoryInterventions: 6 }).flagged).toBe(true);
    expect(judgeShop({ ...base, orders: 30, interventions: 3, categoryOrders: 300, categoryInterventions: 7 }).flagged).toBe(false);
    expect(judgeShop({ ...base, complete: false, orders: 30, interventions: 3, categoryOrders: 300, categoryInterventions: 6 }).flagged).toBe(false);
  });
  it('mean of shop rates: the mean taken again with the new rate', () => {
    // Others 0.01 and 0.01; the shop 3/30 = 0.1 → mean 0.04, ratio 2.5.
    const r = judgeShop({ ...base, otherRates: [0.01, 0.01], orders: 30, interventions: 3, categoryOrders: 0, categoryInterventions: 0 });
    expect(r.ratio).toBeCloseTo(2.5, 12);
    expect(r.flagged).toBe(false);
    // No orders left: no rate, the mean of the others only, never flagged.
    expect(judgeShop({ ...base, otherRates: [0.01], orders: 0, interventions: 0, categoryOrders: 0, categoryInterventions: 0 })).toEqual({
      rate: null,
      ratio: null,
      flagged: false,
    });
  });
});
