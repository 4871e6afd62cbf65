// The shared queue (GET /api/flagged's review fields and filters, GET/POST /api/shops/:shopId/review): claim,
// conflicts naming the holder, assign, release, a decision marking the entry decided, the age in the queue and
// the service time, audit entries naming the person, and a shop that leaves the queue and comes back starting
// as new. Small world (tests/fixtures/two-flagged-shops.ts, category C1, default policy, data 09-01 … 10-08):
// A and C are flagged from 09-30 (the first complete window: K = 3 of N = 60, ratio 13.5), so both entered the
// queue on 09-30 (warning), restricted from 10-06; on 10-08 each has been in the queue 8 days (10-08 − 09-30).
// B (50 orders a day, no cases) is never queued.
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { HEADERS, caseRow, dailyOrders, ingest, tempDir, writeCsv } from './helpers.js';
import { buildTwoFlaggedShops } from './fixtures/two-flagged-shops.js';

const secret = new TextEncoder().encode('shared-queue-secret-0123456789abcdef');
let db: Database;
let app: Express;
let li: string;
let wang: string;
let zhou: string;
let sellerA: string;

beforeAll(async () => {
  db = await buildTwoFlaggedShops();
  app = createApp({ db, secret });
  li = await signToken(secret, { role: 'reviewer', subject: 'li@example.com' });
  wang = await signToken(secret, { role: 'reviewer', subject: 'wang@example.com' });
  zhou = await signToken(secret, { role: 'reviewer', subject: 'zhou@example.com' });
  sellerA = await signToken(secret, { role: 'seller', shops: ['A'], subject: 'a@example.com' });
});
afterAll(async () => db.close());

const get = (path: string, token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);
const post = (path: string, token: string, body: object) => request(app).post(path).set('Authorization', `Bearer ${token}`).send(body);
type Item = { shopId: string; review: { state: string; assignee: string | null; enteredOn: string; ageDays: number; pastService: boolean } };
const shops = async (query: string, token = li) => ((await get(`/api/flagged?sort=shopId&order=asc${query}`, token)).body.items as Item[]).map((i) => i.shopId);
const lastAudit = async (action: string) => (await get(`/api/audit?action=${action}&limit=1`, li)).body.items[0];

describe('the shared queue', () => {
  it('lists each queued shop as new, with its age since it entered the queue and past the 3-day service time', async () => {
    const res = await get('/api/flagged?sort=shopId&order=asc', li);
    expect(res.status).toBe(200);
    expect(res.body.serviceDays).toBe(3);
    // DESIGN §4's fields stay as they were; the review is an addition.
    expect(res.body.items[0]).toMatchObject({ shopId: 'A', level: 'restricted', orders: 60, interventions: 3, consecutiveFlaggedDays: 9 });
    expect(res.body.items.map((i: Item) => [i.shopId, i.review])).toEqual([
      ['A', { state: 'new', assignee: null, claimedAt: null, decidedBy: null, decidedAt: null, enteredOn: '2026-09-30', ageDays: 8, pastService: true }],
      ['C', { state: 'new', assignee: null, claimedAt: null, decidedBy: null, decidedAt: null, enteredOn: '2026-09-30', ageDays: 8, pastService: true }],
    ]);
  });

  it('counts the age on the date asked for: 2 days on 10-02 (within the service time), 3 on 10-03 (past it)', async () => {
    const on = async (date: string) => ((await get(`/api/flagged?date=${date}&sort=shopId&order=asc`, li)).body.items as Item[])[0].review;
    expect(await on('2026-10-02')).toMatchObject({ enteredOn: '2026-09-30', ageDays: 2, pastService: false });
    expect(await on('2026-10-03')).toMatchObject({ enteredOn: '2026-09-30', ageDays: 3, pastService: true });
    expect(await on('2026-09-30')).toMatchObject({ enteredOn: '2026-09-30', ageDays: 0, pastService: false });
  });

  it('takes the service time from QUEUE_SERVICE_DAYS: with 10 days, 8 days in the queue is within it', async () => {
    process.env.QUEUE_SERVICE_DAYS = '10';
    try {
      const other = createApp({ db, secret });
      const res = await request(other).get('/api/flagged').set('Authorization', `Bearer ${li}`);
      expect(res.body.serviceDays).toBe(10);
      expect(res.body.items.map((i: Item) => [i.review.ageDays, i.review.pastService])).toEqual([
        [8, false],
        [8, false],
      ]);
    } finally {
      delete process.env.QUEUE_SERVICE_DAYS;
    }
  });

  it('a claim puts the shop in review, assigned to the person, and writes an audit entry naming them', async () => {
    const res = await post('/api/shops/A/review', li, { action: 'claim' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ shopId: 'A', date: '2026-10-08', level: 'restricted', review: { state: 'in_review', assignee: 'li@example.com' } });
    expect(res.body.review.claimedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await lastAudit('review.claim')).toMatchObject({
      actor: 'li@example.com',
      role: 'reviewer',
      shopId: 'A',
      details: {
        enteredOn: '2026-09-30',
        from: { state: 'new', assignee: null },
        to: { state: 'in_review', assignee: 'li@example.com' },
      },
    });
    // Another reviewer sees who has it, on the queue and on the shop.
    const queue = await get('/api/flagged?sort=shopId&order=asc', wang);
    expect(queue.body.items[0].review).toMatchObject({ state: 'in_review', assignee: 'li@example.com', claimedAt: res.body.review.claimedAt });
    expect((await get('/api/shops/A/review', wang)).body.review).toMatchObject({ state: 'in_review', assignee: 'li@example.com' });
    // Claiming it again is harmless (no second entry).
    expect((await post('/api/shops/A/review', li, { action: 'claim' })).status).toBe(200);
    expect((await get('/api/audit?action=review.claim', li)).body.total).toBe(1);
  });

  it("a second reviewer's claim is a conflict naming the holder; reassign takes it over explicitly", async () => {
    const claimedAt = (await get('/api/shops/A/review', li)).body.review.claimedAt;
    const res = await post('/api/shops/A/review', wang, { action: 'claim' });
    expect([res.status, res.body.message]).toEqual([409, `shop A is in review by li@example.com since ${claimedAt}; to take it over, claim it with reassign`]);
    // Nor can they release it.
    const release = await post('/api/shops/A/review', wang, { action: 'release' });
    expect([release.status, release.body.message]).toEqual([
      409,
      `shop A is in review by li@example.com since ${claimedAt}; only they can release it (or release it with reassign)`,
    ]);
    expect((await get('/api/shops/A/review', li)).body.review.assignee).toBe('li@example.com');
  });

  it('filters the queue by review state and assignee: mine, unassigned, in review, new, a named person', async () => {
    expect(await shops('&review=mine', li)).toEqual(['A']);
    expect(await shops('&review=mine', wang)).toEqual([]);
    expect(await shops('&review=unassigned')).toEqual(['C']);
    expect(await shops('&review=in_review')).toEqual(['A']);
    expect(await shops('&review=new')).toEqual(['C']);
    expect(await shops('&assignee=li@example.com')).toEqual(['A']);
    expect(await shops('&assignee=wang@example.com')).toEqual([]);
    // With the other filters, and on a past day (queried, not from memory).
    expect(await shops('&review=in_review&level=restricted&categoryId=C1')).toEqual(['A']);
    expect(await shops('&review=in_review&level=warning')).toEqual([]);
    expect(await shops('&review=mine&date=2026-10-07', li)).toEqual(['A']);
    const page = await get('/api/flagged?review=unassigned&limit=1&offset=0', li);
    expect([page.body.total, page.body.items.length]).toEqual([1, 1]);
    const bad = await get('/api/flagged?review=someone', li);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^review: /);
  });

  it('the holder assigns it to a named colleague; the colleague releases it; each is an audit entry naming the person', async () => {
    const assigned = await post('/api/shops/A/review', li, { action: 'assign', assignee: 'zhou@example.com' });
    expect(assigned.status).toBe(200);
    expect(assigned.body.review).toMatchObject({ state: 'in_review', assignee: 'zhou@example.com' });
    expect(await lastAudit('review.assign')).toMatchObject({
      actor: 'li@example.com',
      shopId: 'A',
      details: { from: { state: 'in_review', assignee: 'li@example.com' }, to: { state: 'in_review', assignee: 'zhou@example.com' } },
    });
    expect(await shops('&review=mine', zhou)).toEqual(['A']);
    // Someone else may not assign a shop another person has, unless they say reassign.
    const refused = await post('/api/shops/A/review', wang, { action: 'assign', assignee: 'wang@example.com' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/^shop A is in review by zhou@example.com since .*; to give it to wang@example.com, assign it with reassign$/);
    const released = await post('/api/shops/A/review', zhou, { action: 'release' });
    expect(released.body.review).toMatchObject({ state: 'new', assignee: null, claimedAt: null });
    expect(await lastAudit('review.release')).toMatchObject({
      actor: 'zhou@example.com',
      details: { from: { state: 'in_review', assignee: 'zhou@example.com' }, to: { state: 'new', assignee: null } },
    });
    // Releasing what nobody has is a conflict; an assignment needs the assignee.
    expect((await post('/api/shops/A/review', zhou, { action: 'release' })).body.message).toBe('shop A is not in review by anyone (new)');
    const noAssignee = await post('/api/shops/A/review', li, { action: 'assign' });
    expect([noAssignee.status, noAssignee.body.message]).toEqual([400, 'assignee: an assignment needs the assignee']);
    // A shop not in the queue cannot be claimed.
    const b = await post('/api/shops/B/review', li, { action: 'claim' });
    expect([b.status, b.body.message]).toEqual([409, 'shop B is not in the queue on 2026-10-08 (its level is none)']);
    expect((await get('/api/shops/B/review', li)).body).toEqual({ shopId: 'B', date: '2026-10-08', level: 'none', serviceDays: 3, review: null });
    // An explicit reassign takes over a claim.
    await post('/api/shops/A/review', li, { action: 'claim' }).expect(200);
    const taken = await post('/api/shops/A/review', wang, { action: 'claim', reassign: true });
    expect(taken.body.review.assignee).toBe('wang@example.com');
    expect((await lastAudit('review.claim')).details.from).toEqual({ state: 'in_review', assignee: 'li@example.com' });
  });

  it('a seller gets 403 on the review actions and the review state', async () => {
    const res = await post('/api/shops/A/review', sellerA, { action: 'claim' });
    expect([res.status, res.body.error]).toEqual([403, 'forbidden']);
    expect((await get('/api/shops/A/review', sellerA)).status).toBe(403);
    expect((await get('/api/flagged', sellerA)).status).toBe(403);
  });

  it('a decision marks the entry decided (by whom, when), no longer past the service time; bulk decisions too', async () => {
    const decided = await post('/api/shops/A/decisions', li, { action: 'confirm', reason: 'checked the orders' });
    expect(decided.status).toBe(201);
    const review = (await get('/api/shops/A/review', li)).body.review;
    // wang had it in review; li decided: the assignee stays (who worked it), the decider is named.
    expect(review).toMatchObject({ state: 'decided', assignee: 'wang@example.com', decidedBy: 'li@example.com', ageDays: 8, pastService: false });
    expect(review.decidedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await post('/api/decisions/bulk', zhou, { shopIds: ['C'], action: 'note', reason: 'looked at it' }).expect(201);
    expect((await get('/api/shops/C/review', li)).body.review).toMatchObject({ state: 'decided', assignee: 'zhou@example.com', decidedBy: 'zhou@example.com' });
    expect(await shops('&review=decided')).toEqual(['A', 'C']);
    expect(await shops('&review=unassigned')).toEqual([]);
    // The assignee stays on a decided entry: the assignee filter finds what each person worked on.
    expect(await shops('&assignee=zhou@example.com')).toEqual(['C']);
    expect(await shops('&assignee=wang@example.com&review=decided')).toEqual(['A']);
  });

  it('a shop that leaves the queue and comes back starts again as new; a later restriction episode reopens a decided entry', async () => {
    // A lifted early on 10-08 (decided). Then, with 2 orders a day to 10-31: still flagged 10-08 … 10-17 (its
    // cases of 09-18 … 09-20 in the window), so 7 flagged days after the lift make it restricted again on 10-15 (a
    // new episode); unflagged from 10-18 (K < 3), the 7th unflagged day (10-24) lifts it: level none, out of the
    // queue. New intervention orders opened 10-29, 10-30, 10-31 make K = 3 of N = 60 on 10-31, the category's
    // mean 3 / 1620 (C's and B's cases: none left), ratio 13.5: flagged, warning — back in the queue on 10-31.
    await post('/api/shops/A/decisions', li, { action: 'lift_early', reason: 'appeal by phone' }).expect(201);
    expect((await get('/api/shops/A/review', li)).body.review).toMatchObject({ state: 'decided', decidedBy: 'li@example.com', enteredOn: '2026-09-30' });
    const d = tempDir();
    writeCsv(d, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('A', '2026-10-09', '2026-10-31', 2),
      ...dailyOrders('B', '2026-10-09', '2026-10-31', 50),
      ...dailyOrders('C', '2026-10-09', '2026-10-31', 2),
    ]);
    writeCsv(
      d,
      'interventions.csv',
      HEADERS.interventions,
      [29, 30, 31].map((day) => caseRow(`A${day}`, `A-2026-10-${day}-1`, 'A', `2026-10-${day}T10:00:00+08:00`)),
    );
    expect((await ingest(db, [d])).exitCode).toBe(0);
    const on = async (date: string) => ((await get(`/api/flagged?date=${date}&sort=shopId&order=asc`, li)).body.items as Item[]).find((i) => i.shopId === 'A');
    // 10-14: warning since the lift, the same entry (09-30), still decided.
    expect((await on('2026-10-14'))!.review).toMatchObject({ state: 'decided', enteredOn: '2026-09-30', ageDays: 14 });
    // 10-15: restricted again, an episode the decision did not see: new again, past the service time.
    expect((await on('2026-10-15'))!.review).toMatchObject({ state: 'new', assignee: null, enteredOn: '2026-09-30', ageDays: 15, pastService: true });
    // 10-24: out of the queue.
    expect(await on('2026-10-24')).toBeUndefined();
    // 10-31 (the last day): back in the queue, a new entry, new.
    const latest = await get('/api/flagged?sort=shopId&order=asc', li);
    expect(latest.body.items.map((i: Item) => [i.shopId, i.review.state, i.review.enteredOn, i.review.ageDays, i.review.pastService])).toEqual([
      ['A', 'new', '2026-10-31', 0, false],
    ]);
    const claimed = await post('/api/shops/A/review', wang, { action: 'claim' });
    expect(claimed.body.review).toMatchObject({ state: 'in_review', assignee: 'wang@example.com', enteredOn: '2026-10-31' });
  });
});
