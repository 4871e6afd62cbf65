// Property test: for random policies (floors down to 0, ratios, run lengths, lift days, both mean
// methods, both count bases, windows from 7 to 60 days, two time zones) on random small data sets,
// every shop-day the engine stores equals the naive reference (test/property/reference.ts), and a
// simulation followed by the activation it describes gives every level the simulation promised.
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { queryRows, type Database } from '../server/db/database.js';
import { DEFAULT_POLICY, type Policy } from '../server/policy/policy.js';
import { addDays, HEADERS, ingest, openTempDb, rng, tempDir, writeCsv } from './helpers.js';
import { reference, type RefInput, type RefPolicy } from './property/reference.js';

const secret = new TextEncoder().encode('property-test-secret-0123456789abcdef');
const SEEDS = [11, 23, 37, 41, 59, 61, 73, 89, 97, 101, 113, 127, 131, 149, 151, 163];
const LAST = '2026-11-20';

type Rng = ReturnType<typeof rng>;

const pad = (n: number) => String(n).padStart(2, '0');

/** A timestamp on a local day, written one of three ways; some close to midnight. */
function timestamp(r: Rng, day: string): string {
  const hour = r.chance(0.2) ? 23 : r.chance(0.2) ? 0 : r.int(1, 22);
  const minute = r.int(0, 59);
  const form = r.int(0, 2);
  if (form === 0) return `${day} ${pad(hour)}:${pad(minute)}:00`; // local, no offset
  if (form === 1) return `${day}T${pad(hour)}:${pad(minute)}:00+08:00`;
  // Z: the same wall time in UTC (its local day may differ from `day`)
  return `${day}T${pad(hour)}:${pad(minute)}:00Z`;
}

function generate(r: Rng): RefInput {
  const days = r.int(35, 75);
  const first = addDays(LAST, -(days - 1));
  const shops: RefInput['shops'] = [];
  for (const cat of ['C1', 'C2']) for (let i = 0; i < r.int(2, 6); i++) shops.push({ shopId: `${cat}-S${i}`, categoryId: cat });
  const orders: RefInput['orders'] = [];
  const cases: RefInput['cases'] = [];
  let caseNo = 0;
  const caseDay = (from: string, maxLater: number) => {
    const day = addDays(from, r.int(0, maxLater));
    return day > '2026-11-24' ? '2026-11-24' : day;
  };
  for (const shop of shops) {
    const badness = r.pick([0, 0.02, 0.08, 0.25, 0.5]);
    const perDay = r.pick([0, 1, 2, 3, 5]);
    for (let d = first; d <= LAST; d = addDays(d, 1)) {
      const n = perDay === 0 ? 0 : r.int(0, perDay);
      for (let j = 0; j < n; j++) {
        const orderId = `${shop.shopId}-${d}-${j}`;
        orders.push({ orderId, shopId: shop.shopId, paidAt: timestamp(r, d) });
        if (r.chance(badness)) {
          const opened = caseDay(d, 10);
          cases.push({ caseId: `k${caseNo++}`, orderId, shopId: shop.shopId, openedAt: timestamp(r, opened), kind: 'intervention', excluded: r.chance(0.1) });
          // A second case on the same order, days later: it counts once.
          if (r.chance(0.3))
            cases.push({
              caseId: `k${caseNo++}`,
              orderId,
              shopId: shop.shopId,
              openedAt: timestamp(r, caseDay(opened, 40)),
              kind: 'intervention',
              excluded: false,
            });
        }
        if (r.chance(0.04))
          cases.push({
            caseId: `k${caseNo++}`,
            orderId,
            shopId: shop.shopId,
            openedAt: timestamp(r, caseDay(d, 5)),
            kind: 'complaint',
            excluded: r.chance(0.2),
          });
      }
    }
    // Cases on orders not in the data (counted by their opened day only), one before the first day.
    if (r.chance(0.5))
      cases.push({
        caseId: `k${caseNo++}`,
        orderId: `${shop.shopId}-missing-1`,
        shopId: shop.shopId,
        openedAt: timestamp(r, addDays(first, -r.int(1, 5))),
        kind: 'intervention',
        excluded: false,
      });
    if (r.chance(0.5))
      cases.push({
        caseId: `k${caseNo++}`,
        orderId: `${shop.shopId}-missing-2`,
        shopId: shop.shopId,
        openedAt: timestamp(r, caseDay(first, days)),
        kind: 'intervention',
        excluded: false,
      });
  }
  return { shops, orders, cases };
}

function randomPolicy(r: Rng, version: string, structure?: Policy): Policy {
  const restricted = r.int(1, 7);
  return {
    ...DEFAULT_POLICY,
    version,
    timeZone: structure?.timeZone ?? r.pick(['Asia/Shanghai', 'UTC']),
    windowDays: structure?.windowDays ?? r.pick([7, r.int(8, 29), 30, r.int(31, 59), 60]),
    countBasis: structure?.countBasis ?? r.pick(['case_opened', 'order_paid'] as const),
    categoryMean: structure?.categoryMean ?? r.pick(['pooled', 'mean_of_shop_rates'] as const),
    floors: { minOrders: r.pick([0, 0, 1, 5, 20, 30]), minInterventions: r.pick([0, 0, 1, 2, 3]) },
    flagRatio: r.pick([1, 1.25, 1.5, 2, 2.5, 3, 5]),
    levels: [
      { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: restricted },
      { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: restricted + r.int(0, 7) },
    ],
    lift: { afterUnflaggedDays: r.int(1, 7) },
  };
}

function refPolicy(p: Policy): RefPolicy {
  return {
    version: p.version,
    timeZone: p.timeZone,
    windowDays: p.windowDays,
    countBasis: p.countBasis,
    categoryMean: p.categoryMean,
    minOrders: p.floors.minOrders,
    minInterventions: p.floors.minInterventions,
    ratioHundredths: Math.round(p.flagRatio * 100),
    restrictedAfter: p.levels[0].afterFlaggedDays,
    severeAfter: p.levels[1].afterFlaggedDays,
    liftAfter: p.lift.afterUnflaggedDays,
  };
}

function writeInput(input: RefInput): string {
  const dir = tempDir('iw-property-');
  writeCsv(dir, 'categories.csv', HEADERS.categories, [
    ['C1', '女装', ''],
    ['C2', '图书', ''],
  ]);
  writeCsv(
    dir,
    'shops.csv',
    HEADERS.shops,
    input.shops.map((s) => [s.shopId, `${s.shopId}店`, s.categoryId]),
  );
  writeCsv(
    dir,
    'orders.csv',
    HEADERS.orders,
    input.orders.map((o) => [o.orderId, o.shopId, o.paidAt, '9.90']),
  );
  writeCsv(
    dir,
    'interventions.csv',
    HEADERS.interventions,
    input.cases.map((c) => [c.caseId, c.orderId, c.shopId, c.openedAt, c.kind, 'quality', 'open', '', String(c.excluded), c.excluded ? 'force_majeure' : '']),
  );
  return dir;
}

interface StoredDay {
  shop_id: string;
  day: string;
  orders: number;
  interventions: number;
  complaints: number;
  rate: number | null;
  category_mean: number | null;
  ratio: number | null;
  judged: boolean;
  flagged: boolean;
  consecutive_flagged: number;
  level: string;
}

async function stored(db: Database): Promise<StoredDay[]> {
  return db.read((conn) =>
    queryRows<StoredDay>(
      conn,
      `SELECT shop_id, strftime(day, '%Y-%m-%d') AS day, orders, interventions, complaints, rate, category_mean, ratio, judged, flagged,
         consecutive_flagged, level FROM shop_day ORDER BY shop_id, day`,
    ),
  );
}

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));

/** Every stored shop-day against the reference; returns the first mismatches (empty when all agree). */
function compare(rows: StoredDay[], want: ReturnType<typeof reference>, shops: number): string[] {
  const problems: string[] = [];
  const expectedRows = shops * want.days.values().next().value!.size;
  if (rows.length !== expectedRows) problems.push(`stored ${rows.length} shop-days, the reference has ${expectedRows}`);
  for (const row of rows) {
    const w = want.days.get(row.shop_id)?.get(row.day);
    if (!w) {
      problems.push(`${row.shop_id} ${row.day}: not in the reference`);
      continue;
    }
    const same =
      row.orders === w.orders &&
      row.interventions === w.interventions &&
      row.complaints === w.complaints &&
      row.judged === w.judged &&
      row.flagged === w.flagged &&
      row.consecutive_flagged === w.consecutiveFlaggedDays &&
      row.level === w.level &&
      close(row.rate, w.rate) &&
      close(row.category_mean, w.categoryMean) &&
      close(row.ratio, w.ratio);
    if (!same) problems.push(`${row.shop_id} ${row.day}: engine ${JSON.stringify(row)} reference ${JSON.stringify(w)}`);
    if (problems.length >= 5) break;
  }
  return problems;
}

const dbs: Database[] = [];
/** What the seeds exercised together, so that the property cannot pass vacuously. */
const seen = { levels: new Set<string>(), bases: new Set<string>(), means: new Set<string>(), zeroFloors: 0, simulatedChanges: 0, datedActivations: 0 };
afterAll(async () => {
  for (const db of dbs) await db.close();
});

describe('every policy: engine = naive reference, and simulate-then-activate = simulated', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      const r = rng(seed);
      const input = generate(r);
      const base = randomPolicy(r, `p${seed}`);
      const { db } = await openTempDb();
      dbs.push(db);
      const app = createApp({ db, secret });
      const admin = await signToken(secret, { role: 'admin', subject: 'property@example.com' });
      const reviewer = await signToken(secret, { role: 'reviewer', subject: 'property@example.com' });
      // The policy is activated before any data: it applies from the data's first day.
      await request(app).post('/api/policy/activate').set('Authorization', `Bearer ${admin}`).send({ policy: base }).expect(201);
      const report = await ingest(db, [writeInput(input)]);
      expect(report.rejected).toBe(0);

      const want = reference(input, refPolicy(base));
      for (const day of [...want.days.values()].flatMap((m) => [...m.values()])) seen.levels.add(day.level);
      seen.bases.add(base.countBasis);
      seen.means.add(base.categoryMean);
      if (base.floors.minOrders === 0 || base.floors.minInterventions === 0) seen.zeroFloors++;
      if (process.env.PROPERTY_DEBUG) {
        const all = [...want.days.values()].flatMap((m) => [...m.values()]);
        console.log(
          seed,
          JSON.stringify({
            base: refPolicy(base),
            days: want.days.values().next().value!.size,
            orders: input.orders.length,
            cases: input.cases.length,
            flagged: all.filter((d) => d.flagged).length,
            levels: [...new Set(all.map((d) => d.level))],
          }),
        );
      }
      expect(compare(await stored(db), want, input.shops.length), `policy ${JSON.stringify(base)}`).toEqual([]);

      // A candidate with other floors, ratio, runs and lift, from a random day (or the default: the last).
      const candidate = randomPolicy(r, `q${seed}`, base);
      const effectiveFrom = r.chance(0.3)
        ? undefined
        : addDays(want.first, r.int(1, Math.max(1, Math.round((Date.parse(want.last) - Date.parse(want.first)) / 864e5))));
      const date = want.last;
      const sim = await request(app).post('/api/policy/simulate').set('Authorization', `Bearer ${reviewer}`).send({ policy: candidate, date, effectiveFrom });
      expect(sim.status).toBe(200);
      expect(sim.body.effectiveFrom).toBe(effectiveFrom ?? want.last);
      const before = new Map((await stored(db)).filter((d) => d.day === date).map((d) => [d.shop_id, d.level]));
      const promised = new Map(before);
      for (const change of sim.body.changes as { shopId: string; from: string; to: string }[]) {
        expect(change.from).toBe(before.get(change.shopId));
        promised.set(change.shopId, change.to);
      }
      await request(app)
        .post('/api/policy/activate')
        .set('Authorization', `Bearer ${admin}`)
        .send({ policy: candidate, effectiveFrom: sim.body.effectiveFrom })
        .expect(201);
      const after = await stored(db);
      seen.simulatedChanges += sim.body.changes.length;
      if (sim.body.effectiveFrom !== want.last) seen.datedActivations++;
      if (process.env.PROPERTY_DEBUG) console.log(seed, 'changes', sim.body.changes.length, 'from', sim.body.effectiveFrom);
      expect(new Map(after.filter((d) => d.day === date).map((d) => [d.shop_id, d.level]))).toEqual(promised);

      // And after activation, every day equals the reference under the schedule.
      const from = sim.body.effectiveFrom as string;
      const scheduled = reference(input, refPolicy(base), (day) => refPolicy(day >= from ? candidate : base));
      expect(compare(after, scheduled, input.shops.length), `schedule ${JSON.stringify({ base, candidate, from })}`).toEqual([]);
    }, 60_000);
  }

  it('exercised every level, both count bases and mean methods, floors of 0, and simulations that change levels', () => {
    expect([...seen.levels].sort()).toEqual(['none', 'restricted', 'severe', 'warning']);
    expect([...seen.bases].sort()).toEqual(['case_opened', 'order_paid']);
    expect([...seen.means].sort()).toEqual(['mean_of_shop_rates', 'pooled']);
    expect(seen.zeroFloors).toBeGreaterThan(0);
    expect(seen.simulatedChanges).toBeGreaterThan(0);
    expect(seen.datedActivations).toBeGreaterThan(0);
  });
});
