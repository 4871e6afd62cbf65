// The forecast: with no new interventions and orders at the recent daily average, when does the
// shop's ratio fall below the threshold, when do its restrictions lift, and how many new
// intervention orders in the next 7 days can it take and stay under? Other shops of the category
// are held at their numbers of the stat date. Pure over its inputs; the loader below reads them.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import type { Forecast } from '../contracts/shop.js';
import { evaluateShop, type DayInput, type LiftOverride } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy.js';
import type { PolicySchedule } from '../policy/schedule.js';
import { addDays } from './shop-queries.js';

export interface ForecastInput {
  date: string;
  /** First day of the data: future days are complete windows once past first + window − 1. */
  firstDay: string;
  policy: Policy;
  /** The shop's days up to the date (for the level walk). */
  history: DayInput[];
  lifts?: LiftOverride[];
  /** Orders paid per day in the window ending on the date. */
  dailyOrders: Map<string, number>;
  /** For each counted intervention order: the last day (≤ date) it has a counted case. */
  lastCaseDays: string[];
  shop: { orders: number; interventions: number };
  category: { orders: number; interventions: number };
  horizon?: number;
}

interface Projected {
  date: string;
  orders: number;
  interventions: number;
  rate: number | null;
  mean: number | null;
  threshold: number | null;
  ratio: number | null;
  flagged: boolean;
}

/** Orders a day over the window ending on the date (over the days with data, when the window is incomplete). */
function dailyAverage(input: ForecastInput): number {
  const daysWithData = Math.round((Date.parse(input.date) - Date.parse(input.firstDay)) / 86_400_000) + 1;
  return input.shop.orders / Math.min(input.policy.windowDays, daysWithData);
}

function project(input: ForecastInput, extraOnNextDay: number, days: number): Projected[] {
  const { policy, date } = input;
  const W = policy.windowDays;
  const average = dailyAverage(input);
  const out: Projected[] = [];
  for (let j = 1; j <= days; j++) {
    const day = addDays(date, j);
    const windowStart = addDays(day, -(W - 1));
    let orders = average * Math.min(j, W);
    for (const [d, n] of input.dailyOrders) if (d >= windowStart) orders += n;
    let interventions = input.lastCaseDays.filter((d) => d >= windowStart).length;
    if (j <= W) interventions += extraOnNextDay; // new ones arrive on the next day and stay W days
    const categoryOrders = input.category.orders - input.shop.orders + orders;
    const categoryInterventions = input.category.interventions - input.shop.interventions + interventions;
    const rate = orders > 0 ? interventions / orders : null;
    const mean = categoryOrders > 0 ? categoryInterventions / categoryOrders : null;
    const ratio = rate !== null && mean ? rate / mean : null;
    const judged = orders >= policy.floors.minOrders && interventions >= policy.floors.minInterventions;
    const complete = day >= addDays(input.firstDay, W - 1);
    // Same comparison as the SQL, cross-multiplied so that exactly the threshold counts as flagged.
    const flagged = judged && complete && categoryInterventions > 0 && interventions * categoryOrders >= policy.flagRatio * orders * categoryInterventions * (1 - 1e-12);
    out.push({ date: day, orders, interventions, rate, mean, threshold: mean === null ? null : policy.flagRatio * mean, ratio, flagged });
  }
  return out;
}

export function forecastShop(input: ForecastInput): Omit<Forecast, 'shopId'> {
  const { policy, date, history } = input;
  const horizon = input.horizon ?? policy.windowDays + policy.lift.afterUnflaggedDays + 7;
  const future = project(input, 0, horizon);
  const days: DayInput[] = [
    ...history,
    ...future.map((p) => ({ day: p.date, flagged: p.flagged, orders: Math.round(p.orders), interventions: p.interventions, rate: p.rate, categoryMean: p.mean, ratio: p.ratio })),
  ];
  const { levels } = evaluateShop(days, policy, input.lifts);
  const todayLevel = levels[history.length - 1] ?? 'none';
  const futureLevels = levels.slice(history.length);
  const flaggedToday = history[history.length - 1]?.flagged ?? false;
  const firstUnflagged = future.findIndex((p) => !p.flagged);
  const firstNone = futureLevels.findIndex((l) => l === 'none');
  const restrictedToday = todayLevel === 'restricted' || todayLevel === 'severe';

  // The most new intervention orders in the next 7 days that keep every one of them unflagged.
  const staysUnder = (x: number) => project(input, x, 7).every((p) => !p.flagged);
  let headroom: number | null = null;
  if (staysUnder(0)) {
    let lo = 0;
    let hi = 1;
    while (hi < 1_000_000 && staysUnder(hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (staysUnder(mid)) lo = mid;
      else hi = mid;
    }
    headroom = lo;
  }
  return {
    date,
    assumptions: { dailyOrders: dailyAverage(input), newInterventions: 0 },
    belowThresholdOn: flaggedToday && firstUnflagged >= 0 ? future[firstUnflagged].date : null,
    liftOn: restrictedToday && firstNone >= 0 ? future[firstNone].date : null,
    headroom7d: headroom,
    points: future.slice(0, 30).map((p, i) => ({ date: p.date, orders: p.orders, interventions: p.interventions, rate: p.rate, threshold: p.threshold, flagged: p.flagged, level: futureLevels[i] })),
  };
}

/** Reads a shop's forecast inputs for a date and computes it. */
export async function loadForecast(conn: DuckDBConnection, schedule: PolicySchedule, firstDay: string, shopId: string, date: string, lifts: LiftOverride[]): Promise<Forecast | null> {
  const policy = schedule.on(date);
  const active = schedule.active;
  const from = addDays(date, -(active.windowDays - 1));
  const today = await queryOne<{ orders: number; interventions: number; category_orders: number; category_interventions: number }>(
    conn,
    'SELECT orders, interventions, category_orders, category_interventions FROM shop_day WHERE shop_id = $shopId AND day = $date::DATE',
    { shopId, date },
  );
  if (!today) return null;
  const history = await queryRows<{ day: string; flagged: boolean; orders: number; interventions: number; rate: number | null; category_mean: number | null; ratio: number | null }>(
    conn,
    `SELECT strftime(day, '%Y-%m-%d') AS day, flagged, orders, interventions, rate, category_mean, ratio
     FROM shop_day WHERE shop_id = $shopId AND day <= $date::DATE ORDER BY day`,
    { shopId, date },
  );
  const orderDays = await queryRows<{ day: string; n: number }>(
    conn,
    `SELECT strftime(CAST(timezone($tz, paid_at) AS DATE), '%Y-%m-%d') AS day, count(*) AS n FROM orders
     WHERE shop_id = $shopId AND CAST(timezone($tz, paid_at) AS DATE) BETWEEN $from::DATE AND $date::DATE GROUP BY ALL`,
    { shopId, tz: active.timeZone, from, date },
  );
  const caseDays = await queryRows<{ day: string }>(
    conn,
    `SELECT strftime(max(CAST(timezone($tz, CASE WHEN $basis = 'order_paid' THEN o.paid_at ELSE c.opened_at END) AS DATE)), '%Y-%m-%d') AS day
     FROM cases c LEFT JOIN orders o ON o.order_id = c.order_id
     WHERE c.shop_id = $shopId AND c.kind = 'intervention' AND NOT c.excluded
       AND CAST(timezone($tz, CASE WHEN $basis = 'order_paid' THEN o.paid_at ELSE c.opened_at END) AS DATE) BETWEEN $from::DATE AND $date::DATE
     GROUP BY c.order_id`,
    { shopId, tz: active.timeZone, basis: active.countBasis, from, date },
  );
  const result = forecastShop({
    date,
    firstDay,
    policy,
    history: history.map((h) => ({ day: h.day, flagged: h.flagged, orders: h.orders, interventions: h.interventions, rate: h.rate, categoryMean: h.category_mean, ratio: h.ratio })),
    lifts,
    dailyOrders: new Map(orderDays.map((o) => [o.day, o.n])),
    lastCaseDays: caseDays.map((c) => c.day),
    shop: { orders: today.orders, interventions: today.interventions },
    category: { orders: today.category_orders, interventions: today.category_interventions },
  });
  return { shopId, ...result };
}
