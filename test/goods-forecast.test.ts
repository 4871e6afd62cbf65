// The goods what-if's forecast: had a goods' intervention orders not happened, when would the shop fall
// under the threshold and its restrictions lift? Hand-worked (category C1, default policy):
// - A: 2 orders a day 09-01 … 10-15; the intervention orders A-09-18-1, A-09-19-1, A-09-20-1 are all of
//   goods G1 (A's other orders are G2). Flagged from 09-30 (ratio 26), restricted 10-06, severe 10-13.
// - B: 50 orders a day, no cases, no goods.
// As is (10-15): the 09-18 case leaves the window on 10-18 (K = 2 < 3: not judged) → under the threshold on
// 10-18, lifted on the 7th unflagged day, 10-24. Without G1: K = 0 from the next day → under on 10-16,
// lifted on 10-22.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { HEADERS, caseRow, daysBetween, ingest, openTempDb, writeCsv, writeCatalogue } from './helpers.js';

const secret = new TextEncoder().encode('goods-forecast-secret-0123456789abcdef');
let db: Database;
let app: Express;
let seller: string;

beforeAll(async () => {
  const t = await openTempDb();
  db = t.db;
  writeCatalogue(
    t.dir,
    ['A', 'B'],
    [
      ['G1', 'A', '蚕丝被'],
      ['G2', 'A', '枕头'],
    ],
  );
  const days = daysBetween('2026-09-01', '2026-10-15');
  const bad = ['2026-09-18', '2026-09-19', '2026-09-20'];
  writeCsv(
    t.dir,
    'orders.csv',
    [...HEADERS.orders, 'goods_id'],
    [
      ...days.flatMap((d) => [1, 2].map((i) => [`A-${d}-${i}`, 'A', `${d}T12:00:00+08:00`, '19.90', i === 1 && bad.includes(d) ? 'G1' : 'G2'])),
      ...days.flatMap((d) => Array.from({ length: 50 }, (_, i) => [`B-${d}-${i + 1}`, 'B', `${d}T12:00:00+08:00`, '9.90', ''])),
    ],
  );
  writeCsv(
    t.dir,
    'interventions.csv',
    HEADERS.interventions,
    bad.map((d, i) => caseRow(`k${i}`, `A-${d}-1`, 'A', `${d}T10:00:00+08:00`)),
  );
  expect((await ingest(db, [t.dir])).exitCode).toBe(0);
  app = createApp({ db, secret });
  seller = await signToken(secret, { role: 'seller', shops: ['A'], subject: 'a@example.com' });
});
afterAll(async () => db.close());

describe('goods what-if forecast', () => {
  it('says when the shop would be under the threshold and lifted without the goods, beside the forecast as is', async () => {
    const forecast = await request(app).get('/api/shops/A/forecast').set('Authorization', `Bearer ${seller}`);
    expect([forecast.body.belowThresholdOn, forecast.body.liftOn]).toEqual(['2026-10-18', '2026-10-24']);
    const goods = await request(app).get('/api/shops/A/goods').set('Authorization', `Bearer ${seller}`);
    expect(goods.status).toBe(200);
    const g1 = goods.body.items.find((i: { goodsId: string }) => i.goodsId === 'G1');
    expect(g1).toMatchObject({ goodsId: 'G1', goodsName: '蚕丝被', interventions: 3, share: 1 });
    expect(g1.withoutIt).toMatchObject({ flagged: false, belowThresholdOn: '2026-10-16', liftOn: '2026-10-22' });
    // G2 has no intervention order: nothing to take away, no forecast of its own.
    const g2 = goods.body.items.find((i: { goodsId: string }) => i.goodsId === 'G2');
    expect(g2.interventions).toBe(0);
    expect(g2.withoutIt.liftOn).toBeUndefined();
  });
});
