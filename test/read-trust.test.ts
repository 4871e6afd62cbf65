// Trust in what a shop's reads say, under every policy and to every reader, with hand-worked numbers:
// (a) DESIGN §3 small categories: a seller never sees category figures of a category with fewer than
//     MIN_PEER_SHOPS (default 5) other shops with orders in the window; reviewers see everything.
// (b) the forecast follows the policy in force on each projected day and the category-mean method.
// (c) cases and breakdown follow the count basis (order_paid: a case counts on its order's paid day).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { DEFAULT_POLICY, type Policy } from '../server/policy/policy.js';
import { PolicySchedule } from '../server/policy/schedule.js';
import { forecastShop } from '../server/read/forecast.js';
import { LatestDay } from '../server/read/latest.js';
import { metricsFor } from '../server/read/privacy.js';
import { loadConfig, minPeerShopsFromEnv } from '../server/config.js';
import { BreakdownSchema, CasesSchema, ForecastSchema, HistorySchema, PeersSchema, TrendSchema } from '../server/contracts/shop.js';
import { ShopMetricsSchema } from '../server/contracts/metrics.js';
import { HEADERS, addDays, caseRow, dailyOrders, ingest, openTempDb, writeCsv } from './helpers.js';

const secret = new TextEncoder().encode('read-trust-test-secret-0123456789abcdef');
const LAST = '2026-10-15';

async function setPolicy(db: Database, policy: Policy): Promise<void> {
  await db.write((conn) =>
    conn.run(
      `INSERT INTO policy_versions (version, body, created_at, created_by, active, effective_from)
       VALUES ($v, $b::JSON, now(), 'test', true, NULL)`,
      { v: policy.version, b: JSON.stringify(policy) },
    ),
  );
}

function client(app: Express) {
  return (path: string, token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);
}

/** Every category figure anywhere in an answer (by key), to check a seller's answers hold none. */
const FIGURE_KEYS = new Set(['categoryMean', 'threshold', 'ratio', 'median', 'p90', 'percentile', 'judgedShops', 'headroom7d']);
function figures(value: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((v) => figures(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (FIGURE_KEYS.has(k)) out.push(v);
      else figures(v, out);
    }
  }
  return out;
}

// ────────────────────────────────────────────────────────────────────────────────────────────────
// (a) Small categories. Data 2026-09-01 … 10-15, default policy.
//   C2 (two shops): X 2 orders/day, intervention orders opened 09-18, 09-19, 09-20; Y 10 orders/day.
//     On 10-15: X N = 60, K = 3, rate 0.05; mean 3/360 → ratio 6; flagged since 09-30 (16 days): severe.
//     X has ONE other shop with orders: below 5, so a seller of X sees no category figure.
//   C5: Z as X; Q1 … Q4 10 orders/day; Q5 10 orders/day from 10-10 only; Q6 no orders at all.
//     On 10-15 Z has 5 other shops with orders (Q6 does not count): mean 3/1320, ratio 22.
//     Before 10-10 only 4 (Q5's window has no orders yet): on 10-09 too small (mean 3/1260 hidden).
// ────────────────────────────────────────────────────────────────────────────────────────────────
describe('(a) a seller cannot read category figures of a small category', () => {
  let db: Database;
  let app: Express;
  let sellerX: string, sellerZ: string, reviewer: string, admin: string;
  let get: ReturnType<typeof client>;

  beforeAll(async () => {
    const t = await openTempDb();
    db = t.db;
    writeCsv(t.dir, 'categories.csv', HEADERS.categories, [
      ['C2', '图书', ''],
      ['C5', '数码', ''],
    ]);
    writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
      ['X', 'X店', 'C2'],
      ['Y', 'Y店', 'C2'],
      ['Z', 'Z店', 'C5'],
      ...['Q1', 'Q2', 'Q3', 'Q4', 'Q5', 'Q6'].map((q) => [q, `${q}店`, 'C5']),
    ]);
    writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('X', '2026-09-01', LAST, 2),
      ...dailyOrders('Y', '2026-09-01', LAST, 10),
      ...dailyOrders('Z', '2026-09-01', LAST, 2),
      ...['Q1', 'Q2', 'Q3', 'Q4'].flatMap((q) => dailyOrders(q, '2026-09-01', LAST, 10)),
      ...dailyOrders('Q5', '2026-10-10', LAST, 10),
    ]);
    writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
      ...['X', 'Z'].flatMap((s) => ['2026-09-18', '2026-09-19', '2026-09-20'].map((d, i) => caseRow(`${s}${i}`, `${s}-${d}-1`, s, `${d}T10:00:00+08:00`))),
    ]);
    expect((await ingest(db, [t.dir])).exitCode).toBe(0);
    delete process.env.MIN_PEER_SHOPS;
    app = createApp({ db, secret });
    get = client(app);
    sellerX = await signToken(secret, { role: 'seller', shops: ['X'] });
    sellerZ = await signToken(secret, { role: 'seller', shops: ['Z'] });
    reviewer = await signToken(secret, { role: 'reviewer' });
    admin = await signToken(secret, { role: 'admin' });
  });
  afterAll(async () => db.close());

  it('the setting: MIN_PEER_SHOPS, default 5, a whole number', () => {
    const saved = process.env.MIN_PEER_SHOPS;
    try {
      delete process.env.MIN_PEER_SHOPS;
      expect(minPeerShopsFromEnv()).toBe(5);
      process.env.MIN_PEER_SHOPS = '3';
      expect(loadConfig().minPeerShops).toBe(3);
      process.env.MIN_PEER_SHOPS = 'five';
      expect(() => minPeerShopsFromEnv()).toThrow(/MIN_PEER_SHOPS=five/);
    } finally {
      if (saved === undefined) delete process.env.MIN_PEER_SHOPS;
      else process.env.MIN_PEER_SHOPS = saved;
    }
  });

  it('metrics: a seller of a 2-shop category gets no category mean and no ratio, but its own flag and level', async () => {
    for (const path of ['/api/shops/X/metrics', `/api/shops/X/metrics?date=${LAST}`, '/api/shops/X/metrics?date=2026-10-14']) {
      const res = await get(path, sellerX);
      expect(res.status, path).toBe(200);
      ShopMetricsSchema.parse(res.body);
      expect(res.body, path).toMatchObject({
        orders: 60,
        interventions: 3,
        rate: 0.05,
        categoryMean: null,
        ratio: null,
        judged: true,
        flagged: true,
        level: 'severe',
        categoryComparable: false,
        minPeerShops: 5,
      });
      expect(JSON.stringify(res.body), path).not.toMatch(/otherShops|"shops"/);
    }
    // A reviewer and an admin see the figures (and the §4 shape unchanged).
    for (const token of [reviewer, admin]) {
      const res = await get(`/api/shops/X/metrics?date=${LAST}`, token);
      expect(res.body).toMatchObject({ categoryMean: 3 / 360, ratio: expect.closeTo(6, 12), flagged: true, level: 'severe' });
      expect(res.body).not.toHaveProperty('categoryComparable');
    }
  });

  it('metrics: with 5 other shops with orders the seller sees the figures; with 4 (one has no orders) it does not', async () => {
    const z = await get(`/api/shops/Z/metrics?date=${LAST}`, sellerZ);
    expect(z.body).toMatchObject({ categoryMean: 3 / 1320, ratio: expect.closeTo(22, 12), categoryComparable: true, minPeerShops: 5 });
    const before = await get('/api/shops/Z/metrics?date=2026-10-09', sellerZ);
    expect(before.body).toMatchObject({ orders: 60, interventions: 3, categoryMean: null, ratio: null, flagged: true, categoryComparable: false });
    const seen = await get('/api/shops/Z/metrics?date=2026-10-09', reviewer);
    expect(seen.body).toMatchObject({ categoryMean: 3 / 1260, ratio: expect.closeTo(21, 12) });
  });

  it('metrics from the in-memory latest day are redacted too, without touching the held answer', async () => {
    const latest = new LatestDay(db);
    await latest.rebuild();
    const held = latest.lookupWithPeers('X', undefined)!;
    expect(held.otherShopsWithOrders).toBe(1);
    expect(latest.lookupWithPeers('Z', LAST)!.otherShopsWithOrders).toBe(5);
    expect(latest.lookupWithPeers('Q6', LAST)!.otherShopsWithOrders).toBe(6); // Q6 has no orders: all six others count
    const seller = metricsFor({ seller: true, minPeerShops: 5 }, held.metrics, held.otherShopsWithOrders);
    expect(seller).toMatchObject({ categoryMean: null, ratio: null, categoryComparable: false, level: 'severe' });
    expect(latest.lookup('X', undefined)).toMatchObject({ categoryMean: 3 / 360 });
    expect(metricsFor({ seller: false, minPeerShops: 5 }, held.metrics, 1)).toBe(held.metrics);
  });

  it('trend: a seller gets no mean, threshold or ratio on the days the category is too small', async () => {
    const x = await get('/api/shops/X/trend?from=2026-10-14&to=2026-10-15', sellerX);
    expect(x.status).toBe(200);
    TrendSchema.parse(x.body);
    expect(x.body).toMatchObject({ categoryComparable: false, minPeerShops: 5 });
    expect(x.body.points.map((p: Record<string, unknown>) => [p.date, p.rate, p.categoryMean, p.threshold, p.ratio, p.flagged])).toEqual([
      ['2026-10-14', 0.05, null, null, null, true],
      ['2026-10-15', 0.05, null, null, null, true],
    ]);
    const seen = await get('/api/shops/X/trend?from=2026-10-14&to=2026-10-15', reviewer);
    expect(seen.body.categoryComparable).toBe(false);
    expect(seen.body.points[1]).toMatchObject({ categoryMean: 3 / 360, threshold: 5 * (3 / 360), ratio: expect.closeTo(6, 12) });
    // Z: too small on 10-08 and 10-09 (4 other shops with orders), comparable from 10-10 (Q5's first orders).
    const z = await get('/api/shops/Z/trend?from=2026-10-08&to=2026-10-11', sellerZ);
    expect(z.body.categoryComparable).toBe(false);
    expect(z.body.points.map((p: Record<string, unknown>) => [p.date, p.categoryMean, p.threshold])).toEqual([
      ['2026-10-08', null, null],
      ['2026-10-09', null, null],
      ['2026-10-10', 3 / 1270, 5 * (3 / 1270)],
      ['2026-10-11', 3 / 1280, 5 * (3 / 1280)],
    ]);
    const zLater = await get('/api/shops/Z/trend?from=2026-10-10&to=2026-10-15', sellerZ);
    expect(zLater.body.categoryComparable).toBe(true);
  });

  it('peers: a seller of a small category gets only its own rate', async () => {
    const x = await get(`/api/shops/X/peers?date=${LAST}`, sellerX);
    expect(x.status).toBe(200);
    PeersSchema.parse(x.body);
    expect(x.body).toEqual({
      shopId: 'X',
      categoryId: 'C2',
      date: LAST,
      judgedShops: null,
      categoryMean: null,
      median: null,
      p90: null,
      buckets: [],
      shopRate: 0.05,
      percentile: null,
      categoryComparable: false,
      minPeerShops: 5,
    });
    const seen = await get(`/api/shops/X/peers?date=${LAST}`, reviewer);
    // Only X is judged (Y has no intervention): median = p90 = X's rate.
    expect(seen.body).toMatchObject({ judgedShops: 1, categoryMean: 3 / 360, median: 0.05, p90: 0.05, percentile: null, categoryComparable: false });
    expect(seen.body.buckets).toHaveLength(10);
    const z = await get(`/api/shops/Z/peers?date=${LAST}`, sellerZ);
    expect(z.body).toMatchObject({ judgedShops: 1, categoryMean: 3 / 1320, median: 0.05, categoryComparable: true });
  });

  it('forecast: a seller of a small category gets no thresholds and no headroom, but its own projection', async () => {
    const x = await get(`/api/shops/X/forecast?date=${LAST}`, sellerX);
    expect(x.status).toBe(200);
    ForecastSchema.parse(x.body);
    // As in the hand-worked governance case: K = 3 until 09-18 leaves (10-18); 7 clean days → lift 10-24.
    expect(x.body).toMatchObject({ belowThresholdOn: '2026-10-18', liftOn: '2026-10-24', headroom7d: null, categoryComparable: false, minPeerShops: 5 });
    expect(x.body.points.every((p: { threshold: number | null }) => p.threshold === null)).toBe(true);
    expect(x.body.points[0]).toMatchObject({ date: '2026-10-16', interventions: 3, rate: 0.05, flagged: true, level: 'severe' });
    const seen = await get(`/api/shops/X/forecast?date=${LAST}`, reviewer);
    // Y held at 300 orders and no interventions: ΣK = 3, ΣN = 360 → threshold 5 × 3/360.
    expect(seen.body.points[0].threshold).toBeCloseTo(5 * (3 / 360), 12);
    // V-like headroom for a shop under the threshold is shown when the category is large enough.
    const z = await get(`/api/shops/Z/forecast?date=${LAST}`, sellerZ);
    expect(z.body.categoryComparable).toBe(true);
    expect(z.body.points[0].threshold).toBeCloseTo(5 * (3 / 1320), 12);
  });

  it('breakdown and history: the gate is said, and a seller sees no category mean behind a restriction', async () => {
    const x = await get(`/api/shops/X/breakdown?date=${LAST}`, sellerX);
    BreakdownSchema.parse(x.body);
    expect(x.body).toMatchObject({ categoryComparable: false, minPeerShops: 5, countBasis: 'case_opened', casesWithoutOrder: 0 });
    expect(x.body.byReason).toEqual([{ reason: 'quality', interventions: 3, complaints: 0 }]);
    expect((await get(`/api/shops/Z/breakdown?date=${LAST}`, sellerZ)).body.categoryComparable).toBe(true);
    const h = await get('/api/shops/X/history', sellerX);
    HistorySchema.parse(h.body);
    expect(h.body.episodes[0]).toMatchObject({ level: 'restricted', start: '2026-10-06', rate: 0.05, categoryMean: null, ratio: null });
    const seen = await get('/api/shops/X/history', reviewer);
    expect(seen.body.episodes[0]).toMatchObject({ categoryMean: 3 / 360, ratio: expect.closeTo(6, 12) });
  });

  it('no answer to a seller of a small category carries any category figure', async () => {
    const paths = ['metrics', 'trend', 'peers', 'forecast', 'breakdown', 'history'].map((p) => `/api/shops/X/${p}`);
    for (const path of paths) {
      const res = await get(path, sellerX);
      expect(res.status, path).toBe(200);
      expect(
        figures(res.body).filter((v) => v !== null),
        path,
      ).toEqual([]);
      expect(JSON.stringify(res.body), path).not.toMatch(/"buckets":\[\{/);
    }
  });

  it('MIN_PEER_SHOPS=1 opens a 2-shop category to its sellers', async () => {
    process.env.MIN_PEER_SHOPS = '1';
    try {
      const open = client(createApp({ db, secret }));
      const res = await open(`/api/shops/X/metrics?date=${LAST}`, sellerX);
      expect(res.body).toMatchObject({ categoryMean: 3 / 360, ratio: expect.closeTo(6, 12), categoryComparable: true, minPeerShops: 1 });
      expect((await open(`/api/shops/X/peers?date=${LAST}`, sellerX)).body).toMatchObject({ judgedShops: 1, median: 0.05 });
    } finally {
      delete process.env.MIN_PEER_SHOPS;
    }
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────
// (b1) The forecast under mean_of_shop_rates. Policy: ratio 2, floors 30 orders / 1 intervention,
// restricted after 3 flagged days, severe after 5, lifted after 2 unflagged days. Category M, 10-15:
//   A 2 orders/day, intervention orders opened 09-18, 09-19, 09-20, 09-25: N = 60, K = 4.
//   B 10 orders/day, 1 (10-01): rate 1/300. C 10 orders/day, none: 0. D 2 orders/day, 1 (10-05): 1/60.
// Others held: their rates sum to 1/300 + 0 + 1/60 = 0.02 over 3 shops. A's own projected rate K/60
// replaces its term: mean = (0.02 + K/60) / 4, flagged when K/60 ≥ 2 × mean ⟺ K/60 ≥ 0.02 ⟺ K ≥ 2.
// A's K: 4 (10-16, 10-17), 3 (10-18), 2 (10-19), 1 (10-20 … 10-24), 0 from 10-25.
// → under the threshold from 10-20; 2 clean days → lifted 10-21.
// (A pooled mean — ΣK = 2 + K, ΣN = 720 — would flag down to K = 1: under only from 10-25, lift 10-26.)
// ────────────────────────────────────────────────────────────────────────────────────────────────
const MEAN_POLICY: Policy = {
  ...DEFAULT_POLICY,
  version: 'test-mean-of-rates',
  categoryMean: 'mean_of_shop_rates',
  flagRatio: 2,
  floors: { minOrders: 30, minInterventions: 1 },
  levels: [
    { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: 3 },
    { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: 5 },
  ],
  lift: { afterUnflaggedDays: 2 },
};

describe('(b1) the forecast under the mean of shop rates', () => {
  let db: Database;
  let get: ReturnType<typeof client>;
  let reviewer: string;

  beforeAll(async () => {
    const t = await openTempDb();
    db = t.db;
    await setPolicy(db, MEAN_POLICY);
    writeCsv(t.dir, 'categories.csv', HEADERS.categories, [['M', '家居', '']]);
    writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
      ['A', 'A店', 'M'],
      ['B', 'B店', 'M'],
      ['C', 'C店', 'M'],
      ['D', 'D店', 'M'],
    ]);
    writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('A', '2026-09-01', LAST, 2),
      ...dailyOrders('B', '2026-09-01', LAST, 10),
      ...dailyOrders('C', '2026-09-01', LAST, 10),
      ...dailyOrders('D', '2026-09-01', LAST, 2),
    ]);
    writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
      ...['2026-09-18', '2026-09-19', '2026-09-20', '2026-09-25'].map((d, i) => caseRow(`a${i}`, `A-${d}-1`, 'A', `${d}T10:00:00+08:00`)),
      caseRow('b0', 'B-2026-10-01-1', 'B', '2026-10-01T10:00:00+08:00'),
      caseRow('d0', 'D-2026-10-05-1', 'D', '2026-10-05T10:00:00+08:00'),
    ]);
    expect((await ingest(db, [t.dir])).exitCode).toBe(0);
    get = client(createApp({ db, secret }));
    reviewer = await signToken(secret, { role: 'reviewer' });
  });
  afterAll(async () => db.close());

  it('projects A with the others held at their rates and its own rate in place of its term', async () => {
    // The engine on the stat date: mean (1/15 + 1/300 + 0 + 1/60) / 4, A severe.
    const today = await get(`/api/shops/A/metrics?date=${LAST}`, reviewer);
    expect(today.body).toMatchObject({ orders: 60, interventions: 4, categoryMean: expect.closeTo(26 / 1200, 12), flagged: true, level: 'severe' });
    const res = await get(`/api/shops/A/forecast?date=${LAST}`, reviewer);
    expect(res.status).toBe(200);
    ForecastSchema.parse(res.body);
    expect(res.body).toMatchObject({ belowThresholdOn: '2026-10-20', liftOn: '2026-10-21', headroom7d: null });
    expect(
      res.body.points
        .slice(0, 7)
        .map((p: { date: string; interventions: number; flagged: boolean; level: string }) => [p.date, p.interventions, p.flagged, p.level]),
    ).toEqual([
      ['2026-10-16', 4, true, 'severe'],
      ['2026-10-17', 4, true, 'severe'],
      ['2026-10-18', 3, true, 'severe'],
      ['2026-10-19', 2, true, 'severe'],
      ['2026-10-20', 1, false, 'severe'],
      ['2026-10-21', 1, false, 'none'],
      ['2026-10-22', 1, false, 'none'],
    ]);
    // threshold = 2 × (0.02 + 4/60) / 4 on 10-16; 2 × (0.02 + 1/60) / 4 on 10-20.
    expect(res.body.points[0].threshold).toBeCloseTo((2 * (0.02 + 4 / 60)) / 4, 12);
    expect(res.body.points[4].threshold).toBeCloseTo((2 * (0.02 + 1 / 60)) / 4, 12);
  });

  it('the pure projection: headroom under the mean of shop rates', () => {
    // A shop under the threshold: N = 60 (2 a day), K = 1 (last counted 10-10), others' rates 0.02 over 3 shops,
    // ratio 2: flagged when K/60 ≥ 0.02 ⟺ K ≥ 1.2 (judged from 1). One new order (K = 2) is flagged: headroom 0.
    // Pooled with ΣK = 2 + K, ΣN = 720 would flag at K ≥ 0.4: no headroom at all (null).
    const input = {
      date: LAST,
      firstDay: '2026-09-01',
      policy: MEAN_POLICY,
      history: [{ day: LAST, flagged: false, orders: 60, interventions: 1, rate: 1 / 60, categoryMean: null, ratio: null }],
      dailyOrders: new Map(Array.from({ length: 30 }, (_, i) => [addDays('2026-09-16', i), 2] as [string, number])),
      lastCaseDays: ['2026-10-10'],
      shop: { orders: 60, interventions: 1 },
      category: { orders: 720, interventions: 3, otherRateSum: 0.02, otherShopsWithOrders: 3 },
    };
    expect(forecastShop(input).headroom7d).toBe(0);
    expect(forecastShop({ ...input, policy: { ...MEAN_POLICY, categoryMean: 'pooled' } }).headroom7d).toBeNull();
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────
// (b2) The forecast under a schedule: v2 (ratio 4, restricted after 5, severe after 8, lifted after 3
// unflagged days) takes effect on 10-18, after the last day of data (10-15). Default policy before.
//   C1: X 2 orders/day, intervention orders 09-18, 09-19, 09-20; Y 10 orders/day. X severe on 10-15;
//       K = 3 until 10-17, 2 from 10-18 (not judged): clean 10-18, 10-19, 10-20 — v2 lifts on the 3rd
//       clean day, 10-20 (the default's 7 would lift on 10-24).
//   C2: F 2 orders/day, intervention orders 10-12, 10-13, 10-14; G 10 orders/day. F flagged from 10-14
//       (K = 3, mean 1/120, ratio 6), so the run is 5 on 10-18: restricted on 10-18 under v2 (the
//       default's 7 would be 10-20), severe at 8 on 10-21 (default: 14, 10-27). Threshold 5/120, then 4/120.
// ────────────────────────────────────────────────────────────────────────────────────────────────
const V2: Policy = {
  ...DEFAULT_POLICY,
  version: 'test-v2',
  flagRatio: 4,
  levels: [
    { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: 5 },
    { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: 8 },
  ],
  lift: { afterUnflaggedDays: 3 },
};

describe('(b2) the forecast follows the policy in force on each projected day', () => {
  let db: Database;
  let get: ReturnType<typeof client>;
  let reviewer: string;

  beforeAll(async () => {
    const t = await openTempDb();
    db = t.db;
    writeCsv(t.dir, 'categories.csv', HEADERS.categories, [
      ['C1', '女装', ''],
      ['C2', '图书', ''],
    ]);
    writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
      ['X', 'X店', 'C1'],
      ['Y', 'Y店', 'C1'],
      ['F', 'F店', 'C2'],
      ['G', 'G店', 'C2'],
    ]);
    writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('X', '2026-09-01', LAST, 2),
      ...dailyOrders('Y', '2026-09-01', LAST, 10),
      ...dailyOrders('F', '2026-09-01', LAST, 2),
      ...dailyOrders('G', '2026-09-01', LAST, 10),
    ]);
    writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
      ...['2026-09-18', '2026-09-19', '2026-09-20'].map((d, i) => caseRow(`x${i}`, `X-${d}-1`, 'X', `${d}T10:00:00+08:00`)),
      ...['2026-10-12', '2026-10-13', '2026-10-14'].map((d, i) => caseRow(`f${i}`, `F-${d}-1`, 'F', `${d}T10:00:00+08:00`)),
    ]);
    expect((await ingest(db, [t.dir])).exitCode).toBe(0);
    const app = createApp({ db, secret });
    get = client(app);
    reviewer = await signToken(secret, { role: 'reviewer' });
    const admin = await signToken(secret, { role: 'admin' });
    const activated = await request(app).post('/api/policy/activate').set('Authorization', `Bearer ${admin}`).send({ policy: V2, effectiveFrom: '2026-10-18' });
    expect(activated.status, JSON.stringify(activated.body)).toBe(201);
  });
  afterAll(async () => db.close());

  it('a newer version with shorter lift days lifts earlier', async () => {
    const res = await get(`/api/shops/X/forecast?date=${LAST}`, reviewer);
    expect(res.status).toBe(200);
    ForecastSchema.parse(res.body);
    expect(res.body).toMatchObject({ belowThresholdOn: '2026-10-18', liftOn: '2026-10-20' });
    expect(res.body.points.slice(0, 6).map((p: { date: string; level: string; policyVersion: string }) => [p.date, p.level, p.policyVersion])).toEqual([
      ['2026-10-16', 'severe', DEFAULT_POLICY.version],
      ['2026-10-17', 'severe', DEFAULT_POLICY.version],
      ['2026-10-18', 'severe', 'test-v2'],
      ['2026-10-19', 'severe', 'test-v2'],
      ['2026-10-20', 'none', 'test-v2'],
      ['2026-10-21', 'none', 'test-v2'],
    ]);
  });

  it('a newer version with shorter runs restricts earlier, with its own ratio', async () => {
    const res = await get(`/api/shops/F/forecast?date=${LAST}`, reviewer);
    expect(res.body.points.slice(0, 7).map((p: { date: string; flagged: boolean; level: string }) => [p.date, p.flagged, p.level])).toEqual([
      ['2026-10-16', true, 'warning'],
      ['2026-10-17', true, 'warning'],
      ['2026-10-18', true, 'restricted'],
      ['2026-10-19', true, 'restricted'],
      ['2026-10-20', true, 'restricted'],
      ['2026-10-21', true, 'severe'],
      ['2026-10-22', true, 'severe'],
    ]);
    expect(res.body.points[0].threshold).toBeCloseTo(5 / 120, 12);
    expect(res.body.points[2].threshold).toBeCloseTo(4 / 120, 12);
  });

  it('the pure projection takes a function of the day', () => {
    const schedule = new PolicySchedule([
      { policy: DEFAULT_POLICY, from: null },
      { policy: V2, from: '2026-10-18' },
    ]);
    const input = {
      date: LAST,
      firstDay: '2026-09-01',
      policy: (day: string) => schedule.on(day),
      history: [{ day: LAST, flagged: true, orders: 60, interventions: 3, rate: 0.05, categoryMean: 1 / 120, ratio: 6 }],
      dailyOrders: new Map(Array.from({ length: 30 }, (_, i) => [addDays('2026-09-16', i), 2] as [string, number])),
      lastCaseDays: ['2026-10-12', '2026-10-13', '2026-10-14'],
      shop: { orders: 60, interventions: 3 },
      category: { orders: 360, interventions: 3 },
    };
    // One flagged day in history: the run is 1 on 10-15, so 5 on 10-19 — restricted then under v2.
    const levels = forecastShop(input)
      .points.slice(0, 5)
      .map((p) => p.level);
    expect(levels).toEqual(['warning', 'warning', 'warning', 'restricted', 'restricted']);
  });
});

// ────────────────────────────────────────────────────────────────────────────────────────────────
// (c) Cases and breakdown by the count basis. Shop P 2 orders/day 09-01 … 10-15 (at 12:00 +08:00),
// one more order P-late paid 2026-10-04T16:30Z = 10-05 00:30 in Asia/Shanghai (a Monday; in UTC the
// Sunday before). Weeks start on Monday: 09-07, 09-14, 09-21, 09-28, 10-05, 10-12. Cases:
//   k1 quality       order paid 09-27 (Sun, week 09-21), opened 10-06 (week 10-05)
//   k2 fake          order GHOST-1, not in the data, opened 10-10
//   k3 quality       order paid 10-14, opened 10-14
//   k4 damaged       order paid 09-10 (week 09-07, outside the window of 10-15), opened 09-20 (inside)
//   k5 not_received  order P-late (paid 10-05 local), opened 10-08
// order_paid, date 10-15 (window 09-16 … 10-15): counted k1 (09-27), k3 (10-14), k5 (10-05): K = 3;
// k2 listed, not counted (order missing); k4 not listed (its paid day is before the window).
// case_opened: k1 … k5 all opened in the window and all count (k2 too: the engine counts by opened day): K = 5.
// ────────────────────────────────────────────────────────────────────────────────────────────────
async function basisWorld(countBasis: Policy['countBasis']) {
  const t = await openTempDb();
  await setPolicy(t.db, { ...DEFAULT_POLICY, version: `test-${countBasis}`, countBasis });
  writeCsv(t.dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
  writeCsv(t.dir, 'shops.csv', HEADERS.shops, [['P', 'P店', 'C1']]);
  writeCsv(t.dir, 'orders.csv', HEADERS.orders, [...dailyOrders('P', '2026-09-01', LAST, 2), ['P-late', 'P', '2026-10-04T16:30:00Z', '9.90']]);
  writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('k1', 'P-2026-09-27-1', 'P', '2026-10-06T10:00:00+08:00', { reason: 'quality' }),
    caseRow('k2', 'GHOST-1', 'P', '2026-10-10T10:00:00+08:00', { reason: 'fake' }),
    caseRow('k3', 'P-2026-10-14-1', 'P', '2026-10-14T15:00:00+08:00', { reason: 'quality' }),
    caseRow('k4', 'P-2026-09-10-1', 'P', '2026-09-20T10:00:00+08:00', { reason: 'damaged' }),
    caseRow('k5', 'P-late', 'P', '2026-10-08T10:00:00+08:00', { reason: 'not_received' }),
  ]);
  expect((await ingest(t.db, [t.dir])).exitCode).toBe(0);
  const seller = await signToken(secret, { role: 'seller', shops: ['P'] });
  return { db: t.db, get: client(createApp({ db: t.db, secret })), seller };
}

describe('(c) cases and breakdown under order_paid', () => {
  let world: Awaited<ReturnType<typeof basisWorld>>;
  beforeAll(async () => {
    world = await basisWorld('order_paid');
  });
  afterAll(async () => world.db.close());

  it('cases: each on its order’s paid day, the one whose order is missing listed with why', async () => {
    const res = await world.get(`/api/shops/P/cases?date=${LAST}`, world.seller);
    expect(res.status).toBe(200);
    const pick = (c: Record<string, unknown>) => [c.caseId, c.openedDay, c.paidDay, c.countsOn, c.counted, c.orderKnown, c.notCountedBecause, c.leavesWindowOn];
    expect(res.body.cases.map(pick)).toEqual([
      ['k3', '2026-10-14', '2026-10-14', '2026-10-14', true, true, null, '2026-11-13'],
      ['k2', '2026-10-10', null, null, false, false, 'order_missing', '2026-11-09'],
      ['k5', '2026-10-08', '2026-10-05', '2026-10-05', true, true, null, '2026-11-04'],
      ['k1', '2026-10-06', '2026-09-27', '2026-09-27', true, true, null, '2026-10-27'],
    ]);
    CasesSchema.parse(res.body);
    expect(res.body.countBasis).toBe('order_paid');
    // The counted cases are the engine's K = 3.
    expect(res.body.cases.filter((c: { counted: boolean }) => c.counted)).toHaveLength(3);
    expect((await world.get(`/api/shops/P/metrics?date=${LAST}`, world.seller)).body).toMatchObject({ interventions: 3 });
  });

  it('breakdown: by reason and by week on the paid day', async () => {
    const res = await world.get(`/api/shops/P/breakdown?date=${LAST}`, world.seller);
    expect(res.status).toBe(200);
    expect(res.body.byReason).toEqual([
      { reason: 'quality', interventions: 2, complaints: 0 },
      { reason: 'not_received', interventions: 1, complaints: 0 },
    ]);
    BreakdownSchema.parse(res.body);
    expect(res.body).toMatchObject({ countBasis: 'order_paid', casesWithoutOrder: 1 });
    const week = (start: string) => res.body.byWeek.find((w: { weekStart: string }) => w.weekStart === start);
    expect(week('2026-09-07')).toEqual({ weekStart: '2026-09-07', interventions: 1, complaints: 0, orders: 14 });
    expect(week('2026-09-14')).toEqual({ weekStart: '2026-09-14', interventions: 0, complaints: 0, orders: 14 });
    expect(week('2026-09-21')).toEqual({ weekStart: '2026-09-21', interventions: 1, complaints: 0, orders: 14 });
    expect(week('2026-09-28')).toEqual({ weekStart: '2026-09-28', interventions: 0, complaints: 0, orders: 14 });
    expect(week('2026-10-05')).toEqual({ weekStart: '2026-10-05', interventions: 1, complaints: 0, orders: 15 });
    expect(week('2026-10-12')).toEqual({ weekStart: '2026-10-12', interventions: 1, complaints: 0, orders: 8 });
  });
});

describe('(c) the same cases under case_opened', () => {
  let world: Awaited<ReturnType<typeof basisWorld>>;
  beforeAll(async () => {
    world = await basisWorld('case_opened');
  });
  afterAll(async () => world.db.close());

  it('every case counts on its opened day, also the one whose order is missing (as the engine counts it)', async () => {
    expect((await world.get(`/api/shops/P/metrics?date=${LAST}`, world.seller)).body).toMatchObject({ interventions: 5 });
    const res = await world.get(`/api/shops/P/cases?date=${LAST}`, world.seller);
    const pick = (c: Record<string, unknown>) => [c.caseId, c.countsOn, c.counted, c.orderKnown, c.notCountedBecause];
    expect(res.body.cases.map(pick)).toEqual([
      ['k3', '2026-10-14', true, true, null],
      ['k2', '2026-10-10', true, false, null],
      ['k5', '2026-10-08', true, true, null],
      ['k1', '2026-10-06', true, true, null],
      ['k4', '2026-09-20', true, true, null],
    ]);
    const b = await world.get(`/api/shops/P/breakdown?date=${LAST}`, world.seller);
    expect(b.body).toMatchObject({ countBasis: 'case_opened', casesWithoutOrder: 1 });
    expect(b.body.byReason).toEqual([
      { reason: 'quality', interventions: 2, complaints: 0 },
      { reason: 'damaged', interventions: 1, complaints: 0 },
      { reason: 'fake', interventions: 1, complaints: 0 },
      { reason: 'not_received', interventions: 1, complaints: 0 },
    ]);
    const week = (start: string) => b.body.byWeek.find((w: { weekStart: string }) => w.weekStart === start);
    expect([week('2026-09-14').interventions, week('2026-09-21').interventions, week('2026-10-05').interventions, week('2026-10-12').interventions]).toEqual([
      1, 0, 3, 1,
    ]);
  });
});
