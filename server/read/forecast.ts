// The forecast: with no new interventions and orders at the recent daily average, when does the
// shop's ratio fall below the threshold, when do its restrictions lift, and how many new
// intervention orders in the next 7 days can it take and stay under? Other shops of the category
// are held at their numbers of the stat date. Each projected day is judged under the policy version
// in force on it (ratio, floors, run lengths, lift days), and the category mean follows the policy's
// method: pooled (ΣK / ΣN) or the mean of the rates of the shops with orders, the shop's own projected
// rate in place of its own term. Pure over its inputs; the loader below reads them.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryPrepared, queryRows } from '../db/database.js';
import type { Forecast } from '../contracts/shop.js';
import { evaluateShop, type DayInput, type Episode, type LiftOverride } from '../policy/evaluate.js';
import type { Policy } from '../policy/policy.js';
import type { PolicySchedule } from '../policy/schedule.js';
import { addDays } from './shop-queries.js';

/** The policy in force on a day: one policy, or a function of the day (a schedule's `on`). */
export type ForecastPolicy = Policy | ((day: string) => Policy);

export interface ForecastInput {
  date: string;
  /** First day of the data: future days are complete windows once past first + window − 1. */
  firstDay: string;
  /**
   * The policy in force on each day (past and projected). Window, zone, count basis and mean method are
   * the same in every version of a schedule; they are read from the policy of the stat date.
   */
  policy: ForecastPolicy;
  /** The shop's days up to the date (for the level walk). */
  history: DayInput[];
  lifts?: readonly LiftOverride[];
  /** Orders paid per day in the window ending on the date. */
  dailyOrders: Map<string, number>;
  /** For each counted intervention order: the last day (≤ date) it has a counted case. */
  lastCaseDays: string[];
  shop: { orders: number; interventions: number };
  /**
   * The category on the stat date. pooled: its window counts (the shop's included). mean_of_shop_rates:
   * the sum and the number of the rates of the OTHER shops with orders in the window (held at the date).
   */
  category: { orders: number; interventions: number; otherRateSum?: number; otherShopsWithOrders?: number };
  horizon?: number;
  /**
   * The exemption in force on the date, if any: the episode it was made on (its start day), the highest
   * level the reviewer saw, and its last day. Its restrictions up to that level do not apply through it.
   */
  exemption?: { until: string; episodeStart: string | null; level: 'restricted' | 'severe' | null } | null;
}

/** When restrictions apply again (see Forecast.returns). */
export interface Returns {
  restrictedOn: string | null;
  severeOn: string | null;
}

interface Projected {
  date: string;
  policyVersion: string;
  orders: number;
  interventions: number;
  rate: number | null;
  mean: number | null;
  threshold: number | null;
  ratio: number | null;
  flagged: boolean;
}

function policyOn(input: ForecastInput): (day: string) => Policy {
  const { policy } = input;
  return typeof policy === 'function' ? policy : () => policy;
}

/** Orders a day over the window ending on the date (over the days with data, when the window is incomplete). */
function dailyAverage(input: ForecastInput): number {
  const daysWithData = Math.round((Date.parse(input.date) - Date.parse(input.firstDay)) / 86_400_000) + 1;
  return input.shop.orders / Math.min(policyOn(input)(input.date).windowDays, daysWithData);
}

function project(input: ForecastInput, extraOnNextDay: number, days: number): Projected[] {
  const { date } = input;
  const on = policyOn(input);
  const structural = on(date);
  const W = structural.windowDays;
  const method = structural.categoryMean;
  const average = dailyAverage(input);
  const otherRateSum = input.category.otherRateSum ?? 0;
  const otherShops = input.category.otherShopsWithOrders ?? 0;
  const out: Projected[] = [];
  for (let j = 1; j <= days; j++) {
    const day = addDays(date, j);
    const policy = on(day);
    const windowStart = addDays(day, -(W - 1));
    let orders = average * Math.min(j, W);
    for (const [d, n] of input.dailyOrders) if (d >= windowStart) orders += n;
    let interventions = input.lastCaseDays.filter((d) => d >= windowStart).length;
    if (j <= W) interventions += extraOnNextDay; // new ones arrive on the next day and stay W days
    const rate = orders > 0 ? interventions / orders : null;
    const judged = orders >= policy.floors.minOrders && interventions >= policy.floors.minInterventions;
    const complete = day >= addDays(input.firstDay, W - 1);
    let mean: number | null;
    let flagged: boolean;
    if (method === 'mean_of_shop_rates') {
      // The mean of the rates of the shops with orders: the others' held at the date, the shop's own projected.
      const shops = otherShops + (rate === null ? 0 : 1);
      mean = shops > 0 ? (otherRateSum + (rate ?? 0)) / shops : null;
      // Same comparison as the SQL for this method.
      flagged = judged && complete && mean !== null && mean > 0 && rate !== null && rate >= policy.flagRatio * mean * (1 - 1e-12);
    } else {
      const categoryOrders = input.category.orders - input.shop.orders + orders;
      const categoryInterventions = input.category.interventions - input.shop.interventions + interventions;
      mean = categoryOrders > 0 ? categoryInterventions / categoryOrders : null;
      // Same comparison as the SQL, cross-multiplied so that exactly the threshold counts as flagged.
      flagged =
        judged &&
        complete &&
        orders > 0 &&
        categoryOrders > 0 &&
        categoryInterventions > 0 &&
        interventions * categoryOrders >= policy.flagRatio * orders * categoryInterventions * (1 - 1e-12);
    }
    const ratio = rate !== null && mean ? rate / mean : null;
    out.push({
      date: day,
      policyVersion: policy.version,
      orders,
      interventions,
      rate,
      mean,
      threshold: mean === null ? null : policy.flagRatio * mean,
      ratio,
      flagged,
    });
  }
  return out;
}

/** Enough days to see the shop fall under and its restrictions lift, with the longest lift rule of the days ahead. */
function defaultHorizon(input: ForecastInput): number {
  const on = policyOn(input);
  const W = on(input.date).windowDays;
  let lift = on(input.date).lift.afterUnflaggedDays;
  for (let j = 1; j <= W + 7 + 365; j++) lift = Math.max(lift, on(addDays(input.date, j)).lift.afterUnflaggedDays);
  return W + lift + 7;
}

export function forecastShop(input: ForecastInput): Omit<Forecast, 'shopId' | 'categoryComparable' | 'minPeerShops'> {
  const { date, history } = input;
  const policy = policyOn(input);
  const horizon = input.horizon ?? defaultHorizon(input);
  const future = project(input, 0, horizon);
  const days: DayInput[] = [
    ...history,
    ...future.map((p) => ({
      day: p.date,
      flagged: p.flagged,
      orders: Math.round(p.orders),
      interventions: p.interventions,
      rate: p.rate,
      categoryMean: p.mean,
      ratio: p.ratio,
    })),
  ];
  const { levels } = evaluateShop(days, policy, input.lifts);
  const todayLevel = levels[history.length - 1] ?? 'none';
  const futureLevels = levels.slice(history.length);
  const flaggedToday = history[history.length - 1]?.flagged ?? false;
  const firstUnflagged = future.findIndex((p) => !p.flagged);
  const firstNone = futureLevels.findIndex((l) => l === 'none');
  const restrictedToday = todayLevel === 'restricted' || todayLevel === 'severe';

  // The most new intervention orders in the next 7 days that keep every one of them unflagged. When even
  // HEADROOM_CAP would not flag the shop (too few orders to be judged, or the shop is most of its category
  // so that its own cases raise the mean with its rate), there is no limit to give: null, unbounded.
  const staysUnder = (x: number) => project(input, x, 7).every((p) => !p.flagged);
  let headroom: number | null = null;
  let headroomUnbounded = false;
  if (staysUnder(0)) {
    if (staysUnder(HEADROOM_CAP)) headroomUnbounded = true;
    else {
      let lo = 0;
      let hi = 1;
      while (staysUnder(hi)) {
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
  }

  // After an early lift or under an exemption: when restrictions apply again if nothing changes.
  const relief = !!input.exemption || (input.lifts ?? []).some((l) => l.day <= date);
  const returns = relief ? returnsAfter(days, history.length, policy, input.lifts ?? [], input.exemption ?? null) : null;
  // What accepting an appeal (an early lift today) would leave: when restrictions would come back.
  const today = restrictedToday ? openEpisodeOn(evaluateShop(days, policy, input.lifts).episodes, date) : null;
  const ifLifted = today
    ? returnsAfter(days, history.length, policy, [...(input.lifts ?? []), { day: date, episodeStart: today.start, level: today.level }], null, true)
    : null;
  return {
    date,
    assumptions: { dailyOrders: dailyAverage(input), newInterventions: 0 },
    belowThresholdOn: flaggedToday && firstUnflagged >= 0 ? future[firstUnflagged].date : null,
    liftOn: restrictedToday && firstNone >= 0 ? future[firstNone].date : null,
    headroom7d: headroom,
    headroomUnbounded,
    horizonDays: horizon,
    flaggedToday,
    returns: returns && (returns.restrictedOn || returns.severeOn) ? returns : null,
    returnsIfLifted: ifLifted,
    points: future.slice(0, 30).map((p, i) => ({
      date: p.date,
      orders: p.orders,
      interventions: p.interventions,
      rate: p.rate,
      threshold: p.threshold,
      flagged: p.flagged,
      level: futureLevels[i],
      policyVersion: p.policyVersion,
    })),
  };
}

/** New intervention orders beyond which the headroom is "no limit" (never a number to show). */
export const HEADROOM_CAP = 1_000_000;

/** The episode (its start: the lowest level's row) and the highest level in force on a day, from a walk's episodes. */
function openEpisodeOn(episodes: readonly Episode[], day: string): { start: string; level: 'restricted' | 'severe' } | null {
  const open = episodes.filter((e) => e.startDay <= day && (e.endDay === null || e.endDay > day)).sort((a, b) => a.startDay.localeCompare(b.startDay));
  if (open.length === 0) return null;
  return { start: open[0].startDay, level: open.some((e) => e.level === 'severe') ? 'severe' : 'restricted' };
}

/**
 * The first projected day on which the restricted level's restrictions apply, and the first on which the
 * severe level's do, walking the days with the lifts under the policy in force each day. An exemption
 * keeps the restrictions of its episode, up to the level the reviewer saw, from applying through its last
 * day (an escalation beyond that level applies at once). `always`: answer even when something applies today.
 */
function returnsAfter(
  days: readonly DayInput[],
  historyLength: number,
  policy: (day: string) => Policy,
  lifts: readonly LiftOverride[],
  exemption: ForecastInput['exemption'],
  always = false,
): Returns | null {
  const { episodes } = evaluateShop(days, policy, lifts);
  const applying = (day: string) => {
    const open = episodes.filter((e) => e.startDay <= day && (e.endDay === null || e.endDay > day)).sort((a, b) => a.startDay.localeCompare(b.startDay));
    if (open.length === 0) return { restricted: false, severe: false };
    const start = open[0].startDay;
    const exempt = (level: 'restricted' | 'severe') =>
      !!exemption &&
      day <= exemption.until &&
      (exemption.episodeStart === null || exemption.episodeStart === start) &&
      (exemption.level === null || exemption.level === 'severe' || level === 'restricted');
    return {
      restricted: open.some((e) => e.level === 'restricted') && !exempt('restricted'),
      severe: open.some((e) => e.level === 'severe') && !exempt('severe'),
    };
  };
  const today = days[historyLength - 1]?.day;
  if (!always && today) {
    const now = applying(today);
    if (now.restricted || now.severe) return null;
  }
  let restrictedOn: string | null = null;
  let severeOn: string | null = null;
  for (let i = historyLength; i < days.length; i++) {
    const now = applying(days[i].day);
    if (now.restricted && restrictedOn === null) restrictedOn = days[i].day;
    if (now.severe && severeOn === null) severeOn = days[i].day;
  }
  return { restrictedOn, severeOn };
}

/** The exemption in force on the date (see ForecastInput.exemption). */
export type ForecastExemption = NonNullable<ForecastInput['exemption']>;

/**
 * Reads a shop's forecast inputs for a date and computes it under the schedule: each day (past and
 * projected) under the version in force on it. `lifts` are passed to the level walk as they come.
 */
export async function loadForecast(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  firstDay: string,
  shopId: string,
  date: string,
  lifts: readonly LiftOverride[],
  /** A what-if: these intervention orders had not happened (they leave the shop's and the category's counts from today on). */
  withoutOrderIds: readonly string[] = [],
): Promise<Omit<Forecast, 'categoryComparable' | 'minPeerShops'> | null> {
  return (await readForecast(conn, schedule, firstDay, shopId, date, lifts, withoutOrderIds, undefined))?.forecast ?? null;
}

/**
 * loadForecast for GET /shops/:id/forecast: the exemption in force comes from the caller (read with the
 * schedule and the lifts, server/read/shop-basics.ts), and with the forecast comes the number of other
 * shops of the category with orders in the window of the date (privacy.ts otherShopsWithOrders), read by
 * the same query as the shop's days.
 */
export async function loadForecastWithOthers(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  firstDay: string,
  shopId: string,
  date: string,
  lifts: readonly LiftOverride[],
  exemption: ForecastExemption | null,
): Promise<{ forecast: Omit<Forecast, 'categoryComparable' | 'minPeerShops'>; otherShopsWithOrders: number } | null> {
  return readForecast(conn, schedule, firstDay, shopId, date, lifts, [], exemption);
}

interface TodayRow {
  orders: number;
  interventions: number;
  category_orders: number;
  category_interventions: number;
  other_rate_sum: number | null;
  other_shops: number;
}

/** `exemption` undefined: read here. */
async function readForecast(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  firstDay: string,
  shopId: string,
  date: string,
  lifts: readonly LiftOverride[],
  withoutOrderIds: readonly string[],
  exemptionGiven: ForecastExemption | null | undefined,
): Promise<{ forecast: Omit<Forecast, 'categoryComparable' | 'minPeerShops'>; otherShopsWithOrders: number } | null> {
  const active = schedule.active;
  const from = addDays(date, -(active.windowDays - 1));
  // The shop's days up to the date in one pass (shop_days): the level walk's history, and on the date's own
  // row (the last, when the shop has one) the window counts of the shop and its category and the category's
  // shops with orders (category_day, for the small-category rule).
  // The hot statements are prepared once per connection (one text each, or one per count basis).
  const history = await queryPrepared<{
    day: string;
    flagged: boolean;
    orders: number;
    interventions: number;
    rate: number | null;
    category_mean: number | null;
    ratio: number | null;
    category_orders: number;
    category_interventions: number;
    shops_with_orders: number | null;
  }>(
    conn,
    `SELECT strftime(d.day, '%Y-%m-%d') AS day, d.flagged, d.orders, d.interventions, d.rate, d.category_mean, d.ratio,
       d.category_orders, d.category_interventions, c.shops_with_orders
     FROM shop_days($shopId, DATE '0001-01-01', $date::DATE) d
     LEFT JOIN category_day c ON c.category_id = d.category_id AND c.day = d.day AND c.day = $date::DATE
     ORDER BY d.day`,
    { shopId, date },
  );
  const last = history[history.length - 1];
  if (!last || last.day !== date) return null;
  // As otherShopsWithOrders counts them (0 when the category has no row that day).
  const otherShopsWithOrders = last.shops_with_orders === null ? 0 : last.shops_with_orders - (last.orders > 0 ? 1 : 0);
  // The other shops' rates are read only under mean_of_shop_rates (the one method that needs them): a pass
  // over the category's shops on that day, which the pooled mean does without.
  const today: TodayRow | undefined =
    schedule.on(date).categoryMean === 'mean_of_shop_rates'
      ? await queryOne<TodayRow>(
          conn,
          `SELECT d.orders, d.interventions, d.category_orders, d.category_interventions,
             (SELECT sum(o.interventions / o.orders) FROM shop_days_on($date::DATE) o
              WHERE o.category_id = d.category_id AND o.shop_id <> d.shop_id AND o.orders > 0) AS other_rate_sum,
             (SELECT count(*) FROM shop_days_on($date::DATE) o
              WHERE o.category_id = d.category_id AND o.shop_id <> d.shop_id AND o.orders > 0)::INTEGER AS other_shops
           FROM shop_days($shopId, $date::DATE, $date::DATE) d`,
          { shopId, date },
        )
      : {
          orders: last.orders,
          interventions: last.interventions,
          category_orders: last.category_orders,
          category_interventions: last.category_interventions,
          other_rate_sum: null,
          other_shops: 0,
        };
  if (!today) return null;
  // The shop's orders per day: the stored daily counts (in the policy's zone, as the metrics count them),
  // or, for a what-if without some orders, the raw orders less those.
  // In day order: the forecast's averages add these up, and a sum of fractions depends on its order.
  const orderDays = await (withoutOrderIds.length === 0 ? queryPrepared : queryRows)<{ day: string; n: number }>(
    conn,
    withoutOrderIds.length === 0
      ? `SELECT strftime(day, '%Y-%m-%d') AS day, orders AS n FROM daily_orders WHERE shop_id = $shopId AND day BETWEEN $from::DATE AND $date::DATE ORDER BY day`
      : `SELECT strftime(CAST(timezone($tz, paid_at) AS DATE), '%Y-%m-%d') AS day, count(*) AS n FROM orders
         WHERE shop_id = $shopId AND CAST(timezone($tz, paid_at) AS DATE) BETWEEN $from::DATE AND $date::DATE
           AND NOT list_contains($without::VARCHAR[], order_id) GROUP BY ALL ORDER BY day`,
    withoutOrderIds.length === 0 ? { shopId, from, date } : { shopId, tz: active.timeZone, from, date, without: JSON.stringify(withoutOrderIds) },
  );
  // Each counted intervention order's last counting day in the window; the orders are read only when cases
  // count by their order's paid day.
  const countedAt = active.countBasis === 'order_paid' ? 'o.paid_at' : 'c.opened_at';
  const caseDays = await queryPrepared<{ day: string }>(
    conn,
    `SELECT strftime(max(CAST(timezone($tz, ${countedAt}) AS DATE)), '%Y-%m-%d') AS day
     FROM cases c ${active.countBasis === 'order_paid' ? 'LEFT JOIN case_orders o ON o.order_id = c.order_id' : ''}
     WHERE c.shop_id = $shopId AND c.kind = 'intervention' AND NOT c.excluded
       AND CAST(timezone($tz, ${countedAt}) AS DATE) BETWEEN $from::DATE AND $date::DATE
       -- The same days as instants, a day wider either side whatever the zone: the cases are stored about in
       -- time order, so this skips the row groups of other months (zone maps).
       AND ${countedAt} >= timezone('UTC', ($from::DATE - 1)::TIMESTAMP) AND ${countedAt} < timezone('UTC', ($date::DATE + 2)::TIMESTAMP)
       AND NOT list_contains($without::VARCHAR[], c.order_id)
     GROUP BY c.order_id`,
    { shopId, tz: active.timeZone, from, date, without: JSON.stringify(withoutOrderIds) },
  );
  // Without the what-if's orders the shop's window counts are those of the filtered rows; the category's
  // counts lose the same.
  const shopOrders = withoutOrderIds.length === 0 ? today.orders : orderDays.reduce((sum, o) => sum + Number(o.n), 0);
  const shopInterventions = withoutOrderIds.length === 0 ? today.interventions : caseDays.length;
  const exemption =
    exemptionGiven !== undefined
      ? exemptionGiven
      : await (async () => {
          const row = await queryOne<{ until: string; episode_start: string | null; episode_level: 'restricted' | 'severe' | null }>(
            conn,
            `SELECT strftime(until_day, '%Y-%m-%d') AS until, strftime(episode_start, '%Y-%m-%d') AS episode_start, episode_level FROM decisions
             WHERE shop_id = $shopId AND action = 'exempt' AND effective_day <= $date::DATE AND until_day >= $date::DATE ORDER BY id DESC LIMIT 1`,
            { shopId, date },
          );
          return row ? { until: row.until, episodeStart: row.episode_start, level: row.episode_level } : null;
        })();
  const result = forecastShop({
    date,
    firstDay,
    exemption,
    policy: (day) => schedule.on(day),
    history: history.map((h) => ({
      day: h.day,
      flagged: h.flagged,
      orders: h.orders,
      interventions: h.interventions,
      rate: h.rate,
      categoryMean: h.category_mean,
      ratio: h.ratio,
    })),
    lifts,
    dailyOrders: new Map(orderDays.map((o) => [o.day, o.n])),
    lastCaseDays: caseDays.map((c) => c.day),
    shop: { orders: shopOrders, interventions: shopInterventions },
    category: {
      orders: today.category_orders - (today.orders - shopOrders),
      interventions: today.category_interventions - (today.interventions - shopInterventions),
      otherRateSum: today.other_rate_sum ?? 0,
      otherShopsWithOrders: today.other_shops,
    },
  });
  return { forecast: { shopId, ...result }, otherShopsWithOrders };
}
