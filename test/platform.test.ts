// The platform over time (GET /api/platform), hand-worked on a small world (category C1, default policy):
// - A: 2 orders a day from 09-01, intervention orders opened 09-18, 09-19, 09-20 → flagged from 09-30
//   (K = 3 of N = 60, ratio 13.5), restricted from 10-06 (7th flagged day), severe from 10-13 (14th).
// - C: the same cases, orders only until 10-08; still flagged through 10-15 (N 46–60, K 3): the same levels.
// - B: 50 orders a day, no cases. Data through 10-15.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { buildTwoFlaggedShops } from './fixtures/two-flagged-shops.js';

const secret = new TextEncoder().encode('platform-test-secret-0123456789abcdef');
let db: Database;
let app: Express;
let reviewer: string;
let admin: string;
let seller: string;

beforeAll(async () => {
  db = await buildTwoFlaggedShops({ last: '2026-10-15', cUntil: '2026-10-08' });
  app = createApp({ db, secret });
  reviewer = await signToken(secret, { role: 'reviewer', subject: 'li@example.com' });
  admin = await signToken(secret, { role: 'admin', subject: 'wang@example.com' });
  seller = await signToken(secret, { role: 'seller', shops: ['A'], subject: 'a@example.com' });
  // A version with the same numbers from 10-10: levels unchanged, its day marked.
  await request(app)
    .post('/api/policy/activate')
    .set('Authorization', `Bearer ${admin}`)
    .send({ policy: { ...DEFAULT_POLICY, version: 'v2-same' }, effectiveFrom: '2026-10-10' })
    .expect(201);
});
afterAll(async () => db.close());

const zero = { warning: 0, restricted: 0, severe: 0 };

describe('GET /api/platform', () => {
  it('counts shops per level per day, and the entries and exits of each level', async () => {
    const res = await request(app).get('/api/platform?from=2026-09-28&to=2026-10-15').set('Authorization', `Bearer ${reviewer}`);
    expect(res.status).toBe(200);
    const days = res.body.days as { date: string; levels: typeof zero; entered: typeof zero; left: typeof zero }[];
    expect(days).toHaveLength(18);
    const on = (date: string) => days.find((d) => d.date === date)!;
    expect(on('2026-09-29')).toEqual({ date: '2026-09-29', levels: zero, entered: zero, left: zero });
    expect(on('2026-09-30')).toEqual({ date: '2026-09-30', levels: { ...zero, warning: 2 }, entered: { ...zero, warning: 2 }, left: zero });
    expect(on('2026-10-05')).toEqual({ date: '2026-10-05', levels: { ...zero, warning: 2 }, entered: zero, left: zero });
    expect(on('2026-10-06')).toEqual({
      date: '2026-10-06',
      levels: { ...zero, restricted: 2 },
      entered: { ...zero, restricted: 2 },
      left: { ...zero, warning: 2 },
    });
    expect(on('2026-10-12')).toEqual({ date: '2026-10-12', levels: { ...zero, restricted: 2 }, entered: zero, left: zero });
    expect(on('2026-10-13')).toEqual({ date: '2026-10-13', levels: { ...zero, severe: 2 }, entered: { ...zero, severe: 2 }, left: { ...zero, restricted: 2 } });
    expect(on('2026-10-15').levels).toEqual({ ...zero, severe: 2 });
    expect(res.body.policyVersions).toEqual([{ version: 'v2-same', effectiveFrom: '2026-10-10' }]);
  });

  it('names the top movers of the week: both shops up from restricted to severe, the higher ratio first', async () => {
    // 10-15 against 10-08. Ratios on 10-15 (same category mean): C 3/46 > A 3/60.
    const res = await request(app).get('/api/platform?to=2026-10-15').set('Authorization', `Bearer ${reviewer}`);
    expect(res.body.movers.weekFrom).toBe('2026-10-08');
    expect(res.body.movers.up.map((m: { shopId: string; from: string; to: string }) => [m.shopId, m.from, m.to])).toEqual([
      ['C', 'restricted', 'severe'],
      ['A', 'restricted', 'severe'],
    ]);
    expect(res.body.movers.down).toEqual([]);
    // By default 90 days back, clamped to the data's first day: 09-01 … 10-15.
    expect([res.body.from, res.body.to, res.body.days.length]).toEqual(['2026-09-01', '2026-10-15', 45]);
  });

  it('filters by category, and refuses a range outside the data or reversed, naming the parameter', async () => {
    const other = await request(app).get('/api/platform?to=2026-10-15&categoryId=C9').set('Authorization', `Bearer ${reviewer}`);
    expect(other.body.days.every((d: { levels: typeof zero }) => d.levels.warning + d.levels.restricted + d.levels.severe === 0)).toBe(true);
    const c1 = await request(app).get('/api/platform?from=2026-10-13&to=2026-10-13&categoryId=C1').set('Authorization', `Bearer ${reviewer}`);
    expect(c1.body.days[0].levels).toEqual({ ...zero, severe: 2 });
    const outside = await request(app).get('/api/platform?to=2027-01-01').set('Authorization', `Bearer ${reviewer}`);
    expect([outside.status, outside.body.message]).toEqual([400, 'to: 2027-01-01 is outside the data (2026-09-01 … 2026-10-15)']);
    const reversed = await request(app).get('/api/platform?from=2026-10-10&to=2026-10-01').set('Authorization', `Bearer ${reviewer}`);
    expect([reversed.status, reversed.body.message]).toEqual([400, 'from: 2026-10-10 is after to (2026-10-01)']);
  });

  it('is for reviewers: a seller gets 403', async () => {
    expect((await request(app).get('/api/platform').set('Authorization', `Bearer ${seller}`)).status).toBe(403);
  });
});
