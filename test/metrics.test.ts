// Metric engine tests. Every expected number below was worked out by hand from the fixture rows;
// the comments show the working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, shopDay, shopDays, snapshot, writeCsv } from './helpers.js';

describe('30-day window, day boundaries, distinct orders, complaints and exclusions', () => {
  // First day 2026-09-01; data through 2026-11-10.
  // A (C1): 2 orders a day at 12:00 local. B (C1): 1 order a day, plus one at 2026-10-31 23:59:59+08:00
  // and one at 2026-10-31T16:00:00Z (= 2026-11-01 00:00 local). C (C2): one order on 09-01 only.
  let db: Database;
  let dir: string;
  beforeAll(async () => {
    ({ db, dir } = await openTempDb());
    writeCsv(dir, 'categories.csv', HEADERS.categories, [
      ['C1', '女装', ''],
      ['C2', '图书', ''],
    ]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [
      ['A', '甲店', 'C1'],
      ['B', '乙店', 'C1'],
      ['C', '丙店', 'C2'],
    ]);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('A', '2026-09-01', '2026-11-10', 2),
      ...dailyOrders('B', '2026-09-01', '2026-11-10', 1),
      ['B-late', 'B', '2026-10-31T23:59:59+08:00', '9.90'],
      ['B-midnight', 'B', '2026-10-31T16:00:00Z', '9.90'],
      ['C-1', 'C', '2026-09-01 08:00:00', '5.00'],
    ]);
    writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
      caseRow('k1', 'A-2026-10-02-1', 'A', '2026-10-02T09:00:00+08:00'), // D−29 of 10-31: in
      caseRow('k2', 'A-2026-10-01-1', 'A', '2026-10-01T23:59:59+08:00'), // local day 10-01 = D−30 of 10-31: out
      caseRow('k3', 'A-2026-10-05-1', 'A', '2026-10-05T10:00:00+08:00'), // k3 and k4: one order, two days
      caseRow('k4', 'A-2026-10-05-1', 'A', '2026-10-20T10:00:00+08:00'),
      caseRow('k5', 'A-2026-10-06-1', 'A', '2026-10-06T10:00:00+08:00', { kind: 'complaint', reason: 'refund_refused' }),
      caseRow('k6', 'A-2026-10-07-1', 'A', '2026-10-07T10:00:00+08:00', { excluded: 'true', exclusionReason: 'force_majeure' }),
      caseRow('k7', 'NOT-IN-DATA', 'A', '2026-10-08T10:00:00+08:00'), // its order is not in the data: still counts
      caseRow('k8', 'A-2026-10-09-1', 'A', '2026-10-09T16:30:00Z'), // = 2026-10-10 00:30 local
      caseRow('k9', 'A-2026-10-11-1', 'A', '2026-10-11 23:30:00'), // no offset: local, day 10-11
      caseRow('k10', 'B-2026-09-05-1', 'B', '2026-09-05T10:00:00+08:00'), // k10 and k11: one order, 45 days apart
      caseRow('k11', 'B-2026-09-05-1', 'B', '2026-10-20T10:00:00+08:00'),
    ]);
    const report = await ingest(db, [dir]);
    expect(report.rejected).toBe(0);
    expect(report.exitCode).toBe(0);
  });
  afterAll(async () => db.close());

  it('counts orders paid in D−29 … D by the local calendar day', async () => {
    // A: 2 a day × 30 days.
    expect((await shopDay(db, 'A', '2026-10-31')).orders).toBe(60);
    // B on 10-31: 30 regular + the 23:59:59+08:00 one; the 16:00Z one is local 11-01.
    expect((await shopDay(db, 'B', '2026-10-31')).orders).toBe(31);
    // B on 11-01 (window 10-03 … 11-01): 30 regular + both extra orders.
    expect((await shopDay(db, 'B', '2026-11-01')).orders).toBe(32);
    // An offset-less timestamp is local time: C's only order is on 09-01, so 09-01's window has it.
    expect((await shopDay(db, 'C', '2026-09-01')).orders).toBe(1);
    // A window that starts before the first day only holds what exists: A on 09-10 has 10 days × 2.
    expect((await shopDay(db, 'A', '2026-09-10')).orders).toBe(20);
  });

  it('keeps D−29 in the window and drops D−30', async () => {
    // 10-30 (window 10-01 … 10-30): k2 (10-01), k1, k3/k4's order, k7, k8, k9 → 6 orders.
    expect((await shopDay(db, 'A', '2026-10-30')).interventions).toBe(6);
    // 10-31 (window 10-02 … 10-31): k2 has left → 5.
    expect((await shopDay(db, 'A', '2026-10-31')).interventions).toBe(5);
  });

  it('places Z and offset-less case timestamps on the local day', async () => {
    // 11-08 (window 10-10 … 11-08): k8 (local 10-10), k9 (10-11), k4 (10-20) → 3; k1 and k7 have left.
    expect((await shopDay(db, 'A', '2026-11-08')).interventions).toBe(3);
    // 11-09 (window 10-11 … 11-09): k8 has left → 2. Had k8 been placed on its UTC day (10-09) both would be 2.
    expect((await shopDay(db, 'A', '2026-11-09')).interventions).toBe(2);
  });

  it('counts an order with several cases once, and again when its cases are more than 30 days apart', async () => {
    // A's order A-2026-10-05-1 has k3 (10-05) and k4 (10-20): on 10-25 both are in the window, it counts once.
    // 10-25 (window 09-26 … 10-25): k1, k2, k3/k4, k7, k8, k9 → 6.
    expect((await shopDay(db, 'A', '2026-10-25')).interventions).toBe(6);
    // B's order B-2026-09-05-1: k10 (09-05) in windows up to 10-04, k11 (10-20) from 10-20 on.
    expect((await shopDay(db, 'B', '2026-10-04')).interventions).toBe(1);
    expect((await shopDay(db, 'B', '2026-10-05')).interventions).toBe(0);
    expect((await shopDay(db, 'B', '2026-10-19')).interventions).toBe(0);
    expect((await shopDay(db, 'B', '2026-10-20')).interventions).toBe(1);
    expect((await shopDay(db, 'B', '2026-11-10')).interventions).toBe(1);
  });

  it('counts complaints apart, never in the rate, and excluded cases nowhere', async () => {
    const a = await shopDay(db, 'A', '2026-10-31');
    expect(a.complaints).toBe(1); // k5
    // k6 is excluded: 10-31's 5 interventions are k1, k3/k4, k7, k8, k9.
    expect(a.interventions).toBe(5);
    expect(a.rate).toBeCloseTo(5 / 60, 12);
  });

  it('pools the category mean over every shop of the category', async () => {
    // C1 on 10-31: ΣK = 5 (A) + 1 (B, k11) = 6; ΣN = 60 + 31 = 91.
    const a = await shopDay(db, 'A', '2026-10-31');
    expect(a.category_mean).toBeCloseTo(6 / 91, 12);
    expect(a.ratio).toBeCloseTo(5 / 60 / (6 / 91), 12);
    expect(a.judged).toBe(true); // 60 ≥ 30 and 5 ≥ 3
    expect(a.flagged).toBe(false); // ratio 1.26 < 5
    // C2 has no interventions: mean 0, so no ratio.
    const c = await shopDay(db, 'C', '2026-09-01');
    expect(c.category_mean).toBe(0);
    expect(c.ratio).toBeNull();
    // A shop with no orders in its window has no rate.
    expect((await shopDay(db, 'C', '2026-11-10')).rate).toBeNull();
  });

  it('has a row for every shop on every day from the first to the last', async () => {
    for (const shop of ['A', 'B', 'C']) {
      const days = await shopDays(db, shop);
      expect(days.length).toBe(71); // 09-01 … 11-10
      expect(days[0].day).toBe('2026-09-01');
      expect(days[70].day).toBe('2026-11-10');
    }
  });
});

describe('floors, the exact threshold, incomplete windows, runs, restrictions and lifting', () => {
  // First day 2026-09-01, data through 2026-10-31.
  // C1: P 1 order/day with intervention orders opened 10-01, 10-02, 10-03; Q 9 orders/day with intervention
  //     orders opened 10-01, 10-02, 10-03 and 10-04.
  // C2: R 1 order/day but none on 10-10, intervention orders 10-01, 10-02, 10-03; S 10 orders/day, no cases.
  // C3: T 2 orders/day, intervention orders 09-18, 09-19, 09-20; U 10 orders/day, no cases.
  let db: Database;
  let dir: string;
  const interventions = (excludeP3 = false) => [
    caseRow('p1', 'P-2026-10-01-1', 'P', '2026-10-01T10:00:00+08:00'),
    caseRow('p2', 'P-2026-10-02-1', 'P', '2026-10-02T10:00:00+08:00'),
    caseRow('p3', 'P-2026-10-03-1', 'P', '2026-10-03T10:00:00+08:00', excludeP3 ? { excluded: 'true', exclusionReason: 'malicious_buyer' } : {}),
    caseRow('q1', 'Q-2026-10-01-1', 'Q', '2026-10-01T10:00:00+08:00'),
    caseRow('q2', 'Q-2026-10-02-1', 'Q', '2026-10-02T10:00:00+08:00'),
    caseRow('q3', 'Q-2026-10-03-1', 'Q', '2026-10-03T10:00:00+08:00'),
    caseRow('q4', 'Q-2026-10-04-1', 'Q', '2026-10-04T10:00:00+08:00'),
    caseRow('r1', 'R-2026-10-01-1', 'R', '2026-10-01T10:00:00+08:00'),
    caseRow('r2', 'R-2026-10-02-1', 'R', '2026-10-02T10:00:00+08:00'),
    caseRow('r3', 'R-2026-10-03-1', 'R', '2026-10-03T10:00:00+08:00'),
    caseRow('t1', 'T-2026-09-18-1', 'T', '2026-09-18T10:00:00+08:00'),
    caseRow('t2', 'T-2026-09-19-1', 'T', '2026-09-19T10:00:00+08:00'),
    caseRow('t3', 'T-2026-09-20-1', 'T', '2026-09-20T10:00:00+08:00'),
  ];
  beforeAll(async () => {
    ({ db, dir } = await openTempDb());
    writeCsv(dir, 'categories.csv', HEADERS.categories, [
      ['C1', '女装', ''],
      ['C2', '图书', ''],
      ['C3', '生鲜', ''],
    ]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [
      ['P', 'P店', 'C1'],
      ['Q', 'Q店', 'C1'],
      ['R', 'R店', 'C2'],
      ['S', 'S店', 'C2'],
      ['T', 'T店', 'C3'],
      ['U', 'U店', 'C3'],
    ]);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ...dailyOrders('P', '2026-09-01', '2026-10-31', 1),
      ...dailyOrders('Q', '2026-09-01', '2026-10-31', 9),
      ...dailyOrders('R', '2026-09-01', '2026-10-31', 1, '12:00:00', ['2026-10-10']),
      ...dailyOrders('S', '2026-09-01', '2026-10-31', 10),
      ...dailyOrders('T', '2026-09-01', '2026-10-31', 2),
      ...dailyOrders('U', '2026-09-01', '2026-10-31', 10),
    ]);
    writeCsv(dir, 'interventions.csv', HEADERS.interventions, interventions());
    expect((await ingest(db, [dir])).exitCode).toBe(0);
  });
  afterAll(async () => db.close());

  it('flags a ratio of exactly 5', async () => {
    // 10-03: P N = 30, K = 3 → 0.1; C1 ΣK = 6, ΣN = 300 → 0.02; ratio 5 exactly.
    const p = await shopDay(db, 'P', '2026-10-03');
    expect([p.orders, p.interventions]).toEqual([30, 3]);
    expect(p.category_mean).toBeCloseTo(0.02, 15);
    expect(p.ratio).toBeCloseTo(5, 12);
    expect(p.flagged).toBe(true);
    expect(p.level).toBe('warning');
    expect(p.consecutive_flagged).toBe(1);
  });

  it('does not flag just below 5', async () => {
    // 10-04: Q's fourth case → ΣK = 7, mean 7/300; P ratio = 0.1 / (7/300) = 4.2857.
    const p = await shopDay(db, 'P', '2026-10-04');
    expect(p.ratio).toBeCloseTo(30 / 7, 12);
    expect(p.flagged).toBe(false);
    expect(p.level).toBe('none');
    expect(p.consecutive_flagged).toBe(0);
  });

  it('judges only from 3 intervention orders', async () => {
    // 10-02: P has K = 2 (ratio (2/30)/(4/300) = 5, but K < 3).
    const p = await shopDay(db, 'P', '2026-10-02');
    expect(p.interventions).toBe(2);
    expect(p.ratio).toBeCloseTo(5, 12);
    expect(p.judged).toBe(false);
    expect(p.flagged).toBe(false);
  });

  it('judges only from 30 orders', async () => {
    // 10-15 (window 09-16 … 10-15): R has 29 orders (none on 10-10), K = 3, ratio (3/29)/(3/329) = 11.3.
    const r15 = await shopDay(db, 'R', '2026-10-15');
    expect([r15.orders, r15.interventions, r15.judged, r15.flagged]).toEqual([29, 3, false, false]);
    expect(r15.ratio).toBeCloseTo(329 / 29, 12);
    // 10-09 (window 09-10 … 10-09): 30 orders → judged, ratio (3/30)/(3/330) = 11 → flagged.
    const r09 = await shopDay(db, 'R', '2026-10-09');
    expect([r09.orders, r09.judged, r09.flagged]).toEqual([30, true, true]);
    expect(r09.ratio).toBeCloseTo(11, 12);
  });

  it('never flags a day whose window starts before the first day', async () => {
    // 09-20: T N = 40, K = 3; U N = 200 → ratio (3/40)/(3/240) = 6, judged, but 09-20 < 09-01 + 29.
    const t = await shopDay(db, 'T', '2026-09-20');
    expect([t.orders, t.interventions, t.judged, t.complete, t.flagged, t.level]).toEqual([40, 3, true, false, false, 'none']);
    expect(t.ratio).toBeCloseTo(6, 12);
    // 09-29 is the last incomplete day; 09-30 the first complete one: flagged, run 1.
    expect((await shopDay(db, 'T', '2026-09-29')).flagged).toBe(false);
    const t30 = await shopDay(db, 'T', '2026-09-30');
    expect([t30.complete, t30.flagged, t30.consecutive_flagged, t30.level]).toEqual([true, true, 1, 'warning']);
  });

  it('restricts on the 7th flagged day, escalates on the 14th and lifts after 7 unflagged days', async () => {
    // T is flagged 09-30 … 10-17 (t1 on 09-18 is in the window through 10-17), 18 days.
    const days = await shopDays(db, 'T');
    const level = (d: string) => days.find((x) => x.day === d)!;
    expect([level('2026-10-05').level, level('2026-10-05').consecutive_flagged]).toEqual(['warning', 6]);
    expect([level('2026-10-06').level, level('2026-10-06').consecutive_flagged]).toEqual(['restricted', 7]);
    expect([level('2026-10-12').level, level('2026-10-13').level]).toEqual(['restricted', 'severe']);
    expect([level('2026-10-17').flagged, level('2026-10-17').consecutive_flagged]).toEqual([true, 18]);
    // 10-18: t1 has left, K = 2: not judged, unflagged; the level stays through 6 clean days …
    expect([level('2026-10-18').flagged, level('2026-10-18').level]).toEqual([false, 'severe']);
    expect(level('2026-10-23').level).toBe('severe');
    // … and lifts on the 7th (10-24).
    expect(level('2026-10-24').level).toBe('none');
    const episodes = await db.read((conn) =>
      conn.runAndReadAll(`SELECT level, strftime(start_day, '%Y-%m-%d') s, strftime(end_day, '%Y-%m-%d') e, orders, interventions, flagged_days
                          FROM restriction_episodes WHERE shop_id = 'T' ORDER BY start_day`),
    );
    expect(episodes.getRowsJS()).toEqual([
      ['restricted', '2026-10-06', '2026-10-24', 60, 3, 7],
      ['severe', '2026-10-13', '2026-10-24', 60, 3, 14],
    ]);
  });

  it('re-ingesting the same files changes nothing', async () => {
    const before = await snapshot(db);
    const report = await ingest(db, [dir]);
    expect(report.exitCode).toBe(0);
    expect(await snapshot(db)).toEqual(before);
  });

  it('an update that excludes a case takes it out of every count', async () => {
    writeCsv(
      dir,
      'interventions-update.csv',
      HEADERS.interventions,
      interventions(true).filter((r) => r[0] === 'p3'),
    );
    const report = await ingest(db, [`${dir}/interventions-update.csv`]);
    expect([report.accepted, report.exitCode]).toEqual([1, 0]);
    const p = await shopDay(db, 'P', '2026-10-03');
    // K = 2 now; ΣK = 5, ratio (2/30)/(5/300) = 4; not judged anyway.
    expect([p.interventions, p.judged, p.flagged, p.level]).toEqual([2, false, false, 'none']);
    expect(p.category_mean).toBeCloseTo(5 / 300, 15);
    // And back: the case counts again.
    writeCsv(
      dir,
      'interventions-update.csv',
      HEADERS.interventions,
      interventions(false).filter((r) => r[0] === 'p3'),
    );
    await ingest(db, [`${dir}/interventions-update.csv`]);
    expect((await shopDay(db, 'P', '2026-10-03')).flagged).toBe(true);
  });
});
