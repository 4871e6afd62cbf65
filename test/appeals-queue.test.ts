// Appeals as a queue (GET /api/appeals): oldest or newest first, a category filter, each appeal's age,
// and the shop's numbers inline for reviewers (never for sellers). Hand-worked on a small world
// (category C1, default policy, data 09-01 … 10-08): A and C have 2 orders a day and intervention orders
// opened 09-18, 09-19, 09-20, so on 10-08 each has N = 60, K = 3, rate 0.05, pooled mean 6 / 1620,
// ratio 13.5, flagged 9 days in a row (09-30 …), restricted since 10-06. B: 50 orders a day, no cases.
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { buildTwoFlaggedShops } from './fixtures/two-flagged-shops.js';

const secret = new TextEncoder().encode('appeals-queue-secret-0123456789abcdef');
let db: Database;
let app: Express;
let reviewer: string;
let sellerA: string;
let sellerC: string;

beforeAll(async () => {
  db = await buildTwoFlaggedShops();
  app = createApp({ db, secret });
  reviewer = await signToken(secret, { role: 'reviewer', subject: 'li@example.com' });
  sellerA = await signToken(secret, { role: 'seller', shops: ['A'], subject: 'a@example.com' });
  sellerC = await signToken(secret, { role: 'seller', shops: ['C'], subject: 'c@example.com' });
  await request(app).post('/api/shops/A/appeals').set('Authorization', `Bearer ${sellerA}`).send({ text: '物流延误，快递公司已确认责任在其' }).expect(201);
  await request(app).post('/api/shops/C/appeals').set('Authorization', `Bearer ${sellerC}`).send({ text: 'a courier strike delayed every parcel' }).expect(201);
  // A's appeal was filed three days ago.
  await db.write((conn) => conn.run("UPDATE appeals SET created_at = now() - INTERVAL 3 DAY WHERE shop_id = 'A'"));
});
afterAll(async () => db.close());

const numbers = { shopName: 'A店', categoryId: 'C1', level: 'restricted', orders: 60, interventions: 3, rate: 0.05, consecutiveFlaggedDays: 9 };

describe('appeals as a queue', () => {
  it('lists the pending appeals oldest first, each with its age and the shop numbers (reviewer)', async () => {
    const res = await request(app).get('/api/appeals?state=pending&order=oldest').set('Authorization', `Bearer ${reviewer}`);
    expect(res.status).toBe(200);
    const items = res.body.items as { shopId: string; ageDays: number; episodeStart: string; level: string; shop: typeof numbers & { ratio: number } }[];
    expect(items.map((a) => [a.shopId, a.ageDays, a.episodeStart, a.level])).toEqual([
      ['A', 3, '2026-10-06', 'restricted'],
      ['C', 0, '2026-10-06', 'restricted'],
    ]);
    expect(items[0].shop).toMatchObject(numbers);
    expect(items[0].shop.ratio).toBeCloseTo(13.5, 10);
    const newest = await request(app).get('/api/appeals').set('Authorization', `Bearer ${reviewer}`);
    expect(newest.body.items.map((a: { shopId: string }) => a.shopId)).toEqual(['C', 'A']);
  });

  it('filters by category', async () => {
    const none = await request(app).get('/api/appeals?categoryId=C9').set('Authorization', `Bearer ${reviewer}`);
    expect(none.body.items).toEqual([]);
    const c1 = await request(app).get('/api/appeals?categoryId=C1').set('Authorization', `Bearer ${reviewer}`);
    expect(c1.body.items).toHaveLength(2);
  });

  it('gives a seller their own appeals, with their age but without the inline numbers', async () => {
    const res = await request(app).get('/api/appeals').set('Authorization', `Bearer ${sellerA}`);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({ shopId: 'A', ageDays: 3 });
    expect(res.body.items[0]).not.toHaveProperty('shop');
  });
});
