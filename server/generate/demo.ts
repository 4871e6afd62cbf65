// Demo data generator: categories, shops, orders and intervention cases as the CSV files of
// DESIGN §2, with a story that exercises every level of the default policy (DESIGN §3).
// This module holds the public entry points and puts the parts together:
//   calendar.ts   the days of the period, their order volume, timestamp rendering
//   catalogue.ts  categories, shops and shop names (categories.csv, shops.csv)
//   goods.ts      a few goods per shop (goods.csv) and the goods of each order (orders.csv goods_id)
//   orders.ts     orders per shop and day; each day's orders (orders.csv)
//   cases.ts      which orders get cases; each case's details (interventions.csv)
//   troubled.ts   the troubled shops' episodes, tuned against the default policy
// (imports flow calendar → catalogue → goods → orders → cases → troubled → demo; random.ts underneath).
//
// Two phases keep it both controllable and fast:
//  1. Plan (in memory, compact): per shop the number of orders on each day and the few orders
//     that get cases (paid day, opened-day offsets, kind, exclusion). Everything the metrics
//     depend on is decided here. "Troubled" shops get an episode of elevated intervention
//     probability; a small internal evaluation of the default policy tunes each episode's start
//     so that on the last day there are shops at every level and some restrictions were lifted.
//  2. Write (streaming): day by day, draw the cosmetic details (times of day, amounts, ids,
//     timestamp styles, reasons, statuses) and write the CSV lines in day-sized chunks.
//
// All randomness is seeded (./random.ts), so the same options give byte-identical files: each
// part draws from its own seeded stream, except that orders and cases share one stream while
// writing (see generateDemo), so the order of the calls there is part of the output.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import { DAY_MS, SHANGHAI_OFFSET_MS, makeCalendar, type Calendar } from './calendar.js';
import { CATEGORIES_HEADER, LEAVES, SHOPS_HEADER, TOP_CATEGORIES, categoryLines, makeShops, shopLines, type Shop } from './catalogue.js';
import { ORDERS_HEADER, drawCounts, drawDayOrders, orderId, orderLine } from './orders.js';
import { CASES_HEADER, CaseCursor, CaseLines, caseKey, drawCases, type CaseOrder } from './cases.js';
import { tuneTroubledShops } from './troubled.js';
import { GOODS_HEADER, GoodsPicker, goodsLines, makeGoods } from './goods.js';
import { Random } from './random.js';

export interface DemoOptions {
  shops: number;
  days: number;
  seed: number;
  /** YYYY-MM-DD, the last day, in the platform time zone Asia/Shanghai. */
  end: string;
  /** Output directory (created when missing). */
  out: string;
  /**
   * Expected orders per shop and day (the density); default about 4.17 (1 M orders at 2000 shops × 120
   * days). Omitted, the output is byte-identical to what it was before this option existed.
   */
  ordersPerShopDay?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface DemoSummary {
  categories: number;
  shops: number;
  orders: number;
  cases: number;
  first: string;
  last: string;
  files: string[];
}

export const DEFAULT_DEMO = { shops: 2000, days: 120, seed: 42 };

/** Yesterday in Asia/Shanghai (the last complete day), YYYY-MM-DD. */
export function defaultDemoEnd(now = new Date()): string {
  const localMidnight = Math.floor((now.getTime() + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS;
  return new Date(localMidnight - DAY_MS).toISOString().slice(0, 10);
}

interface Plan {
  shops: Shop[];
  counts: Int32Array[];
  caseOrders: CaseOrder[][];
}

/** Phase 1: shops, their orders per day and the orders that get cases, troubled shops tuned. */
function makePlan(opts: DemoOptions, cal: Calendar): Plan {
  const shops = makeShops(opts, cal);
  const counts = shops.map((s) => drawCounts(opts.seed, s, cal));
  const caseOrders = shops.map((s, i) => drawCases(opts.seed, s, counts[i], null, 0));
  tuneTroubledShops(opts.seed, cal.days, shops, counts, caseOrders);
  return { shops, counts, caseOrders };
}

class CsvFile {
  private readonly stream: WriteStream;

  constructor(
    readonly file: string,
    header: string,
  ) {
    this.stream = createWriteStream(file, { encoding: 'utf8' });
    this.stream.write(`${header}\n`);
  }

  async write(chunk: string): Promise<void> {
    if (chunk.length > 0 && !this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }
}

export async function generateDemo(opts: DemoOptions): Promise<DemoSummary> {
  validate(opts);
  const cal = makeCalendar(opts.end, opts.days);
  const plan = makePlan(opts, cal);
  const { shops, counts, caseOrders } = plan;
  const totalOrders = counts.reduce((sum, c) => sum + c.reduce((a, b) => a + b, 0), 0);
  opts.onProgress?.(0, totalOrders, 'orders');

  mkdirSync(opts.out, { recursive: true });
  const file = (name: string) => path.join(opts.out, name);

  const categories = new CsvFile(file('categories.csv'), CATEGORIES_HEADER);
  await categories.write(categoryLines().join(''));
  await categories.close();

  const shopsFile = new CsvFile(file('shops.csv'), SHOPS_HEADER);
  await shopsFile.write(shopLines(shops).join(''));
  await shopsFile.close();

  const shopGoods = shops.map((s) => makeGoods(opts.seed, s));
  const goodsFile = new CsvFile(file('goods.csv'), GOODS_HEADER);
  await goodsFile.write(shops.flatMap((s) => goodsLines(s, shopGoods[s.index])).join(''));
  await goodsFile.close();
  const goods = new GoodsPicker(opts.seed, shopGoods);

  // Phase 2: orders and cases draw from one stream, in this order: the payment times of all the
  // day's orders, then per order in payment order its line and the lines of its cases.
  const orders = new CsvFile(file('orders.csv'), ORDERS_HEADER);
  const interventions = new CsvFile(file('interventions.csv'), CASES_HEADER);
  const rng = new Random(opts.seed, 5);
  const last = opts.days - 1;
  const cursor = new CaseCursor(caseOrders);
  const cases = new CaseLines(rng, cal);
  let written = 0;
  let progressAt = 0;

  for (let d = 0; d < opts.days; d++) {
    const day = drawDayOrders(rng, cal, d, counts);
    const dayCases = cursor.day(d);
    const orderLines: string[] = [];
    const caseLines: string[] = [];
    for (let seq = 0; seq < day.total; seq++) {
      const o = day.order[seq];
      const shop = shops[day.shop[o]];
      const sec = day.sec[o];
      const id = orderId(day, seq);
      const co = dayCases.get(caseKey(day.shop[o], day.idx[o]));
      const goodsId = goods.pick(shop, co?.troubled === true && co.cases.some((c) => c.kind === 'intervention'));
      orderLines.push(orderLine(rng, cal, id, shop, d, sec, goodsId));
      if (co) cases.render(caseLines, co, id, shop, d, sec);
    }
    await orders.write(orderLines.join(''));
    await interventions.write(caseLines.join(''));
    written += day.total;
    if (opts.onProgress && (written - progressAt >= totalOrders / 200 || d === last)) {
      progressAt = written;
      opts.onProgress(written, totalOrders, 'orders');
    }
  }
  await orders.close();
  await interventions.close();

  return {
    categories: TOP_CATEGORIES.length + LEAVES.length,
    shops: shops.length,
    orders: totalOrders,
    cases: cases.count,
    first: cal.labels[1],
    last: cal.labels[opts.days],
    files: [categories.file, shopsFile.file, goodsFile.file, orders.file, interventions.file],
  };
}

function validate(opts: DemoOptions): void {
  const positiveInt = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${v}`);
  };
  positiveInt('shops', opts.shops, 999_999);
  positiveInt('days', opts.days, 3660);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${opts.seed}`);
  const endMs = Date.parse(`${opts.end}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.end) || Number.isNaN(endMs) || new Date(endMs).toISOString().slice(0, 10) !== opts.end) {
    throw new RangeError(`end must be a date YYYY-MM-DD, got ${opts.end}`);
  }
  const density = opts.ordersPerShopDay;
  if (density !== undefined && !(Number.isFinite(density) && density > 0 && density <= 1000)) {
    throw new RangeError(`ordersPerShopDay must be a number above 0 and at most 1000, got ${density}`);
  }
}
