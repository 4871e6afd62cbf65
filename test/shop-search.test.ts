// GET /api/shops?q=&limit= (reviewer): a shop by its id in any case or by part of its name, the exact id
// first; the text is a bound parameter matched as plain text (no LIKE pattern, no SQL).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { ShopSearchSchema } from '../server/contracts/governance.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, writeCsv } from './helpers.js';

const SECRET = new TextEncoder().encode('shop-search-secret-0123456789abcdef0123');
let db: Database;
let app: Express;
let reviewer: string;
let seller: string;

beforeAll(async () => {
  const t = await openTempDb();
  db = t.db;
  writeCsv(t.dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
  writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
    ['S00742', '优品女装店', 'C1'],
    ['S00743', '100%_Cotton Shop', 'C1'],
    ['X742', 'Ordinary store', 'C1'],
    ['s00742b', "O'Brien Boutique", 'C1'],
  ]);
  writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
    ...dailyOrders('S00742', '2026-09-01', '2026-10-08', 2),
    ...dailyOrders('S00743', '2026-09-01', '2026-10-08', 50),
    ...dailyOrders('X742', '2026-09-01', '2026-10-08', 50),
    ...dailyOrders('s00742b', '2026-09-01', '2026-10-08', 50),
  ]);
  writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('a1', 'S00742-2026-09-18-1', 'S00742', '2026-09-18T10:00:00+08:00'),
    caseRow('a2', 'S00742-2026-09-19-1', 'S00742', '2026-09-19T10:00:00+08:00'),
    caseRow('a3', 'S00742-2026-09-20-1', 'S00742', '2026-09-20T10:00:00+08:00'),
  ]);
  expect((await ingest(db, [t.dir])).exitCode).toBe(0);
  app = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6 });
  reviewer = await signToken(SECRET, { role: 'reviewer', subject: 'reviewer:li' });
  seller = await signToken(SECRET, { role: 'seller', shops: ['S00742'] });
});

afterAll(async () => {
  await db?.close();
});

const search = (q: string, token = reviewer, limit?: number) =>
  request(app)
    .get('/api/shops')
    .query({ q, ...(limit ? { limit: String(limit) } : {}) })
    .set('Authorization', `Bearer ${token}`);

describe('GET /api/shops?q=', () => {
  it('finds the id in any case, the exact id first, then id prefixes, with the level on the last day', async () => {
    const res = await search('s00742');
    expect(res.status).toBe(200);
    expect(ShopSearchSchema.parse(res.body)).toEqual(res.body);
    expect(res.body.items.map((i: { shopId: string; match: string }) => `${i.shopId}:${i.match}`)).toEqual(['S00742:id', 's00742b:id_prefix']);
    expect(res.body.items[0]).toMatchObject({ shopName: '优品女装店', categoryName: '女装', level: 'restricted' });
  });

  it('finds part of an id or a name; contains-matches come after prefixes', async () => {
    expect((await search('742')).body.items.map((i: { shopId: string }) => i.shopId)).toEqual(['S00742', 's00742b', 'X742']);
    expect((await search('女装')).body.items.map((i: { shopId: string; match: string }) => `${i.shopId}:${i.match}`)).toEqual(['S00742:contains']);
    expect((await search('ordinary')).body.items.map((i: { shopId: string; match: string }) => `${i.shopId}:${i.match}`)).toEqual(['X742:name_prefix']);
  });

  it('treats % _ and quotes as plain text', async () => {
    expect((await search('100%_')).body.items.map((i: { shopId: string }) => i.shopId)).toEqual(['S00743']);
    expect((await search('%')).body.items.map((i: { shopId: string }) => i.shopId)).toEqual(['S00743']);
    expect((await search("o'brien")).body.items.map((i: { shopId: string }) => i.shopId)).toEqual(['s00742b']);
    expect((await search("' OR 1=1 --")).body.items).toEqual([]);
  });

  it('a miss is an empty list; an empty text finds nothing; the limit is kept', async () => {
    expect((await search('nope')).body).toEqual({ q: 'nope', items: [] });
    expect((await search('  ')).body).toEqual({ q: '', items: [] });
    expect((await search('s', reviewer, 2)).body.items).toHaveLength(2);
    expect((await search('s', reviewer, 51)).status).toBe(400);
  });

  it('is for reviewers: a seller is refused, no token is 401', async () => {
    expect((await search('s00742', seller)).status).toBe(403);
    expect((await request(app).get('/api/shops?q=s')).status).toBe(401);
  });
});
