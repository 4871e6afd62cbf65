// The DESIGN §4 interfaces through HTTP (supertest) on a real DuckDB file.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { ShopMetricsSchema, FlaggedListSchema } from '../server/contracts/metrics.js';
import type { Database } from '../server/db/database.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, writeCsv } from './helpers.js';

const secret = new TextEncoder().encode('test-secret-0123456789abcdef0123456789');
let db: Database;
let app: Express;
let reviewer: string;
let sellerT: string;

beforeAll(async () => {
  const t = await openTempDb();
  db = t.db;
  // C3: T 2 orders/day with intervention orders opened 09-18, 09-19, 09-20; U 10 orders/day. Data 09-01 … 10-31.
  // C1: V 1 order/day, never flagged.
  writeCsv(t.dir, 'categories.csv', HEADERS.categories, [
    ['C1', '女装', ''],
    ['C3', '生鲜', ''],
  ]);
  writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
    ['T', 'T店', 'C3'],
    ['U', 'U店', 'C3'],
    ['V', 'V店', 'C1'],
  ]);
  writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
    ...dailyOrders('T', '2026-09-01', '2026-10-31', 2),
    ...dailyOrders('U', '2026-09-01', '2026-10-31', 10),
    ...dailyOrders('V', '2026-09-01', '2026-10-31', 1),
  ]);
  writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('t1', 'T-2026-09-18-1', 'T', '2026-09-18T10:00:00+08:00'),
    caseRow('t2', 'T-2026-09-19-1', 'T', '2026-09-19T10:00:00+08:00'),
    caseRow('t3', 'T-2026-09-20-1', 'T', '2026-09-20T10:00:00+08:00'),
    caseRow('t4', 'T-2026-09-20-2', 'T', '2026-09-21T10:00:00+08:00', { kind: 'complaint' }),
  ]);
  expect((await ingest(db, [t.dir])).exitCode).toBe(0);
  app = createApp({ db, secret });
  reviewer = await signToken(secret, { role: 'reviewer' });
  sellerT = await signToken(secret, { role: 'seller', shops: ['T'] });
});
afterAll(async () => db.close());

const get = (path: string, token?: string) => {
  const r = request(app).get(path);
  return token ? r.set('Authorization', `Bearer ${token}`) : r;
};

describe('GET /api/health', () => {
  it('answers with the last day with data, without a token', async () => {
    const res = await get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', dataFrom: '2026-09-01', dataThrough: '2026-10-31' });
  });
});

describe('GET /api/shops/:shopId/metrics', () => {
  it('returns every field of DESIGN §4 with hand-worked values', async () => {
    // 10-13: T N = 60, K = 3, complaints 1 (t4, 09-21); U N = 300 → mean 3/360, ratio 6;
    // flagged since 09-30 → 14 days in a row → severe; restricted since 10-06, severe since 10-13.
    const res = await get('/api/shops/T/metrics?date=2026-10-13', reviewer);
    expect(res.status).toBe(200);
    expect(ShopMetricsSchema.parse(res.body)).toEqual(res.body);
    expect(res.body).toEqual({
      shopId: 'T',
      shopName: 'T店',
      categoryId: 'C3',
      date: '2026-10-13',
      window: { from: '2026-09-14', to: '2026-10-13' },
      orders: 60,
      interventions: 3,
      complaints: 1,
      rate: 0.05,
      categoryMean: 3 / 360,
      ratio: expect.closeTo(6, 12),
      judged: true,
      flagged: true,
      level: 'severe',
      consecutiveFlaggedDays: 14,
      restrictions: [
        { code: 'remove_resource_slots', since: '2026-10-06', policyVersion: DEFAULT_POLICY.version },
        { code: 'ban_resource_slots', since: '2026-10-06', policyVersion: DEFAULT_POLICY.version },
        { code: 'remove_ads', since: '2026-10-13', policyVersion: DEFAULT_POLICY.version },
        { code: 'ban_new_listings', since: '2026-10-13', policyVersion: DEFAULT_POLICY.version },
      ],
      policyVersion: DEFAULT_POLICY.version,
    });
  });

  it('defaults the date to the last day with data', async () => {
    // 10-31: t1–t3 have left (last counted 10-17 … 10-19): K = 0; lifted on 10-24.
    const res = await get('/api/shops/T/metrics', sellerT);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      date: '2026-10-31',
      interventions: 0,
      rate: 0,
      level: 'none',
      restrictions: [],
      consecutiveFlaggedDays: 0,
      judged: false,
    });
  });

  it('says null where a number is undefined', async () => {
    // V is alone in C1 with no interventions: mean 0 → ratio null.
    const res = await get('/api/shops/V/metrics?date=2026-10-31', reviewer);
    expect(res.body).toMatchObject({ orders: 30, interventions: 0, rate: 0, categoryMean: 0, ratio: null });
  });

  it('401 without a token or with a bad one', async () => {
    expect((await get('/api/shops/T/metrics')).status).toBe(401);
    const bad = await get('/api/shops/T/metrics', 'not-a-jwt');
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: 'unauthorized', message: 'the token is not valid' });
    const other = await signToken(new TextEncoder().encode('another-secret-another-secret-1234'), { role: 'reviewer' });
    expect((await get('/api/shops/T/metrics', other)).status).toBe(401);
  });

  it("403 for a seller reading another shop, existing or not, and for the reviewer's list", async () => {
    for (const path of ['/api/shops/U/metrics', '/api/shops/NOPE/metrics', '/api/flagged']) {
      const res = await get(path, sellerT);
      expect(res.status, path).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
  });

  it('400 naming the parameter for bad input', async () => {
    const cases: [string, RegExp][] = [
      ['/api/shops/T/metrics?date=2026-13-01', /^date: is not a calendar date/],
      ['/api/shops/T/metrics?date=yesterday', /^date: must be a date as YYYY-MM-DD/],
      ['/api/shops/T/metrics?date=2026-08-31', /^date: 2026-08-31 is outside the data \(2026-09-01 … 2026-10-31\)/],
      ['/api/shops/T/metrics?day=2026-10-01', /unknown query parameter\(s\): day/],
      ['/api/flagged?limit=0', /^limit:/],
      ['/api/flagged?sort=amount', /^sort:/],
      ['/api/flagged?level=bad', /^level:/],
      ['/api/flagged?offset=-1', /^offset:/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path, reviewer);
      expect(res.status, path).toBe(400);
      expect(res.body.message, path).toMatch(message);
    }
  });

  it('404 for an unknown shop (reviewer) and an unknown route', async () => {
    const res = await get('/api/shops/NOPE/metrics', reviewer);
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('shop NOPE is not known');
    expect((await get('/api/nothing', reviewer)).status).toBe(404);
  });
});

describe('GET /api/flagged', () => {
  it('lists the shops whose level is not none, with the same shape', async () => {
    const res = await get('/api/flagged?date=2026-10-13', reviewer);
    expect(res.status).toBe(200);
    FlaggedListSchema.parse(res.body);
    expect(res.body.total).toBe(1);
    expect(res.body.items.map((i: { shopId: string; level: string }) => [i.shopId, i.level])).toEqual([['T', 'severe']]);
    // On 10-23 T is still severe (6 clean days), on 10-24 lifted.
    expect((await get('/api/flagged?date=2026-10-23', reviewer)).body.total).toBe(1);
    expect((await get('/api/flagged?date=2026-10-24', reviewer)).body).toEqual({ total: 0, items: [] });
  });

  it('filters by category and level', async () => {
    expect((await get('/api/flagged?date=2026-10-13&categoryId=C1', reviewer)).body.total).toBe(0);
    expect((await get('/api/flagged?date=2026-10-13&categoryId=C3&level=severe', reviewer)).body.total).toBe(1);
    expect((await get('/api/flagged?date=2026-10-13&level=warning', reviewer)).body.total).toBe(0);
    expect((await get('/api/flagged?date=2026-10-05&level=warning', reviewer)).body.total).toBe(1);
  });

  it('exports CSV', async () => {
    const res = await get('/api/flagged?date=2026-10-13&format=csv', reviewer);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toBe(
      'shop_id,shop_name,category_id,date,window_from,orders,interventions,complaints,rate,category_mean,ratio,judged,flagged,level,consecutive_flagged_days,restrictions,policy_version',
    );
    expect(lines[1]).toMatch(/^T,T店,C3,2026-10-13,2026-09-14,60,3,1,0.05,/);
  });
});
