// Trust under every policy: activation on an empty database, floors of 0, simulation = activation,
// and decisions bound to the restriction episode they were made on. Hand-worked numbers below.
//
// The world (category C1, default policy unless a test activates another):
// - A: 2 orders a day from 09-01, intervention orders opened 09-18, 09-19, 09-20.
//   From 09-30 (first complete window) K = 3 of N = 60, pooled mean = 6 / 1620 → ratio 13.5 → flagged;
//   restricted from 10-06 (7th flagged day), severe from 10-13 (14th). On 10-18 the 09-18 case leaves
//   the window (09-19 … 10-18): K = 2 < 3, not judged, unflagged; 7 unflagged days → lifted on 10-24.
// - C: the same as A until 10-08 (so C1 has two troubled shops).
// - B: 50 orders a day, no cases.
// - Z: a shop with no orders and no cases at all.
import request from 'supertest';
import type { Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { queryRows, type Database } from '../server/db/database.js';
import { DEFAULT_POLICY, type Policy } from '../server/policy/policy.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, shopDay, shopDays, writeCsv, tempDir } from './helpers.js';

const secret = new TextEncoder().encode('trust-policy-test-secret-0123456789abcdef');
const opened: Database[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

interface World {
  db: Database;
  app: Express;
  reviewer: string;
  admin: string;
  sellerA: string;
  /** Loads A's, B's and C's orders from..to (C only up to 10-08) and the given cases. */
  load: (from: string, to: string, cases?: string[][]) => Promise<void>;
}

async function world(): Promise<World> {
  const { db } = await openTempDb();
  opened.push(db);
  const app = createApp({ db, secret });
  let batch = 0;
  const load = async (from: string, to: string, cases: string[][] = []) => {
    const dir = tempDir(`iw-trust-${batch++}-`);
    if (batch === 1) {
      writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
      writeCsv(dir, 'shops.csv', HEADERS.shops, [
        ['A', 'A店', 'C1'],
        ['B', 'B店', 'C1'],
        ['C', 'C店', 'C1'],
        ['Z', 'Z店', 'C1'],
      ]);
    }
    const cTo = to < '2026-10-08' ? to : '2026-10-08';
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('A', from, to, 2),
      ...dailyOrders('B', from, to, 50),
      ...(from <= cTo ? dailyOrders('C', from, cTo, 2) : []),
    ]);
    if (cases.length) writeCsv(dir, 'interventions.csv', HEADERS.interventions, cases);
    const report = await ingest(db, [dir]);
    expect(report.rejected).toBe(0);
  };
  return {
    db,
    app,
    load,
    reviewer: await signToken(secret, { role: 'reviewer', subject: 'li@example.com' }),
    admin: await signToken(secret, { role: 'admin', subject: 'wang@example.com' }),
    sellerA: await signToken(secret, { role: 'seller', shops: ['A'], subject: 'seller-a@example.com' }),
  };
}

const FIRST_CASES = [
  caseRow('a1', 'A-2026-09-18-1', 'A', '2026-09-18T10:00:00+08:00'),
  caseRow('a2', 'A-2026-09-19-1', 'A', '2026-09-19T10:00:00+08:00'),
  caseRow('a3', 'A-2026-09-20-1', 'A', '2026-09-20T10:00:00+08:00'),
  caseRow('c1', 'C-2026-09-18-1', 'C', '2026-09-18T10:00:00+08:00'),
  caseRow('c2', 'C-2026-09-19-1', 'C', '2026-09-19T10:00:00+08:00'),
  caseRow('c3', 'C-2026-09-20-1', 'C', '2026-09-20T10:00:00+08:00'),
];

function policy(over: Partial<Policy> & { restrictedAfter?: number; severeAfter?: number }): Policy {
  const { restrictedAfter, severeAfter, ...rest } = over;
  return {
    ...DEFAULT_POLICY,
    ...rest,
    levels: [
      { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: restrictedAfter ?? DEFAULT_POLICY.levels[0].afterFlaggedDays },
      { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: severeAfter ?? DEFAULT_POLICY.levels[1].afterFlaggedDays },
    ],
  };
}

async function metrics(w: World, shopId: string, token = w.reviewer, date?: string) {
  const res = await request(w.app)
    .get(`/api/shops/${shopId}/metrics${date ? `?date=${date}` : ''}`)
    .set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  return res.body as {
    level: string;
    restrictions: { code: string; since: string; exemptUntil?: string }[];
    policyVersion: string;
    ratio: number | null;
    flagged: boolean;
  };
}

describe('1. activation on an empty database', () => {
  it('applies the version from the data’s first day, one row per shop and day, levels on time', async () => {
    const w = await world();
    const res = await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: policy({ version: 'fast-3', restrictedAfter: 3 }) });
    expect(res.status).toBe(201);
    expect(res.body.effectiveFrom).toBeNull();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    // 4 shops × 38 days (09-01 … 10-08), each once.
    const [counts] = await w.db.read((conn) =>
      queryRows<{ n: number; pairs: number }>(conn, 'SELECT count(*) AS n, count(DISTINCT (shop_id, day)) AS pairs FROM shop_day'),
    );
    expect(counts).toEqual({ n: 152, pairs: 152 });
    // Flagged from 09-30; restricted on the 3rd flagged day (10-02), not earlier.
    expect((await shopDay(w.db, 'A', '2026-10-01')).level).toBe('warning');
    expect((await shopDay(w.db, 'A', '2026-10-02')).level).toBe('restricted');
    const a = await metrics(w, 'A', w.reviewer, '2026-09-15');
    expect(a.policyVersion).toBe('fast-3');
    const episodes = await w.db.read((conn) =>
      queryRows<{ level: string; start: string; version: string }>(
        conn,
        "SELECT level, strftime(start_day, '%Y-%m-%d') AS start, policy_version AS version FROM restriction_episodes WHERE shop_id = 'A' ORDER BY start_day, level",
      ),
    );
    // Severe after 14 flagged days: 09-30 + 13 = 10-13 is after the last day, so only 'restricted'.
    expect(episodes).toEqual([{ level: 'restricted', start: '2026-10-02', version: 'fast-3' }]);
  });

  it('allows a change of window or mean method before any data, and refuses it once there is data', async () => {
    const w = await world();
    const before = await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: policy({ version: 'w14', windowDays: 14 }) });
    expect(before.status).toBe(201);
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    // A 14-day window: first complete window on 09-14; A's cases (09-18 … 09-20) stay in until 10-01.
    const [row] = await w.db.read((conn) => queryRows<{ window_days: number }>(conn, 'SELECT window_days FROM data_range'));
    expect(row.window_days).toBe(14);
    expect((await shopDay(w.db, 'A', '2026-10-01')).interventions).toBe(3); // window 09-18 … 10-01
    expect((await shopDay(w.db, 'A', '2026-10-02')).interventions).toBe(2); // window 09-19 … 10-02
    const after = await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: policy({ version: 'w30', windowDays: 30 }) });
    expect(after.status).toBe(400);
    expect(after.body.message).toMatch(/^policy\.windowDays: .*cannot change from a day on/);
  });
});

describe('2. floors of 0', () => {
  it('never flags a shop without orders (pooled): no rate, no ratio, level none', async () => {
    const w = await world();
    await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: policy({ version: 'zero', floors: { minOrders: 0, minInterventions: 0 } }) })
      .expect(201);
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    const z = await shopDays(w.db, 'Z');
    expect(z).toHaveLength(38);
    expect(z.every((d) => d.orders === 0 && d.rate === null && d.ratio === null && !d.flagged && d.level === 'none')).toBe(true);
    // Z is judged (0 ≥ 0 and 0 ≥ 0) but has no rate, so it is not flagged.
    expect((await shopDay(w.db, 'Z', '2026-10-08')).judged).toBe(true);
    // B: 0 interventions of 1500 orders → rate 0, ratio 0: judged, not flagged. A still flagged.
    const b = await shopDay(w.db, 'B', '2026-10-08');
    expect([b.rate, b.ratio, b.judged, b.flagged]).toEqual([0, 0, true, false]);
    expect((await shopDay(w.db, 'A', '2026-10-08')).level).toBe('restricted');
  });

  it('does not abort the refresh under mean_of_shop_rates, and flags only shops with a ratio', async () => {
    const w = await world();
    await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: policy({ version: 'zero-mean', categoryMean: 'mean_of_shop_rates', flagRatio: 1.2, floors: { minOrders: 0, minInterventions: 0 } }) })
      .expect(201);
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    // 09-30: rates A 3/60 = 0.05, C 0.05, B 0 (Z has no orders, no rate) → mean 0.1 / 3; A's ratio 1.5 ≥ 1.2.
    const a = await shopDay(w.db, 'A', '2026-09-30');
    expect(a.category_mean).toBeCloseTo(0.1 / 3, 12);
    expect(a.ratio).toBeCloseTo(1.5, 12);
    expect(a.flagged).toBe(true);
    const z = await shopDays(w.db, 'Z');
    expect(z.every((d) => d.rate === null && d.ratio === null && d.flagged === false && d.level === 'none')).toBe(true);
  });
});

describe('3. simulation predicts activation exactly', () => {
  it('applies the candidate from the last day, as activation does, and says so', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    // Ratio 20: A's ratio (13.5) is no longer flagged. Over the whole history A would never have been
    // restricted; from 10-08 on, A's restriction of 10-06 stands (1 unflagged day of 7 needed).
    const candidate = policy({ version: 'strict-20', flagRatio: 20 });
    const sim = await request(w.app).post('/api/policy/simulate').set('Authorization', `Bearer ${w.reviewer}`).send({ policy: candidate });
    expect(sim.status).toBe(200);
    expect(sim.body.effectiveFrom).toBe('2026-10-08');
    expect(sim.body.activatable).toBe(true);
    expect(sim.body.changes).toEqual([]);
    expect(sim.body.categories).toEqual([
      { categoryId: 'C1', categoryName: '女装', active: { warning: 0, restricted: 2, severe: 0 }, candidate: { warning: 0, restricted: 2, severe: 0 } },
    ]);
    const act = await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: candidate, effectiveFrom: sim.body.effectiveFrom });
    expect(act.status).toBe(201);
    const a = await shopDay(w.db, 'A', '2026-10-08');
    expect([a.flagged, a.level]).toEqual([false, 'restricted']);
  });

  it('applies it from a chosen day, and activation from that day gives every simulated level', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    const candidate = policy({ version: 'strict-20b', flagRatio: 20 });
    // From the first day: A and C are never flagged, so they drop from restricted to none.
    const sim = await request(w.app)
      .post('/api/policy/simulate')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ policy: candidate, effectiveFrom: '2026-09-01' });
    expect(sim.status).toBe(200);
    expect(sim.body.effectiveFrom).toBe('2026-09-01');
    expect(sim.body.changes.map((c: { shopId: string; from: string; to: string }) => [c.shopId, c.from, c.to]).sort()).toEqual([
      ['A', 'restricted', 'none'],
      ['C', 'restricted', 'none'],
    ]);
    await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: candidate, effectiveFrom: '2026-09-01' })
      .expect(201);
    expect((await shopDay(w.db, 'A', '2026-10-08')).level).toBe('none');
    expect((await shopDay(w.db, 'C', '2026-10-08')).level).toBe('none');
    // A day not after the current version's day is refused by both, with the same message.
    const again = policy({ version: 'again', flagRatio: 3 });
    const simBad = await request(w.app)
      .post('/api/policy/simulate')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ policy: again, effectiveFrom: '2026-09-01' });
    const actBad = await request(w.app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${w.admin}`)
      .send({ policy: again, effectiveFrom: '2026-09-01' });
    expect(simBad.status).toBe(400);
    expect(actBad.status).toBe(400);
    expect(simBad.body.message).toBe('effectiveFrom: 2026-09-01 must be after 2026-09-01, when version strict-20b took effect');
    expect(actBad.body.message).toBe(simBad.body.message);
  });

  it('on a date before the effective day predicts no change; on an earlier date after it, that date', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    const candidate = policy({ version: 'strict-20c', flagRatio: 20 });
    const stored = { A: (await shopDay(w.db, 'A', '2026-10-06')).level, C: (await shopDay(w.db, 'C', '2026-10-06')).level };
    expect(stored.A).toBe('restricted'); // restricted since 10-06 (above)
    // Effective 10-07: on 10-06 the active version is still in force, so nothing changes.
    const early = await request(w.app)
      .post('/api/policy/simulate')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ policy: candidate, date: '2026-10-06', effectiveFrom: '2026-10-07' });
    expect(early.status).toBe(200);
    expect(early.body.changes).toEqual([]);
    expect(early.body.categories).toHaveLength(1);
    expect(early.body.categories[0].candidate.restricted).toBe(Object.values(stored).filter((l) => l === 'restricted').length);
    expect(early.body.categories.map((c: { active: unknown; candidate: unknown }) => c.candidate)).toEqual(
      early.body.categories.map((c: { active: unknown }) => c.active),
    );
    // Effective from the first day: on 10-06 nobody was ever flagged at ratio 20, so each shop at a level drops to none.
    const between = await request(w.app)
      .post('/api/policy/simulate')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ policy: candidate, date: '2026-10-06', effectiveFrom: '2026-09-01' });
    expect(between.status).toBe(200);
    const want = Object.entries(stored)
      .filter(([, level]) => level !== 'none')
      .map(([shop, level]) => [shop, level, 'none']);
    expect(between.body.changes.map((c: { shopId: string; from: string; to: string }) => [c.shopId, c.from, c.to]).sort()).toEqual(want.sort());
  });

  it('shows a structural candidate over the whole history and says it cannot be activated as it is', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    const sim = await request(w.app)
      .post('/api/policy/simulate')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ policy: policy({ version: 'paid', countBasis: 'order_paid' }) });
    expect(sim.status).toBe(200);
    expect(sim.body.activatable).toBe(false);
    expect(sim.body.effectiveFrom).toBeNull();
    expect(sim.body.refusal).toMatch(/^policy\.countBasis: countBasis cannot change from a day on/);
  });
});

describe('4. decisions belong to an episode', () => {
  // Data through 10-08: A restricted since 10-06. Then the 09-18 … 09-20 cases leave the window:
  // unflagged 10-18 … 10-24 → lifted 10-24. New intervention orders opened 10-25 (three) → K = 3,
  // ΣK = 3, ΣN = 60 + 1500 = 1560 (C has no orders in the window from 11-07; on 10-25 C's orders of
  // 09-26 … 10-08 are 26) — A's ratio is far above 5 either way → flagged from 10-25, restricted 10-31.
  const SECOND_CASES = [
    caseRow('a4', 'A-2026-10-25-1', 'A', '2026-10-25T10:00:00+08:00'),
    caseRow('a5', 'A-2026-10-25-2', 'A', '2026-10-25T11:00:00+08:00'),
    caseRow('a6', 'A-2026-10-24-1', 'A', '2026-10-25T12:00:00+08:00'),
  ];

  it('an exemption never reaches a later episode', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    const exempt = await request(w.app)
      .post('/api/shops/A/decisions')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ action: 'exempt', reason: 'warehouse fire', until: '2026-12-31' });
    expect(exempt.status).toBe(201);
    expect(exempt.body.episodeStart).toBe('2026-10-06');
    expect((await metrics(w, 'A')).restrictions).toEqual([
      { code: 'remove_resource_slots', since: '2026-10-06', exemptUntil: '2026-12-31', policyVersion: expect.any(String) },
      { code: 'ban_resource_slots', since: '2026-10-06', exemptUntil: '2026-12-31', policyVersion: expect.any(String) },
    ]);
    await w.load('2026-10-09', '2026-11-02', SECOND_CASES);
    expect((await shopDay(w.db, 'A', '2026-10-24')).level).toBe('none');
    expect((await shopDay(w.db, 'A', '2026-10-31')).level).toBe('restricted');
    const a = await metrics(w, 'A');
    expect(a.level).toBe('restricted');
    expect(a.restrictions).toEqual([
      { code: 'remove_resource_slots', since: '2026-10-31', policyVersion: expect.any(String) },
      { code: 'ban_resource_slots', since: '2026-10-31', policyVersion: expect.any(String) },
    ]);
    // The first episode was exempted while it lasted.
    expect((await metrics(w, 'A', w.reviewer, '2026-10-20')).restrictions[0]).toEqual({
      code: 'remove_resource_slots',
      since: '2026-10-06',
      exemptUntil: '2026-12-31',
      policyVersion: expect.any(String),
    });
  });

  it('an exemption made while restricted does not cover the escalation to severe', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    await request(w.app)
      .post('/api/shops/A/decisions')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ action: 'exempt', reason: 'courier strike', until: '2026-12-31' })
      .expect(201);
    await w.load('2026-10-09', '2026-10-15');
    const a = await metrics(w, 'A');
    expect(a.level).toBe('severe'); // 14th flagged day: 10-13
    expect(a.restrictions).toEqual([
      { code: 'remove_resource_slots', since: '2026-10-06', exemptUntil: '2026-12-31', policyVersion: expect.any(String) },
      { code: 'ban_resource_slots', since: '2026-10-06', exemptUntil: '2026-12-31', policyVersion: expect.any(String) },
      { code: 'remove_ads', since: '2026-10-13', policyVersion: expect.any(String) },
      { code: 'ban_new_listings', since: '2026-10-13', policyVersion: expect.any(String) },
    ]);
    // The queue shows the same.
    const flagged = await request(w.app).get('/api/flagged?level=severe').set('Authorization', `Bearer ${w.reviewer}`);
    expect(flagged.body.items.find((m: { shopId: string }) => m.shopId === 'A').restrictions).toEqual(a.restrictions);
  });

  it('accepting an appeal whose episode has lifted lifts nothing else', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-08', FIRST_CASES);
    const appeal = await request(w.app).post('/api/shops/A/appeals').set('Authorization', `Bearer ${w.sellerA}`).send({ text: '物流延误，非我方责任' });
    expect(appeal.status).toBe(201);
    expect(appeal.body.episodeStart).toBe('2026-10-06');
    await w.load('2026-10-09', '2026-11-02', SECOND_CASES);
    const answer = await request(w.app)
      .post(`/api/appeals/${appeal.body.id}/answer`)
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ decision: 'accept', reason: 'courier confirmed the delay' });
    expect(answer.status).toBe(201);
    expect(answer.body.state).toBe('accepted');
    // The later episode (since 10-31) stands; no early lift was recorded.
    const a = await metrics(w, 'A');
    expect([a.level, a.restrictions.map((r) => r.since)]).toEqual(['restricted', ['2026-10-31', '2026-10-31']]);
    const [lifts] = await w.db.read((conn) => queryRows<{ n: number }>(conn, "SELECT count(*) AS n FROM decisions WHERE action = 'lift_early'"));
    expect(lifts.n).toBe(0);
    const audit = await request(w.app).get('/api/audit?action=appeal.accepted').set('Authorization', `Bearer ${w.reviewer}`);
    expect(audit.body.items[0].details).toMatchObject({ appealId: appeal.body.id, episodeStart: '2026-10-06', liftsEpisode: false });
    expect(audit.body.items[0].actor).toBe('li@example.com');
  });

  it('an early lift on the day an episode starts lifts it, and survives new data', async () => {
    const w = await world();
    await w.load('2026-09-01', '2026-10-06', FIRST_CASES);
    expect((await metrics(w, 'A')).level).toBe('restricted'); // since 10-06, today
    const lift = await request(w.app)
      .post('/api/shops/A/decisions')
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ action: 'lift_early', reason: 'appeal by phone' });
    expect(lift.status).toBe(201);
    expect((await shopDay(w.db, 'A', '2026-10-06')).level).toBe('warning');
    await w.load('2026-10-07', '2026-10-12');
    // The run starts again after the lift: flagged 10-07 … 10-12 is 6 days → still a warning.
    const d = await shopDay(w.db, 'A', '2026-10-12');
    expect([d.level, d.consecutive_flagged]).toEqual(['warning', 13]);
    await w.load('2026-10-13', '2026-10-13');
    expect((await shopDay(w.db, 'A', '2026-10-13')).level).toBe('restricted'); // 7th day after the lift
  });
});
