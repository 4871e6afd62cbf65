// GET /api/queue?sort=age: the shared queue by the days since each shop entered it (desc: the longest waiting
// first), on the latest day (from memory) and on a past day (queried), with the review filters and paging.
// Hand-worked world (category C1, default policy, data 09-01 … 10-08; 2 orders a day each, B 50 a day and no
// cases). Each flagged shop has K = 3 of N = 60 (rate 0.05) against a pooled mean of at most 9 / 1680, so a ratio
// of at least 9.3: flagged from the day its third case is in a complete window (from 09-30).
// - A: cases opened 09-18, 09-19, 09-20 → in the queue from 09-30; restricted from 10-06 (7th flagged day).
// - D: cases 10-01, 10-02, 10-03 → in the queue from 10-03 (warning).
// - C: cases 10-04, 10-05, 10-06 → in the queue from 10-06 (warning).
// On 10-08: ages A 8, D 5, C 2. The default order (level, then ratio, then shop id) is A, C, D; by age A, D, C.
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, writeCsv, writeCatalogue } from './helpers.js';

const secret = new TextEncoder().encode('queue-sort-secret-0123456789abcdef');
let db: Database;
let app: Express;
let li: string;

beforeAll(async () => {
  const t = await openTempDb();
  db = t.db;
  writeCatalogue(t.dir, ['A', 'B', 'C', 'D']);
  writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
    ...dailyOrders('A', '2026-09-01', '2026-10-08', 2),
    ...dailyOrders('B', '2026-09-01', '2026-10-08', 50),
    ...dailyOrders('C', '2026-09-01', '2026-10-08', 2),
    ...dailyOrders('D', '2026-09-01', '2026-10-08', 2),
  ]);
  const cases = (shop: string, days: string[]) => days.map((d) => caseRow(`${shop}${d}`, `${shop}-${d}-1`, shop, `${d}T10:00:00+08:00`));
  writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
    ...cases('A', ['2026-09-18', '2026-09-19', '2026-09-20']),
    ...cases('D', ['2026-10-01', '2026-10-02', '2026-10-03']),
    ...cases('C', ['2026-10-04', '2026-10-05', '2026-10-06']),
  ]);
  expect((await ingest(db, [t.dir])).exitCode).toBe(0);
  app = createApp({ db, secret });
  li = await signToken(secret, { role: 'reviewer', subject: 'li@example.com' });
});
afterAll(async () => db.close());

type Item = { shopId: string; level: string; review: { state: string; enteredOn: string; ageDays: number } };
const queue = async (query: string) => {
  const res = await request(app).get(`/api/queue?${query}`).set('Authorization', `Bearer ${li}`);
  expect(res.status).toBe(200);
  return { total: res.body.total as number, rows: (res.body.items as Item[]).map((i) => [i.shopId, i.level, i.review.enteredOn, i.review.ageDays]) };
};

describe('GET /api/queue?sort=age', () => {
  it('on the latest day: the longest waiting first (desc, the default order), the newest first with order=asc', async () => {
    expect((await queue('')).rows.map((r) => r[0])).toEqual(['A', 'C', 'D']);
    expect((await queue('sort=age')).rows).toEqual([
      ['A', 'restricted', '2026-09-30', 8],
      ['D', 'warning', '2026-10-03', 5],
      ['C', 'warning', '2026-10-06', 2],
    ]);
    expect((await queue('sort=age&order=asc')).rows.map((r) => r[0])).toEqual(['C', 'D', 'A']);
    // Paged after sorting: the total is the whole queue's.
    expect(await queue('sort=age&limit=1&offset=1')).toEqual({ total: 3, rows: [['D', 'warning', '2026-10-03', 5]] });
    // With the other filters.
    expect((await queue('sort=age&order=asc&level=warning')).rows.map((r) => r[0])).toEqual(['C', 'D']);
  });

  it('on a past day (queried, not from memory): 10-07 gives A 7, D 4, C 1 days', async () => {
    expect((await queue('date=2026-10-07&sort=age')).rows).toEqual([
      ['A', 'restricted', '2026-09-30', 7],
      ['D', 'warning', '2026-10-03', 4],
      ['C', 'warning', '2026-10-06', 1],
    ]);
    expect(await queue('date=2026-10-07&sort=age&order=asc&limit=2')).toEqual({
      total: 3,
      rows: [
        ['C', 'warning', '2026-10-06', 1],
        ['D', 'warning', '2026-10-03', 4],
      ],
    });
  });

  it('with a review filter: the shops Li has in review, by age; the CSV export in the same order', async () => {
    for (const shop of ['C', 'A'])
      await request(app).post(`/api/shops/${shop}/review`).set('Authorization', `Bearer ${li}`).send({ action: 'claim' }).expect(200);
    expect((await queue('review=mine&sort=age')).rows.map((r) => r[0])).toEqual(['A', 'C']);
    expect((await queue('review=new&sort=age')).rows.map((r) => r[0])).toEqual(['D']);
    expect((await queue('date=2026-10-07&review=mine&sort=age&order=asc')).rows.map((r) => r[0])).toEqual(['C', 'A']);
    const csv = await request(app).get('/api/queue?format=csv&sort=age').set('Authorization', `Bearer ${li}`);
    expect(
      csv.text
        .replace(/^\ufeff/, '')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => `${l.split(',')[0]} ${l.split(',').slice(-5).join(',')}`),
    ).toEqual(['A in_review,li@example.com,2026-09-30,8,1', 'D new,,2026-10-03,5,1', 'C in_review,li@example.com,2026-10-06,2,']);
  });

  it('refuses a sort key outside the whitelist, naming the parameter and the keys', async () => {
    const res = await request(app).get('/api/queue?sort=enteredOn').set('Authorization', `Bearer ${li}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^sort: /);
    expect(res.body.message).toContain('"age"');
    // GET /api/flagged keeps DESIGN §4's keys: the age is the shared queue's.
    const flagged = await request(app).get('/api/flagged?sort=age').set('Authorization', `Bearer ${li}`);
    expect([flagged.status, flagged.body.message]).toEqual([400, expect.stringMatching(/^sort: /)]);
  });
});
