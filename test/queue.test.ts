// The shared queue (GET /api/queue: GET /api/flagged's items with each one's review, the review filters; GET/POST
// /api/shops/:shopId/review): claim, conflicts naming the holder, assign, release, a decision marking the entry
// decided (a note does not), a decision or an appeal answer on a shop someone else has in review refused unless
// it takes it over, reopening a decided entry only on purpose, the age in the queue and the service time, audit
// entries naming the person, review state surviving a correction that moves the entry's first day, and a shop
// that leaves the queue and comes back starting as new. GET /api/flagged stays exactly DESIGN §4's shape.
// Small world (tests/fixtures/two-flagged-shops.ts, category C1, default policy, data 09-01 … 10-08): A and C are flagged from 09-30 (the first complete window: K = 3 of N = 60, ratio 13.5), so both entered the
// queue on 09-30 (warning), restricted from 10-06; on 10-08 each has been in the queue 8 days (10-08 − 09-30).
// B (50 orders a day, no cases) is never queued.
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { queryRows, type Database } from '../server/db/database.js';
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
type Item = { shopId: string; level?: string; review: { state: string; assignee: string | null; enteredOn: string; ageDays: number; pastService: boolean } };
const shops = async (query: string, token = li) => ((await get(`/api/queue?sort=shopId&order=asc${query}`, token)).body.items as Item[]).map((i) => i.shopId);
const lastAudit = async (action: string) => (await get(`/api/audit?action=${action}&limit=1`, li)).body.items[0];

describe('the shared queue', () => {
  it('lists each queued shop as new, with its age since it entered the queue and past the 3-day service time', async () => {
    const res = await get('/api/queue?sort=shopId&order=asc', li);
    expect(res.status).toBe(200);
    expect(res.body.serviceDays).toBe(3);
    // DESIGN §4's fields stay as they were; the review is an addition.
    expect(res.body.items[0]).toMatchObject({ shopId: 'A', level: 'restricted', orders: 60, interventions: 3, consecutiveFlaggedDays: 9 });
    expect(res.body.items.map((i: Item) => [i.shopId, i.review])).toEqual([
      ['A', { state: 'new', assignee: null, claimedAt: null, decidedBy: null, decidedAt: null, enteredOn: '2026-09-30', ageDays: 8, pastService: true }],
      ['C', { state: 'new', assignee: null, claimedAt: null, decidedBy: null, decidedAt: null, enteredOn: '2026-09-30', ageDays: 8, pastService: true }],
    ]);
  });

  it('leaves GET /api/flagged exactly as DESIGN §4 has it: {total, items} of the metrics, no review, no serviceDays; CSV too', async () => {
    await post('/api/shops/C/review', wang, { action: 'claim' }).expect(200);
    try {
      const flagged = await get('/api/flagged?sort=shopId&order=asc', li);
      expect(Object.keys(flagged.body).sort()).toEqual(['items', 'total']);
      expect(flagged.body.items.map((i: object) => 'review' in i)).toEqual([false, false]);
      // The same items as the queue's, without the review.
      const queue = await get('/api/queue?sort=shopId&order=asc', li);
      expect(flagged.body.items).toEqual(queue.body.items.map(({ review: _review, ...m }: Item) => m));
      // Not a queue: the review filters and the sort by age are not its parameters.
      expect((await get('/api/flagged?review=mine', li)).status).toBe(400);
      expect((await get('/api/flagged?sort=age', li)).status).toBe(400);
      const header = (text: string) => text.replace(/^\ufeff/, '').split('\n')[0];
      const metrics =
        'shop_id,shop_name,category_id,date,window_from,orders,interventions,complaints,rate,category_mean,ratio,judged,flagged,level,consecutive_flagged_days,restrictions,policy_version';
      expect(header((await get('/api/flagged?format=csv', li)).text)).toBe(metrics);
      const csv = await get('/api/queue?format=csv&sort=shopId&order=asc', li);
      expect(header(csv.text)).toBe(`${metrics},review_state,assignee,entered_on,age_days,past_service`);
      expect(
        csv.text
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',').slice(-5).join(',')),
      ).toEqual(['new,,2026-09-30,8,1', 'in_review,wang@example.com,2026-09-30,8,1']);
    } finally {
      await post('/api/shops/C/review', wang, { action: 'release' }).expect(200);
    }
  });

  it('counts the age on the date asked for: 2 days on 10-02 (within the service time), 3 on 10-03 (past it)', async () => {
    const on = async (date: string) => ((await get(`/api/queue?date=${date}&sort=shopId&order=asc`, li)).body.items as Item[])[0].review;
    expect(await on('2026-10-02')).toMatchObject({ enteredOn: '2026-09-30', ageDays: 2, pastService: false });
    expect(await on('2026-10-03')).toMatchObject({ enteredOn: '2026-09-30', ageDays: 3, pastService: true });
    expect(await on('2026-09-30')).toMatchObject({ enteredOn: '2026-09-30', ageDays: 0, pastService: false });
  });

  it('takes the service time from QUEUE_SERVICE_DAYS: with 10 days, 8 days in the queue is within it', async () => {
    process.env.QUEUE_SERVICE_DAYS = '10';
    try {
      const other = createApp({ db, secret });
      const res = await request(other).get('/api/queue').set('Authorization', `Bearer ${li}`);
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
    const queue = await get('/api/queue?sort=shopId&order=asc', wang);
    expect(queue.body.items[0].review).toMatchObject({ state: 'in_review', assignee: 'li@example.com', claimedAt: res.body.review.claimedAt });
    expect((await get('/api/shops/A/review', wang)).body.review).toMatchObject({ state: 'in_review', assignee: 'li@example.com' });
    // Claiming it again is harmless (no second entry).
    expect((await post('/api/shops/A/review', li, { action: 'claim' })).status).toBe(200);
    expect((await get('/api/audit?action=review.claim&shopId=A', li)).body.total).toBe(1);
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
    const page = await get('/api/queue?review=unassigned&limit=1&offset=0', li);
    expect([page.body.total, page.body.items.length]).toEqual([1, 1]);
    const bad = await get('/api/queue?review=someone', li);
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
    expect((await get('/api/queue', sellerA)).status).toBe(403);
  });

  it('a decision marks the entry decided (by whom, when), no longer past the service time; a note does not', async () => {
    // A is in review by wang (taken over above), C is new. A note is not a decision: anyone may add one, nothing moves.
    await post('/api/shops/A/decisions', li, { action: 'note', reason: 'asked the seller for the orders' }).expect(201);
    await post('/api/decisions/bulk', zhou, { shopIds: ['C'], action: 'note', reason: 'looked at it' }).expect(201);
    expect((await get('/api/shops/A/review', li)).body.review).toMatchObject({ state: 'in_review', assignee: 'wang@example.com', decidedBy: null });
    expect((await get('/api/shops/C/review', li)).body.review).toMatchObject({ state: 'new', assignee: null, decidedBy: null, pastService: true });
    // The holder decides: decided by them, still theirs, no longer past the service time.
    expect((await post('/api/shops/A/decisions', wang, { action: 'confirm', reason: 'checked the orders' })).status).toBe(201);
    const review = (await get('/api/shops/A/review', li)).body.review;
    expect(review).toMatchObject({ state: 'decided', assignee: 'wang@example.com', decidedBy: 'wang@example.com', ageDays: 8, pastService: false });
    expect(review.decidedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Nobody's: the decider's (bulk decisions too).
    await post('/api/decisions/bulk', zhou, { shopIds: ['C'], action: 'confirm', reason: 'checked the orders' }).expect(201);
    expect((await get('/api/shops/C/review', li)).body.review).toMatchObject({ state: 'decided', assignee: 'zhou@example.com', decidedBy: 'zhou@example.com' });
    expect(await shops('&review=decided')).toEqual(['A', 'C']);
    expect(await shops('&review=unassigned')).toEqual([]);
    // The assignee stays on a decided entry: the assignee filter finds what each person worked on.
    expect(await shops('&assignee=zhou@example.com')).toEqual(['C']);
    expect(await shops('&assignee=wang@example.com&review=decided')).toEqual(['A']);
  });

  it('reopening a decided entry is a conflict naming who decided and when, unless reassign; reopened, it forgets the decider', async () => {
    const decided = (await get('/api/shops/A/review', li)).body.review;
    const refused = await post('/api/shops/A/review', zhou, { action: 'claim' });
    expect([refused.status, refused.body.error, refused.body.message]).toEqual([
      409,
      'decided',
      `shop A was decided by wang@example.com at ${decided.decidedAt}; to reopen it, claim it with reassign`,
    ]);
    const assign = await post('/api/shops/A/review', zhou, { action: 'assign', assignee: 'li@example.com' });
    expect([assign.status, assign.body.message]).toEqual([
      409,
      `shop A was decided by wang@example.com at ${decided.decidedAt}; to reopen it for li@example.com, assign it with reassign`,
    ]);
    // Still decided, as it was.
    expect((await get('/api/shops/A/review', li)).body.review).toEqual(decided);
    const reopened = await post('/api/shops/A/review', zhou, { action: 'claim', reassign: true });
    expect(reopened.status).toBe(200);
    expect(reopened.body.review).toMatchObject({ state: 'in_review', assignee: 'zhou@example.com', decidedBy: null, decidedAt: null, pastService: true });
    // The audit entry keeps who had decided it.
    expect((await lastAudit('review.claim')).details.from).toEqual({
      state: 'decided',
      assignee: 'wang@example.com',
      decidedBy: 'wang@example.com',
      decidedAt: decided.decidedAt,
    });
    // Released, it is new (not decided again).
    expect((await post('/api/shops/A/review', zhou, { action: 'release' })).body.review).toMatchObject({ state: 'new', decidedBy: null, decidedAt: null });
  });

  it('a decision on a shop someone else has in review is refused naming them, unless it takes the shop over; bulk: all or nothing', async () => {
    await post('/api/shops/A/review', wang, { action: 'claim' }).expect(200);
    await post('/api/shops/C/review', zhou, { action: 'claim', reassign: true }).expect(200);
    const at = async (shop: string) => (await get(`/api/shops/${shop}/review`, li)).body.review.claimedAt as string;
    const [aSince, cSince] = [await at('A'), await at('C')];
    const decisionsBefore = (await get('/api/audit?action=decision.exempt', li)).body.total;
    // Single: 409 naming the holder and since when, nothing recorded.
    const single = await post('/api/shops/A/decisions', li, { action: 'exempt', until: '2026-10-20', reason: 'seasonal spike' });
    expect([single.status, single.body.error, single.body.message]).toEqual([
      409,
      'held',
      `shop A is in review by wang@example.com since ${aSince}; to decide it anyway, take it over (send reassign: true)`,
    ]);
    // Bulk: the whole request is refused, listing every shop someone else has; nothing is recorded.
    const bulk = await post('/api/decisions/bulk', li, { shopIds: ['A', 'C'], action: 'exempt', until: '2026-10-20', reason: 'seasonal spike' });
    expect([bulk.status, bulk.body.error, bulk.body.message]).toEqual([
      409,
      'held',
      `2 of the 2 shops are in review by someone else, so nothing was recorded: shop A is in review by wang@example.com since ${aSince}; ` +
        `shop C is in review by zhou@example.com since ${cSince}. To decide them anyway, take them over (send reassign: true), or leave them out`,
    ]);
    // One's own claim is no conflict: zhou decides A and C together, A being wang's → refused, naming only A.
    const partly = await post('/api/decisions/bulk', zhou, { shopIds: ['A', 'C'], action: 'confirm', reason: 'checked the orders' });
    expect([partly.status, partly.body.message]).toEqual([
      409,
      `1 of the 2 shops are in review by someone else, so nothing was recorded: shop A is in review by wang@example.com since ${aSince}. ` +
        'To decide them anyway, take them over (send reassign: true), or leave them out',
    ]);
    expect((await get('/api/audit?action=decision.exempt', li)).body.total).toBe(decisionsBefore);
    expect((await get('/api/audit?action=decision.confirm', li)).body.total).toBe(2);
    expect((await get('/api/shops/C/review', li)).body.review).toMatchObject({ state: 'in_review', assignee: 'zhou@example.com' });
    expect((await get('/api/shops/A/metrics', li)).body.restrictions.every((r: { exemptUntil?: string }) => r.exemptUntil === undefined)).toBe(true);
    // Taking them over: recorded, decided by li (now li's), each audit entry naming whom it was taken from.
    const taken = await post('/api/decisions/bulk', li, { shopIds: ['A', 'C'], action: 'confirm', reason: 'checked the orders', reassign: true });
    expect(taken.status).toBe(201);
    for (const shop of ['A', 'C'])
      expect((await get(`/api/shops/${shop}/review`, li)).body.review).toMatchObject({
        state: 'decided',
        assignee: 'li@example.com',
        decidedBy: 'li@example.com',
      });
    const audit = (await get('/api/audit?action=decision.confirm&limit=2', li)).body.items;
    expect(audit.map((e: { shopId: string; details: { tookOverFrom?: string } }) => [e.shopId, e.details.tookOverFrom]).sort()).toEqual([
      ['A', 'wang@example.com'],
      ['C', 'zhou@example.com'],
    ]);
  });

  it('an answered appeal decides the queue entry, by the person who answered; refused while someone else has the shop, unless reassign', async () => {
    await post('/api/shops/A/review', zhou, { action: 'claim', reassign: true }).expect(200);
    const filed = await post('/api/shops/A/appeals', sellerA, { text: 'the three cases were a courier strike' });
    expect(filed.status).toBe(201);
    const refused = await post(`/api/appeals/${filed.body.id}/answer`, li, { decision: 'reject', reason: 'the strike did not reach this city' });
    expect([refused.status, refused.body.error]).toEqual([409, 'held']);
    expect(refused.body.message).toMatch(/^shop A is in review by zhou@example\.com since .*; to decide it anyway, take it over \(send reassign: true\)$/);
    // Still pending, nothing recorded.
    expect((await get(`/api/appeals?shopId=A&state=pending`, li)).body.items.map((a: { id: number }) => a.id)).toEqual([filed.body.id]);
    const answered = await post(`/api/appeals/${filed.body.id}/answer`, li, {
      decision: 'reject',
      reason: 'the strike did not reach this city',
      reassign: true,
    });
    expect([answered.status, answered.body.state, answered.body.answeredBy]).toEqual([201, 'rejected', 'li@example.com']);
    expect((await get('/api/shops/A/review', li)).body.review).toMatchObject({ state: 'decided', assignee: 'li@example.com', decidedBy: 'li@example.com' });
    expect((await lastAudit('appeal.rejected')).details).toMatchObject({ appealId: filed.body.id, tookOverFrom: 'zhou@example.com' });
    // Answered by the holder: no conflict, decided by them.
    await post('/api/shops/A/review', zhou, { action: 'claim', reassign: true }).expect(200);
    const again = await post('/api/shops/A/appeals', sellerA, { text: 'here are the courier’s own records of the strike' });
    await post(`/api/appeals/${again.body.id}/answer`, zhou, { decision: 'reject', reason: 'the records name another city' }).expect(201);
    expect((await get('/api/shops/A/review', li)).body.review).toMatchObject({ state: 'decided', assignee: 'zhou@example.com', decidedBy: 'zhou@example.com' });
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
    const on = async (date: string) => ((await get(`/api/queue?date=${date}&sort=shopId&order=asc`, li)).body.items as Item[]).find((i) => i.shopId === 'A');
    // 10-14: warning since the lift, the same entry (09-30), still decided.
    expect((await on('2026-10-14'))!.review).toMatchObject({ state: 'decided', enteredOn: '2026-09-30', ageDays: 14 });
    // 10-15: restricted again, an episode the decision did not see: new again, past the service time.
    expect((await on('2026-10-15'))!.review).toMatchObject({ state: 'new', assignee: null, enteredOn: '2026-09-30', ageDays: 15, pastService: true });
    // 10-24: out of the queue.
    expect(await on('2026-10-24')).toBeUndefined();
    // 10-31 (the last day): back in the queue, a new entry, new.
    const latest = await get('/api/queue?sort=shopId&order=asc', li);
    expect(latest.body.items.map((i: Item) => [i.shopId, i.review.state, i.review.enteredOn, i.review.ageDays, i.review.pastService])).toEqual([
      ['A', 'new', '2026-10-31', 0, false],
    ]);
    const claimed = await post('/api/shops/A/review', wang, { action: 'claim' });
    expect(claimed.body.review).toMatchObject({ state: 'in_review', assignee: 'wang@example.com', enteredOn: '2026-10-31' });
  });
});

describe('the shared queue across data corrections', () => {
  // A fresh world of the same shape. Li claims A and Wang claims C while both entered the queue on 09-30. Then two
  // corrections: A's case of 09-20 is re-sent as opened on 10-01, so on 09-30 A has K = 2 (not judged) and its run
  // in the queue starts on 10-01 (a day later; 8 flagged days to 10-08: restricted from 10-07). An order of B paid
  // 08-31 moves the data's first day, so the first complete window is 09-29: C's window 08-31 … 09-29 has N = 58,
  // K = 3, rate 3/58 against the pooled 5 / 1567 (A 2 + C 3 of 58 + 1451 + 58), ratio 16.2 → flagged, and its run
  // starts on 09-29 (a day earlier).
  let fresh: Database;
  let server: Express;
  beforeAll(async () => {
    fresh = await buildTwoFlaggedShops();
    server = createApp({ db: fresh, secret });
  });
  afterAll(async () => fresh.close());
  const as = (token: string) => ({
    get: (path: string) => request(server).get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) => request(server).post(path).set('Authorization', `Bearer ${token}`).send(body),
  });
  const reviewRows = (shopId: string) =>
    fresh.read((conn) =>
      queryRows<{ enteredOn: string; state: string }>(
        conn,
        `SELECT strftime(entered_on, '%Y-%m-%d') AS "enteredOn", state FROM queue_reviews WHERE shop_id = $shopId ORDER BY entered_on`,
        { shopId },
      ),
    );

  it('keys queue_reviews by shop and entry day (migration 7)', async () => {
    const keys = await fresh.read((conn) =>
      queryRows<{ columns: string[] }>(
        conn,
        "SELECT constraint_column_names AS columns FROM duckdb_constraints() WHERE table_name = 'queue_reviews' AND constraint_type = 'PRIMARY KEY'",
      ),
    );
    expect(keys.map((k) => k.columns)).toEqual([['shop_id', 'entered_on']]);
  });

  it('a claim survives a correction that moves the entry a day later or a day earlier; later writes land on the same row', async () => {
    await as(li).post('/api/shops/A/review', { action: 'claim' }).expect(200);
    await as(wang).post('/api/shops/C/review', { action: 'claim' }).expect(200);
    const d = tempDir();
    writeCsv(d, 'orders.csv', HEADERS.orders, [['B-2026-08-31-1', 'B', '2026-08-31T12:00:00+08:00', '19.90']]);
    writeCsv(d, 'interventions.csv', HEADERS.interventions, [caseRow('A20', 'A-2026-09-20-1', 'A', '2026-10-01T10:00:00+08:00')]);
    expect((await ingest(fresh, [d])).exitCode).toBe(0);
    const items = (await as(li).get('/api/queue?sort=shopId&order=asc')).body.items as Item[];
    expect(items.map((i) => [i.shopId, i.level, i.review.state, i.review.assignee, i.review.enteredOn, i.review.ageDays])).toEqual([
      ['A', 'restricted', 'in_review', 'li@example.com', '2026-10-01', 7],
      ['C', 'restricted', 'in_review', 'wang@example.com', '2026-09-29', 9],
    ]);
    // On a past day (queried, not from memory) too.
    const past = (await as(li).get('/api/queue?date=2026-10-02&sort=shopId&order=asc')).body.items as Item[];
    expect(past.map((i) => [i.shopId, i.review.state, i.review.enteredOn, i.review.ageDays])).toEqual([
      ['A', 'in_review', '2026-10-01', 1],
      ['C', 'in_review', '2026-09-29', 3],
    ]);
    // The claim still protects the work, and writing it again updates the row it was stored under.
    expect((await as(wang).post('/api/shops/A/review', { action: 'claim' })).status).toBe(409);
    await as(li).post('/api/shops/A/review', { action: 'release' }).expect(200);
    expect(await reviewRows('A')).toEqual([{ enteredOn: '2026-09-30', state: 'new' }]);
    await as(li).post('/api/shops/A/review', { action: 'claim' }).expect(200);
    expect(await reviewRows('A')).toEqual([{ enteredOn: '2026-09-30', state: 'in_review' }]);
  });

  it('an accepted appeal decides the entry by the person who answered (taking it over from the holder only with reassign)', async () => {
    const filed = await as(sellerA).post('/api/shops/A/appeals', { text: 'the three cases were a courier strike' });
    expect(filed.status).toBe(201);
    const refused = await as(wang).post(`/api/appeals/${filed.body.id}/answer`, { decision: 'accept', reason: 'the strike is documented' });
    expect([refused.status, refused.body.error]).toEqual([409, 'held']);
    expect(refused.body.message).toMatch(/^shop A is in review by li@example\.com since /);
    const accepted = await as(wang).post(`/api/appeals/${filed.body.id}/answer`, { decision: 'accept', reason: 'the strike is documented', reassign: true });
    expect([accepted.status, accepted.body.state]).toEqual([201, 'accepted']);
    // Lifted early on 10-08 (still flagged: a warning, the same entry), decided by Wang, who took it over from Li.
    const shop = (await as(li).get('/api/shops/A/review')).body;
    expect(shop).toMatchObject({
      level: 'warning',
      review: { state: 'decided', assignee: 'wang@example.com', decidedBy: 'wang@example.com', enteredOn: '2026-10-01' },
    });
    const audit = (await as(li).get('/api/audit?action=decision.lift_early&shopId=A')).body.items;
    expect(audit.map((e: { actor: string; details: { tookOverFrom?: string } }) => [e.actor, e.details.tookOverFrom])).toEqual([
      ['wang@example.com', 'li@example.com'],
    ]);
  });
});
