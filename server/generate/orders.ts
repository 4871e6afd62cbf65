// Demo generator, orders: how many orders each shop gets on each day (planned up front, since
// the metrics depend on it) and, when writing, each day's orders in payment-time order with
// their cosmetic details (time of day, order id, timestamp style, amount) as orders.csv lines.
import { TS_STYLES, timestamp, type Calendar } from './calendar.js';
import { LEAVES, type Leaf, type Shop } from './catalogue.js';
import { Random, Weighted } from './random.js';

export const ORDERS_HEADER = 'order_id,shop_id,paid_at,amount,goods_id';

// Orders by hour of the local day: quiet at night, peaks late morning and in the evening.
export const HOUR_WEIGHTS = [2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 1.8, 3, 4.2, 5.5, 5.5, 4.8, 4.5, 4.8, 5, 4.8, 4.2, 4, 5, 6.5, 7.2, 6.5, 4];
const HOURS = new Weighted<number>(HOUR_WEIGHTS.map((w, h) => [h, w] as const));

/** The shop's number of orders on each day of the calendar (0 before it opens). */
export function drawCounts(seed: number, shop: Shop, cal: Calendar): Int32Array {
  const rng = new Random(seed, 1, shop.index);
  const counts = new Int32Array(cal.days);
  for (let d = shop.start; d < cal.days; d++) {
    // Day-to-day noise on top of Poisson: shops run promotions, have slow days.
    counts[d] = rng.poisson(shop.lambda * cal.volume[d] * rng.lognormal(-0.02, 0.2));
  }
  return counts;
}

/** One day's orders: shop index, the order's index within that shop's day, payment second. */
export interface DayOrders {
  /** Order ids of the day start with this: O + YYYYMMDD. */
  idPrefix: string;
  total: number;
  shop: Int32Array;
  idx: Int32Array;
  sec: Int32Array;
  /** Positions into the arrays above, sorted by payment time (stable: ties keep shop order). */
  order: number[];
}

/** Draw the payment times of every order of day `d` (shop by shop) and sort them like a real export. */
export function drawDayOrders(rng: Random, cal: Calendar, d: number, counts: Int32Array[]): DayOrders {
  let total = 0;
  for (let s = 0; s < counts.length; s++) total += counts[s][d];
  const shop = new Int32Array(total);
  const idx = new Int32Array(total);
  const sec = new Int32Array(total);
  let j = 0;
  for (let s = 0; s < counts.length; s++) {
    const n = counts[s][d];
    for (let i = 0; i < n; i++, j++) {
      shop[j] = s;
      idx[j] = i;
      sec[j] = orderSecond(rng, cal.doubleEleven[d] === 1);
    }
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => sec[a] - sec[b]);
  return { idPrefix: `O${cal.labels[d + 1].replace(/-/g, '')}`, total, shop, idx, sec, order };
}

/** Order ids number the day's orders in payment order: O + YYYYMMDD + 6-digit sequence. */
export function orderId(day: DayOrders, seq: number): string {
  return `${day.idPrefix}${String(seq + 1).padStart(6, '0')}`;
}

/** The orders.csv line of an order of goods `goodsId` paid on day `d` at second `sec`. */
export function orderLine(rng: Random, cal: Calendar, id: string, shop: Shop, d: number, sec: number, goodsId: string): string {
  return `${id},${shop.id},${timestamp(cal, d, sec, TS_STYLES.draw(rng))},${amount(rng, LEAVES[shop.leaf])},${goodsId}\n`;
}

function amount(rng: Random, leaf: Leaf): string {
  const x = Math.max(1, leaf.price * rng.lognormal(0, 0.6));
  const r = rng.next();
  // Shop prices mostly end in .90 or .00; discounts give arbitrary cents.
  const v = r < 0.55 ? Math.floor(x) + 0.9 : r < 0.8 ? Math.round(x) : Math.round(x * 100) / 100;
  return v.toFixed(2);
}

/** Second of the local day at which an order is paid. */
function orderSecond(rng: Random, doubleEleven: boolean): number {
  const r = rng.next();
  // Extra weight right around midnight, so day boundaries get exercised.
  if (r < 0.008) return 86340 + rng.int(60);
  if (r < 0.016) return rng.int(60);
  // 双11: a rush of payments in the first minutes of the day.
  if (doubleEleven && r < 0.2) return rng.int(1200);
  return HOURS.draw(rng) * 3600 + rng.int(3600);
}
