// A naive reference for DESIGN §3 under ANY policy (and a schedule of versions by day), written for
// the property test and independent of the server's code: no SQL, no spans, no resuming walks; for
// every shop and every day it counts the window again from the raw rows.
import { addDays, localDay } from '../oracle/oracle.js';

export interface RefPolicy {
  version: string;
  timeZone: string;
  windowDays: number;
  countBasis: 'case_opened' | 'order_paid';
  categoryMean: 'pooled' | 'mean_of_shop_rates';
  minOrders: number;
  minInterventions: number;
  /** The flag ratio in hundredths (a ratio of 2.5 is 250), so the pooled test is exact in integers. */
  ratioHundredths: number;
  restrictedAfter: number;
  severeAfter: number;
  liftAfter: number;
}

export interface RefInput {
  shops: { shopId: string; categoryId: string }[];
  orders: { orderId: string; shopId: string; paidAt: string }[];
  cases: { caseId: string; orderId: string; shopId: string; openedAt: string; kind: 'intervention' | 'complaint'; excluded: boolean }[];
}

export type RefLevel = 'none' | 'warning' | 'restricted' | 'severe';

export interface RefDay {
  orders: number;
  interventions: number;
  complaints: number;
  rate: number | null;
  categoryMean: number | null;
  ratio: number | null;
  judged: boolean;
  flagged: boolean;
  consecutiveFlaggedDays: number;
  level: RefLevel;
}

export interface RefResult {
  first: string;
  last: string;
  /** shop → day → numbers */
  days: Map<string, Map<string, RefDay>>;
}

/**
 * `policyOn(day)` gives the version in force on a day; the window, zone, count basis and mean method
 * are those of `base` (they cannot change from a day on).
 */
export function reference(input: RefInput, base: RefPolicy, policyOn: (day: string) => RefPolicy = () => base): RefResult {
  const tz = base.timeZone;
  const W = base.windowDays;
  const paidDay = new Map<string, string>();
  for (const o of input.orders) paidDay.set(o.orderId, localDay(o.paidAt, tz));
  let first: string | null = null;
  let last: string | null = null;
  for (const day of paidDay.values()) {
    if (first === null || day < first) first = day;
    if (last === null || day > last) last = day;
  }
  if (first === null || last === null) return { first: '', last: '', days: new Map() };
  for (const c of input.cases) {
    const day = localDay(c.openedAt, tz);
    if (day > last) last = day;
  }
  const allDays: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) allDays.push(d);

  // The day each counted case counts on, by the count basis; a case whose order is unknown has no
  // paid day, so under order_paid it counts nowhere.
  const counted = input.cases
    .filter((c) => !c.excluded)
    .map((c) => ({ ...c, day: base.countBasis === 'case_opened' ? localDay(c.openedAt, tz) : (paidDay.get(c.orderId) ?? null) }))
    .filter((c) => c.day !== null);

  const inWindow = (day: string | null | undefined, d: string) => !!day && day <= d && day >= addDays(d, -(W - 1));
  const raw = new Map<string, { orders: number; interventions: number; complaints: number }[]>();
  for (const shop of input.shops) {
    const orders = input.orders.filter((o) => o.shopId === shop.shopId);
    const cases = counted.filter((c) => c.shopId === shop.shopId);
    raw.set(
      shop.shopId,
      allDays.map((d) => ({
        orders: orders.filter((o) => inWindow(paidDay.get(o.orderId), d)).length,
        interventions: new Set(cases.filter((c) => c.kind === 'intervention' && inWindow(c.day, d)).map((c) => c.orderId)).size,
        complaints: new Set(cases.filter((c) => c.kind === 'complaint' && inWindow(c.day, d)).map((c) => c.orderId)).size,
      })),
    );
  }

  const days = new Map<string, Map<string, RefDay>>();
  for (const shop of input.shops) {
    const peers = input.shops.filter((s) => s.categoryId === shop.categoryId).map((s) => raw.get(s.shopId)!);
    const perDay = new Map<string, RefDay>();
    let inForce: 'restricted' | 'severe' | null = null;
    let run = 0;
    let clean = 0;
    allDays.forEach((d, i) => {
      const p = policyOn(d);
      const { orders: n, interventions: k, complaints } = raw.get(shop.shopId)![i];
      const sumK = peers.reduce((a, x) => a + x[i].interventions, 0);
      const sumN = peers.reduce((a, x) => a + x[i].orders, 0);
      const rates = peers.filter((x) => x[i].orders > 0).map((x) => x[i].interventions / x[i].orders);
      const mean = base.categoryMean === 'pooled' ? (sumN > 0 ? sumK / sumN : null) : rates.length > 0 ? rates.reduce((a, r) => a + r, 0) / rates.length : null;
      const rate = n > 0 ? k / n : null;
      const ratio = rate !== null && mean !== null && mean > 0 ? rate / mean : null;
      const judged = n >= p.minOrders && k >= p.minInterventions;
      const complete = d >= addDays(first, W - 1);
      let above = false;
      if (ratio !== null) {
        // pooled: (k/n)/(ΣK/ΣN) ≥ r/100  ⇔  100·k·ΣN ≥ r·n·ΣK, exactly.
        above = base.categoryMean === 'pooled' ? 100 * k * sumN >= p.ratioHundredths * n * sumK : rate! >= (p.ratioHundredths / 100) * mean! * (1 - 1e-9);
      }
      const flagged = judged && complete && ratio !== null && above;
      if (flagged) {
        run += 1;
        clean = 0;
      } else {
        run = 0;
        clean += 1;
      }
      if (inForce !== null && clean >= p.liftAfter) inForce = null;
      if (flagged && inForce === null && run >= p.restrictedAfter) inForce = 'restricted';
      if (flagged && inForce === 'restricted' && run >= p.severeAfter) inForce = 'severe';
      perDay.set(d, {
        orders: n,
        interventions: k,
        complaints,
        rate,
        categoryMean: mean,
        ratio,
        judged,
        flagged,
        consecutiveFlaggedDays: flagged ? run : 0,
        level: inForce ?? (flagged ? 'warning' : 'none'),
      });
    });
    days.set(shop.shopId, perDay);
  }
  return { first, last, days };
}
