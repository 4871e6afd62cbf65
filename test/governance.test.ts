// The complete API's per-shop reads and governance actions, with hand-worked numbers.
//
// Data 2026-09-01 … 2026-10-15 (last day 10-15):
//   C3: T 2 orders/day, intervention orders opened 09-18, 09-19, 09-20; U 10 orders/day.
//       T is flagged 09-30 … 10-15 (ratio (3/60)/(3/360) = 6): restricted 10-06, severe 10-13.
//   C1: V 2 orders/day, one intervention order opened 10-10; W 38 orders/day, one intervention order
//       opened each day 10-01 … 10-15 (15).
//   C2: P1 … P5 1 order/day; intervention orders: P1 3, P2 3, P3 4, P4 6, P5 0 (opened from 10-01 on).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { ForecastSchema, PeersSchema, TrendSchema, CasesSchema, BreakdownSchema, HistorySchema } from '../server/contracts/shop.js';
import { CategoriesSchema, SimulationSchema, AuditSchema } from '../server/contracts/governance.js';
import { HEADERS, addDays, caseRow, dailyOrders, ingest, openTempDb, writeCsv } from './helpers.js';

const secret = new TextEncoder().encode('governance-test-secret-0123456789');
let db: Database;
let app: Express;
let reviewer: string, admin: string, sellerT: string, sellerV: string;

function pCases(shop: string, n: number): string[][] {
  return Array.from({ length: n }, (_, i) =>
    caseRow(`${shop}-k${i}`, `${shop}-${addDays('2026-10-01', i)}-1`, shop, `${addDays('2026-10-01', i)}T10:00:00+08:00`),
  );
}

beforeAll(async () => {
  const t = await openTempDb();
  db = t.db;
  writeCsv(t.dir, 'categories.csv', HEADERS.categories, [
    ['C1', '女装', ''],
    ['C2', '图书', ''],
    ['C3', '生鲜', ''],
  ]);
  writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
    ['T', 'T店', 'C3'],
    ['U', 'U店', 'C3'],
    ['V', 'V店', 'C1'],
    ['W', 'W店', 'C1'],
    ['P1', 'P1店', 'C2'],
    ['P2', 'P2店', 'C2'],
    ['P3', 'P3店', 'C2'],
    ['P4', 'P4店', 'C2'],
    ['P5', 'P5店', 'C2'],
  ]);
  const last = '2026-10-15';
  writeCsv(t.dir, 'orders.csv', HEADERS.orders, [
    ...dailyOrders('T', '2026-09-01', last, 2),
    ...dailyOrders('U', '2026-09-01', last, 10),
    ...dailyOrders('V', '2026-09-01', last, 2),
    ...dailyOrders('W', '2026-09-01', last, 38),
    ...['P1', 'P2', 'P3', 'P4', 'P5'].flatMap((p) => dailyOrders(p, '2026-09-01', last, 1)),
  ]);
  writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('t1', 'T-2026-09-18-1', 'T', '2026-09-18T10:00:00+08:00', { reason: 'quality' }),
    caseRow('t2', 'T-2026-09-19-1', 'T', '2026-09-19T10:00:00+08:00', { reason: 'quality' }),
    caseRow('t3', 'T-2026-09-20-1', 'T', '2026-09-20T10:00:00+08:00', { reason: 'not_received' }),
    caseRow('t4', 'T-2026-09-20-2', 'T', '2026-09-22T10:00:00+08:00', { kind: 'complaint', reason: 'refund_refused' }),
    caseRow('t5', 'T-2026-09-21-1', 'T', '2026-09-21T10:00:00+08:00', { excluded: 'true', exclusionReason: 'logistics_exception' }),
    caseRow('v1', 'V-2026-10-10-1', 'V', '2026-10-10T10:00:00+08:00'),
    ...Array.from({ length: 15 }, (_, i) => caseRow(`w${i}`, `W-${addDays('2026-10-01', i)}-1`, 'W', `${addDays('2026-10-01', i)}T10:00:00+08:00`)),
    ...pCases('P1', 3),
    ...pCases('P2', 3),
    ...pCases('P3', 4),
    ...pCases('P4', 6),
  ]);
  expect((await ingest(db, [t.dir])).exitCode).toBe(0);
  app = createApp({ db, secret });
  reviewer = await signToken(secret, { role: 'reviewer', subject: 'reviewer:li' });
  admin = await signToken(secret, { role: 'admin', subject: 'admin:wang' });
  sellerT = await signToken(secret, { role: 'seller', shops: ['T'] });
  sellerV = await signToken(secret, { role: 'seller', shops: ['V'] });
});
afterAll(async () => db.close());

const get = (path: string, token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);
const post = (path: string, token: string, body: unknown) =>
  request(app)
    .post(path)
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);

// C1 and C3 have two shops each: below the small-category rule (test/read-trust.test.ts), a seller there
// sees no category figure, so the hand-worked category numbers are read with a reviewer's token.
describe('seller reads', () => {
  it('trend: rate, mean, threshold and level per day', async () => {
    const res = await get('/api/shops/T/trend?from=2026-10-05&to=2026-10-06', reviewer);
    expect(res.status).toBe(200);
    TrendSchema.parse(res.body);
    expect(res.body.flagRatio).toBe(5);
    expect(res.body.points).toEqual([
      {
        date: '2026-10-05',
        orders: 60,
        interventions: 3,
        complaints: 1,
        rate: 0.05,
        categoryMean: 3 / 360,
        threshold: 5 * (3 / 360),
        ratio: expect.closeTo(6, 12),
        judged: true,
        flagged: true,
        level: 'warning',
      },
      {
        date: '2026-10-06',
        orders: 60,
        interventions: 3,
        complaints: 1,
        rate: 0.05,
        categoryMean: 3 / 360,
        threshold: 5 * (3 / 360),
        ratio: expect.closeTo(6, 12),
        judged: true,
        flagged: true,
        level: 'restricted',
      },
    ]);
    // Default: 90 days to the last day, but not before the first day (45 days of data).
    const all = await get('/api/shops/T/trend', sellerT);
    expect([all.body.from, all.body.to, all.body.points.length]).toEqual(['2026-09-01', '2026-10-15', 45]);
  });

  it('cases: what counts, why not, and when each leaves the window', async () => {
    const res = await get('/api/shops/T/cases?date=2026-10-15', sellerT);
    expect(res.status).toBe(200);
    CasesSchema.parse(res.body);
    expect(res.body.window).toEqual({ from: '2026-09-16', to: '2026-10-15' });
    const byId = Object.fromEntries(res.body.cases.map((c: { caseId: string }) => [c.caseId, c]));
    expect(Object.keys(byId).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(byId.t1).toMatchObject({ kind: 'intervention', openedDay: '2026-09-18', counted: true, leavesWindowOn: '2026-10-18', orderKnown: true });
    expect(byId.t5).toMatchObject({ excluded: true, exclusionReason: 'logistics_exception', counted: false });
    expect(byId.t4).toMatchObject({ kind: 'complaint', leavesWindowOn: '2026-10-22' });
  });

  it('breakdown: interventions by reason and by week', async () => {
    const res = await get('/api/shops/T/breakdown?date=2026-10-15', sellerT);
    BreakdownSchema.parse(res.body);
    expect(res.body.byReason).toEqual([
      { reason: 'quality', interventions: 2, complaints: 0 },
      { reason: 'not_received', interventions: 1, complaints: 0 },
      { reason: 'refund_refused', interventions: 0, complaints: 1 },
    ]);
    // Weeks start on Monday: 09-14 holds 09-18, 09-19, 09-20 (Fri–Sun); 09-21 holds the complaint of 09-22.
    const week = (start: string) => res.body.byWeek.find((w: { weekStart: string }) => w.weekStart === start);
    expect(week('2026-09-14')).toEqual({ weekStart: '2026-09-14', interventions: 3, complaints: 0, orders: 14 });
    expect(week('2026-09-21')).toEqual({ weekStart: '2026-09-21', interventions: 0, complaints: 1, orders: 14 });
    expect(res.body.byWeek.at(-1).weekStart).toBe('2026-10-12');
  });

  it('peers: median, p90, histogram and percentile of the judged shops', async () => {
    // C2 on 10-15: judged rates 0.1, 0.1, 4/30, 0.2 (P5 has K = 0, not judged).
    const res = await get('/api/shops/P3/peers?date=2026-10-15', reviewer);
    expect(res.status).toBe(200);
    PeersSchema.parse(res.body);
    expect(res.body.judgedShops).toBe(4);
    expect(res.body.median).toBeCloseTo((0.1 + 4 / 30) / 2, 12);
    expect(res.body.p90).toBeCloseTo(4 / 30 + 0.7 * (0.2 - 4 / 30), 12); // position 2.7 of 0…3
    expect(res.body.categoryMean).toBeCloseTo(16 / 150, 12);
    expect(res.body.shopRate).toBeCloseTo(4 / 30, 12);
    // Of the 4 judged shops (P3 itself among them), 0.1 and 0.1 are below 4/30: "higher than 50% of the 4 judged shops".
    expect(res.body.percentile).toBeCloseTo(2 / 4, 12);
    expect(res.body.buckets).toHaveLength(10);
    expect(res.body.buckets.at(-1)).toMatchObject({ to: 0.2, shops: 1 });
    expect(res.body.buckets.reduce((n: number, b: { shops: number }) => n + b.shops, 0)).toBe(4);
    const p5 = await get('/api/shops/P5/peers?date=2026-10-15', reviewer);
    expect(p5.body.percentile).toBe(0);
    // The top shop is above the 3 others of the 4 judged, not above "100% of 4" (it is among them).
    const p4 = await get('/api/shops/P4/peers?date=2026-10-15', reviewer);
    expect(p4.body).toMatchObject({ judgedShops: 4, percentile: 3 / 4 });
  });

  it('forecast: when a flagged shop falls below the threshold and when it lifts', async () => {
    // With 2 orders a day N stays 60; K stays 3 until 09-18 leaves the window (10-18): flagged 10-16, 10-17;
    // 10-18 K = 2 → not judged. Clean from 10-18, the 7th clean day is 10-24.
    const res = await get('/api/shops/T/forecast?date=2026-10-15', sellerT);
    expect(res.status).toBe(200);
    ForecastSchema.parse(res.body);
    expect(res.body).toMatchObject({
      belowThresholdOn: '2026-10-18',
      liftOn: '2026-10-24',
      headroom7d: null,
      assumptions: { dailyOrders: 2, newInterventions: 0 },
    });
    expect(
      res.body.points
        .slice(0, 3)
        .map((p: { date: string; interventions: number; flagged: boolean; level: string }) => [p.date, p.interventions, p.flagged, p.level]),
    ).toEqual([
      ['2026-10-16', 3, true, 'severe'],
      ['2026-10-17', 3, true, 'severe'],
      ['2026-10-18', 2, false, 'severe'],
    ]);
    expect(res.body.points[8]).toMatchObject({ date: '2026-10-24', level: 'none' });
  });

  it('forecast: headroom of a shop under the threshold', async () => {
    // V: N = 60, K = 1; C1 ΣN = 1200, ΣK = 16 (W holds 15). x new orders → K = 1 + x, ΣK = 16 + x:
    // judged from x = 2; ratio 20(1+x)/(16+x) ≥ 5 ⟺ x ≥ 4 (exactly 5 at x = 4). So 3 fit.
    const res = await get('/api/shops/V/forecast?date=2026-10-15', reviewer);
    expect(res.body).toMatchObject({ belowThresholdOn: null, liftOn: null, headroom7d: 3 });
  });

  it('history: levels over time and the numbers behind each restriction', async () => {
    const res = await get('/api/shops/T/history', reviewer);
    HistorySchema.parse(res.body);
    expect(res.body.periods).toEqual([
      { level: 'none', from: '2026-09-01', to: '2026-09-29' },
      { level: 'warning', from: '2026-09-30', to: '2026-10-05' },
      { level: 'restricted', from: '2026-10-06', to: '2026-10-12' },
      { level: 'severe', from: '2026-10-13', to: '2026-10-15' },
    ]);
    expect(res.body.episodes[0]).toEqual({
      level: 'restricted',
      codes: ['remove_resource_slots', 'ban_resource_slots'],
      start: '2026-10-06',
      end: null,
      orders: 60,
      interventions: 3,
      rate: 0.05,
      categoryMean: 3 / 360,
      ratio: expect.closeTo(6, 12),
      flaggedDays: 7,
      policyVersion: DEFAULT_POLICY.version,
    });
  });
});

describe('governance', () => {
  it('categories: pooled numbers, spread of rates and shops per level', async () => {
    const res = await get('/api/categories?date=2026-10-15', reviewer);
    CategoriesSchema.parse(res.body);
    const c2 = res.body.categories.find((c: { categoryId: string }) => c.categoryId === 'C2');
    expect(c2).toMatchObject({
      categoryName: '图书',
      shops: 5,
      judgedShops: 4,
      orders: 150,
      interventions: 16,
      mean: 16 / 150,
      levels: { warning: 0, restricted: 0, severe: 0 },
    });
    expect(c2.medianRate).toBeCloseTo((0.1 + 4 / 30) / 2, 12);
    const c3 = res.body.categories.find((c: { categoryId: string }) => c.categoryId === 'C3');
    expect(c3.levels).toEqual({ warning: 0, restricted: 0, severe: 1 });
  });

  it('simulating the active policy under another version name changes nothing', async () => {
    const res = await post('/api/policy/simulate', reviewer, { policy: { ...DEFAULT_POLICY, version: 'same-numbers' } });
    expect(res.status).toBe(200);
    SimulationSchema.parse(res.body);
    expect(res.body.changes).toEqual([]);
    for (const c of res.body.categories) expect(c.candidate).toEqual(c.active);
    expect(res.body.date).toBe('2026-10-15');
  });

  it('simulating a lower ratio shows the shops that enter a level', async () => {
    // P4 on 10-15: rate 0.2, C2 mean 16/150 → ratio 1.875; judged. At ratio 1.5 it is flagged.
    const res = await post('/api/policy/simulate', reviewer, { policy: { ...DEFAULT_POLICY, version: 'lenient', flagRatio: 1.5 } });
    const p4 = res.body.changes.find((c: { shopId: string }) => c.shopId === 'P4');
    expect(p4).toMatchObject({ from: 'none', categoryId: 'C2' });
    expect(p4.to).not.toBe('none');
    const c2 = res.body.categories.find((c: { categoryId: string }) => c.categoryId === 'C2');
    expect(c2.active).toEqual({ warning: 0, restricted: 0, severe: 0 });
    expect(c2.candidate.warning + c2.candidate.restricted + c2.candidate.severe).toBeGreaterThanOrEqual(1);
    const bad = await post('/api/policy/simulate', reviewer, { policy: { ...DEFAULT_POLICY, flagRatio: 'five' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^policy\.flagRatio:/);
  });

  it('an exemption stops the restrictions applying and the audit log shows who and why', async () => {
    const confirmV = await post('/api/shops/V/decisions', reviewer, { action: 'confirm', reason: 'checked' });
    expect(confirmV.status).toBe(409); // V has no restriction
    const noEnd = await post('/api/shops/T/decisions', reviewer, { action: 'exempt', reason: 'flood in the warehouse region' });
    expect(noEnd.status).toBe(400);
    expect(noEnd.body.message).toMatch(/^until:/);
    const res = await post('/api/shops/T/decisions', reviewer, { action: 'exempt', reason: 'flood in the warehouse region', until: '2026-10-30' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ shopId: 'T', action: 'exempt', until: '2026-10-30', episodeStart: '2026-10-06', actor: 'reviewer:li' });
    const m = await get('/api/shops/T/metrics', sellerT);
    expect(m.body.level).toBe('severe');
    expect(m.body.restrictions).toHaveLength(4);
    for (const r of m.body.restrictions) expect(r.exemptUntil).toBe('2026-10-30');
    const audit = await get('/api/audit?shopId=T&action=decision.exempt', reviewer);
    AuditSchema.parse(audit.body);
    expect(audit.body.total).toBe(1);
    expect(audit.body.items[0]).toMatchObject({ actor: 'reviewer:li', role: 'reviewer', action: 'decision.exempt', shopId: 'T' });
    expect(audit.body.items[0].details).toMatchObject({
      reason: 'flood in the warehouse region',
      until: '2026-10-30',
      numbers: { level: 'severe', orders: 60, interventions: 3 },
    });
    // Sellers cannot decide or read the audit log.
    expect((await post('/api/shops/T/decisions', sellerT, { action: 'note', reason: 'hello' })).status).toBe(403);
    expect((await get('/api/audit', sellerT)).status).toBe(403);
  });

  it('an appeal: one at a time, answered by a reviewer; accepting lifts the restriction', async () => {
    const short = await post('/api/shops/T/appeals', sellerT, { text: 'no' });
    expect(short.status).toBe(400);
    const filed = await post('/api/shops/T/appeals', sellerT, { text: 'The three orders were delayed by the courier strike.' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ shopId: 'T', state: 'pending', episodeStart: '2026-10-06', level: 'severe' });
    expect((await post('/api/shops/T/appeals', sellerT, { text: 'Again: the courier strike delayed them.' })).status).toBe(409);
    expect((await post('/api/shops/V/appeals', sellerV, { text: 'Nothing to appeal against here.' })).status).toBe(409);
    expect((await post('/api/shops/T/appeals', reviewer, { text: 'A reviewer cannot appeal.' })).status).toBe(403);
    const mine = await get('/api/appeals', sellerT);
    expect(mine.body.items.map((a: { id: number }) => a.id)).toEqual([filed.body.id]);
    expect((await get('/api/appeals', sellerV)).body.items).toEqual([]);
    const answered = await post(`/api/appeals/${filed.body.id}/answer`, reviewer, { decision: 'accept', reason: 'courier strike confirmed' });
    expect(answered.status).toBe(201);
    expect(answered.body).toMatchObject({ state: 'accepted', answeredBy: 'reviewer:li', answerReason: 'courier strike confirmed' });
    // Lifted on 10-15: still flagged that day, so a warning, with no restrictions.
    const m = await get('/api/shops/T/metrics', sellerT);
    expect([m.body.level, m.body.restrictions]).toEqual(['warning', []]);
    const history = await get('/api/shops/T/history', reviewer);
    expect(history.body.episodes.map((e: { end: string }) => e.end)).toEqual(['2026-10-15', '2026-10-15']);
    expect(history.body.decisions.map((d: { action: string }) => d.action)).toEqual(['exempt', 'lift_early']);
    const audit = await get('/api/audit?shopId=T', reviewer);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['decision.lift_early', 'appeal.accepted', 'appeal.filed', 'decision.exempt']);
    expect((await post(`/api/appeals/${filed.body.id}/answer`, reviewer, { decision: 'reject', reason: 'too late' })).status).toBe(409);
  });

  it('activating a policy: admins only; earlier restrictions keep the version that made them', async () => {
    const candidate = { ...DEFAULT_POLICY, version: '2026.12-strict', flagRatio: 1.5 };
    expect((await post('/api/policy/activate', reviewer, { policy: candidate })).status).toBe(403);
    const structural = await post('/api/policy/activate', admin, { policy: { ...candidate, windowDays: 60 } });
    expect(structural.status).toBe(400);
    expect(structural.body.message).toMatch(/^policy\.windowDays/);
    const simulated = await post('/api/policy/simulate', reviewer, { policy: candidate, date: '2026-10-15', effectiveFrom: '2026-10-14' });
    expect(simulated.status).toBe(200);
    const res = await post('/api/policy/activate', admin, { policy: candidate, effectiveFrom: '2026-10-14', date: '2026-10-15' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: '2026.12-strict', effectiveFrom: '2026-10-14', changed: ['flagRatio'], previousVersion: DEFAULT_POLICY.version });
    // What activation did on the simulated day is what the simulation predicted: counts per level per category, and the shops that moved.
    type Sim = { categories: { categoryId: string; candidate: Record<string, number> }[]; changes: { shopId: string; from: string; to: string }[] };
    type Out = { date: string; categories: { categoryId: string; levels: Record<string, number> }[]; changes: { shopId: string; from: string; to: string }[] };
    const sim = simulated.body as Sim;
    const out = res.body.outcome as Out;
    expect(out.date).toBe('2026-10-15');
    const counts = (rows: { categoryId: string; levels: Record<string, number> }[]) =>
      Object.fromEntries(rows.filter((r) => r.levels.warning + r.levels.restricted + r.levels.severe > 0).map((r) => [r.categoryId, r.levels]));
    expect(counts(out.categories)).toEqual(counts(sim.categories.map((c) => ({ categoryId: c.categoryId, levels: c.candidate }))));
    const moves = (rows: { shopId: string; from: string; to: string }[]) => rows.map((c) => `${c.shopId}:${c.from}>${c.to}`).sort();
    expect(moves(out.changes)).toEqual(moves(sim.changes));
    expect(out.changes.length).toBeGreaterThan(0);
    expect((await post('/api/policy/activate', admin, { policy: candidate })).status).toBe(409);
    // Before 10-14 the old version holds; from 10-14 the new one.
    expect((await get('/api/shops/P4/metrics?date=2026-10-13', reviewer)).body.policyVersion).toBe(DEFAULT_POLICY.version);
    const p4 = await get('/api/shops/P4/metrics?date=2026-10-14', reviewer);
    expect(p4.body.policyVersion).toBe('2026.12-strict');
    expect(p4.body.flagged).toBe(true); // ratio ≥ 1.5 from 10-14 on
    expect((await get('/api/shops/P4/metrics?date=2026-10-13', reviewer)).body.flagged).toBe(false);
    const t = await get('/api/shops/T/history', reviewer);
    expect(t.body.episodes[0].policyVersion).toBe(DEFAULT_POLICY.version);
    const policy = await get('/api/policy', sellerT);
    expect(policy.body.active.version).toBe('2026.12-strict');
    expect(policy.body.versions.map((v: { version: string; effectiveFrom: string | null }) => [v.version, v.effectiveFrom])).toEqual([
      [DEFAULT_POLICY.version, null],
      ['2026.12-strict', '2026-10-14'],
    ]);
    const audit = await get('/api/audit?action=policy.activated', reviewer);
    expect(audit.body.items[0]).toMatchObject({ actor: 'admin:wang', details: { version: '2026.12-strict', changed: ['flagRatio'] } });
  });
});
