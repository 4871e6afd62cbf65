// Demo data generator: categories, shops, orders and intervention cases as the CSV files of
// DESIGN §2, with a story that exercises every level of the default policy (DESIGN §3).
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
// All randomness is seeded (./random.ts), so the same options give byte-identical files.
// Asia/Shanghai has had a fixed UTC+08:00 offset since 1991, so local days are plain arithmetic.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import { Random, Weighted } from './random.js';

export interface DemoOptions {
  shops: number;
  days: number;
  seed: number;
  /** YYYY-MM-DD, the last day, in the platform time zone Asia/Shanghai. */
  end: string;
  /** Output directory (created when missing). */
  out: string;
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

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const SHANGHAI_OFFSET_S = 8 * 3600;

/** Yesterday in Asia/Shanghai (the last complete day), YYYY-MM-DD. */
export function defaultDemoEnd(now = new Date()): string {
  const localMidnight = Math.floor((now.getTime() + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS;
  return new Date(localMidnight - DAY_MS).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Static tables

interface Leaf {
  id: string;
  name: string;
  parentId: string;
  /** Probability that an order of a normal shop gets an intervention. */
  baseRate: number;
  /** Share of shops in this category. */
  weight: number;
  /** Median order amount, CNY. */
  price: number;
  /** Words used in shop names. */
  words: string[];
}

const TOP_CATEGORIES: [string, string][] = [
  ['10', '服饰'],
  ['20', '数码'],
  ['30', '食品'],
  ['40', '家居'],
  ['50', '美妆'],
];

// Base rates differ by category (fresh food and phone accessories are dispute-prone, skin care
// is not) so that the pooled category mean matters.
const LEAVES: Leaf[] = [
  { id: '1001', name: '女装', parentId: '10', baseRate: 0.012, weight: 0.15, price: 129, words: ['女装', '时尚女装', '衣橱', '服饰'] },
  { id: '1002', name: '男装', parentId: '10', baseRate: 0.009, weight: 0.09, price: 159, words: ['男装', '潮牌', '男士服饰'] },
  { id: '1003', name: '童装', parentId: '10', baseRate: 0.006, weight: 0.06, price: 89, words: ['童装', '母婴', '童趣'] },
  { id: '2001', name: '手机配件', parentId: '20', baseRate: 0.016, weight: 0.1, price: 39, words: ['数码', '手机配件', '数码配件', '电子'] },
  { id: '2002', name: '电脑外设', parentId: '20', baseRate: 0.008, weight: 0.05, price: 149, words: ['电脑外设', '数码', '键鼠'] },
  { id: '3001', name: '生鲜水果', parentId: '30', baseRate: 0.02, weight: 0.08, price: 49, words: ['生鲜', '果园', '水果', '鲜果'] },
  { id: '3002', name: '休闲零食', parentId: '30', baseRate: 0.005, weight: 0.1, price: 35, words: ['零食', '食品', '小吃'] },
  { id: '3003', name: '酒水茶饮', parentId: '30', baseRate: 0.004, weight: 0.06, price: 119, words: ['酒水', '茶饮', '茶庄', '酒业'] },
  { id: '4001', name: '家纺', parentId: '40', baseRate: 0.007, weight: 0.07, price: 169, words: ['家纺', '床品', '家居'] },
  { id: '4002', name: '厨房用品', parentId: '40', baseRate: 0.005, weight: 0.06, price: 69, words: ['厨具', '厨房用品', '家居生活'] },
  { id: '5001', name: '彩妆', parentId: '50', baseRate: 0.01, weight: 0.08, price: 99, words: ['彩妆', '美妆'] },
  { id: '5002', name: '护肤', parentId: '50', baseRate: 0.003, weight: 0.1, price: 189, words: ['护肤', '美妆', '化妆品'] },
];

const NAME_PREFIXES = [
  '锦绣', '优品', '悦享', '星辰', '东方', '云裳', '禾木', '山野', '初见', '南国', '北辰', '小鹿', '蜜桃',
  '青柠', '木子', '花间', '拾光', '半夏', '知味', '良品', '匠心', '简约', '暖阳', '晨曦', '一品', '百草',
  '金秋', '海蓝', '米兰', '橙子', '森林', '喵呜', '熊猫', '鹿角', '清风', '明月', '乐活', '趣玩', '天天',
  '美好', '佳禾', '素然', '万象', '小满', '知秋', '栖木', '朵朵', '布丁', '阿福', '大吉',
];
const NAME_CITIES = ['杭州', '义乌', '广州', '深圳', '上海', '苏州', '成都', '福建', '潮汕', '云南', '东北', '新疆', '景德镇', '临沂'];
const NAME_SUFFIXES = new Weighted<string>([
  ['旗舰店', 25], ['专营店', 15], ['专卖店', 10], ['官方店', 5], ['小店', 15], ['工厂店', 10],
  ['精品店', 8], ['的店', 5], ['严选', 4], ['铺子', 3],
]);
// A few names carry ASCII quotes or commas so that CSV quoting is exercised.
const LATIN_BRANDS = ['Sunny Day', 'Hello Mori', 'Blue Fox', 'Little Tree', 'Mr.Chen'];

const INTERVENTION_REASONS = new Weighted<string>([
  ['not_received', 22], ['quality', 22], ['not_as_described', 18], ['refund_refused', 14],
  ['damaged', 10], ['late_shipment', 9], ['fake', 5],
]);
const COMPLAINT_REASONS = new Weighted<string>([
  ['fake', 25], ['not_as_described', 25], ['refund_refused', 20], ['quality', 15], ['late_shipment', 15],
]);
const OUTCOMES = new Weighted<string>([['seller_responsible', 55], ['buyer_responsible', 25], ['withdrawn', 20]]);
const EXCLUDED_OUTCOMES = new Weighted<string>([['buyer_responsible', 50], ['withdrawn', 30], ['seller_responsible', 20]]);
const EXCLUSION_REASONS = new Weighted<string>([['force_majeure', 30], ['malicious_buyer', 40], ['logistics_exception', 30]]);
// Timestamp styles: offset (most), offset-less platform time (database exports), UTC with Z.
const TS_STYLES = new Weighted<TsStyle>([['offset', 80], ['local', 12], ['utc', 8]]);

// Orders by hour of the local day: quiet at night, peaks late morning and in the evening.
const HOUR_WEIGHTS = [2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 1.8, 3, 4.2, 5.5, 5.5, 4.8, 4.5, 4.8, 5, 4.8, 4.2, 4, 5, 6.5, 7.2, 6.5, 4];
const HOURS = new Weighted<number>(HOUR_WEIGHTS.map((w, h) => [h, w] as const));
// Cases are opened mostly in daytime.
const CASE_HOURS = new Weighted<number>(HOUR_WEIGHTS.map((w, h) => [h, h >= 8 && h <= 22 ? w * 1.5 : w * 0.5] as const));
// Days from payment to the first case: most disputes start within a few days.
const CASE_DELAYS = new Weighted<number>([[0, 12], [1, 20], [2, 18], [3, 14], [4, 10], [5, 8], [6, 6], [7, 5], [8, 3], [9, 2], [10, 2]]);
const MAX_CASE_DELAY = 10;

/** Mean orders per shop and day: 2000 shops × 120 days ≈ 1,000,000 orders. */
const ORDERS_PER_SHOP_DAY = 1_000_000 / (2000 * 120);
const MAX_SHOP_LAMBDA = 800;
/** Complaint probability relative to the shop's intervention probability. */
const COMPLAINT_SHARE = 0.18;
const EXCLUDED_SHARE = 0.04;
/** Share of shops with a trouble episode (targets plus background). */
const TROUBLED_SHARE = 0.03;

// The default policy (DESIGN §3), used only to tune the troubled shops' episodes.
const WINDOW = 30;
const MIN_ORDERS = 30;
const MIN_INTERVENTIONS = 3;
const FLAG_RATIO = 5;
const RESTRICT_AFTER = 7;
const SEVERE_AFTER = 14;
const LIFT_AFTER = 7;

type TsStyle = 'offset' | 'local' | 'utc';
type Kind = 'intervention' | 'complaint';
type Target = 'warning' | 'restricted' | 'severe' | 'lifted' | 'background';
const Level = { None: 0, Warning: 1, Restricted: 2, Severe: 3 } as const;
type Level = (typeof Level)[keyof typeof Level];

interface Shop {
  index: number;
  id: string;
  name: string;
  leaf: number;
  /** Expected orders per day before day-of-year effects. */
  lambda: number;
  /** First day index with orders (new shops open during the period). */
  start: number;
  /** Per-order intervention probability of this shop in normal times. */
  rate: number;
}

interface Episode {
  from: number; // paid-day indices, inclusive
  to: number;
  mult: number; // intervention probability = category base rate × mult
}

interface CaseDraw {
  kind: Kind;
  offset: number; // opened day − paid day
  excluded: boolean;
}

interface CaseOrder {
  day: number;
  idx: number; // the idx-th order of the shop on that day
  cases: CaseDraw[];
}

// ---------------------------------------------------------------------------------------------
// Calendar

interface Calendar {
  days: number;
  /** Local date label of day index i is labels[i + 1] (index −1 is needed for UTC renderings). */
  labels: string[];
  /** Relative order volume of each day (weekends, shopping festivals). */
  volume: Float64Array;
  doubleEleven: Uint8Array;
}

function makeCalendar(end: string, days: number): Calendar {
  const endMs = Date.parse(`${end}T00:00:00Z`);
  const labels: string[] = [];
  for (let i = -1; i < days; i++) labels.push(new Date(endMs - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
  const volume = new Float64Array(days);
  const doubleEleven = new Uint8Array(days);
  for (let i = 0; i < days; i++) {
    const label = labels[i + 1];
    const md = label.slice(5);
    const weekday = new Date(`${label}T00:00:00Z`).getUTCDay();
    let v = weekday === 0 || weekday === 6 ? 1.1 : 1;
    if (md === '11-11') v *= 3;
    else if (md === '11-10') v *= 0.85;
    else if (md === '11-12') v *= 1.3;
    else if (md === '06-18') v *= 2.2;
    else if (md === '12-12') v *= 1.6;
    else if (md >= '10-01' && md <= '10-07') v *= 0.9; // national holiday: people travel
    volume[i] = v;
    doubleEleven[i] = md === '11-11' ? 1 : 0;
  }
  return { days, labels, volume, doubleEleven };
}

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

function clock(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return `${PAD2[h]}:${PAD2[m]}:${PAD2[sec % 60]}`;
}

/** Render local day `day`, second of day `sec` (Asia/Shanghai) in one of the styles of DESIGN §2. */
function timestamp(cal: Calendar, day: number, sec: number, style: TsStyle): string {
  if (style === 'offset') return `${cal.labels[day + 1]}T${clock(sec)}+08:00`;
  if (style === 'local') return `${cal.labels[day + 1]} ${clock(sec)}`;
  const utc = sec - SHANGHAI_OFFSET_S; // before 08:00 local is the previous UTC day
  return utc < 0 ? `${cal.labels[day]}T${clock(utc + 86400)}Z` : `${cal.labels[day + 1]}T${clock(utc)}Z`;
}

// ---------------------------------------------------------------------------------------------
// Phase 1: shops and plan

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function makeShops(opts: DemoOptions, cal: Calendar): Shop[] {
  const rng = new Random(opts.seed, 0);
  const leafPick = new Weighted<number>(LEAVES.map((l, i) => [i, l.weight] as const));
  const width = Math.max(5, String(opts.shops).length);
  const names = new Set<string>();
  const shops: Shop[] = [];
  for (let i = 0; i < opts.shops; i++) {
    const leaf = leafPick.draw(rng);
    // 8% are new shops that open during the period.
    const start = opts.days > 1 && rng.chance(0.08) ? rng.between(1, opts.days - 1) : 0;
    shops.push({
      index: i,
      id: `S${String(i + 1).padStart(width, '0')}`,
      name: shopName(rng, LEAVES[leaf], names),
      leaf,
      // Long tail: median ≈ 1.2 orders/day, a few shops with hundreds (scaled below).
      lambda: rng.lognormal(0, 1.6),
      start,
      // Shops differ around their category's base rate.
      rate: LEAVES[leaf].baseRate * rng.lognormal(-0.05, 0.3),
    });
  }
  // Scale sizes so the expected total is ORDERS_PER_SHOP_DAY per shop-day; capping the giants
  // loses a little volume, so scale twice.
  const target = opts.shops * opts.days * ORDERS_PER_SHOP_DAY;
  const activeVolume = new Float64Array(opts.days + 1); // suffix sums of day volume
  for (let d = opts.days - 1; d >= 0; d--) activeVolume[d] = activeVolume[d + 1] + cal.volume[d];
  for (let pass = 0; pass < 2; pass++) {
    let expected = 0;
    for (const s of shops) expected += s.lambda * activeVolume[s.start];
    const scale = expected > 0 ? target / expected : 1;
    for (const s of shops) s.lambda = Math.min(MAX_SHOP_LAMBDA, s.lambda * scale);
  }
  return shops;
}

function shopName(rng: Random, leaf: Leaf, taken: Set<string>): string {
  for (let attempt = 0; ; attempt++) {
    const word = rng.pick(leaf.words);
    const suffix = NAME_SUFFIXES.draw(rng);
    const r = rng.next();
    let name: string;
    if (r < 0.004) name = `"${rng.pick(NAME_PREFIXES)}"${word}${suffix}`;
    else if (r < 0.007) name = `${rng.pick(LATIN_BRANDS)}, ${word}${suffix}`;
    else if (r < 0.3) name = `${rng.pick(NAME_CITIES)}${rng.pick(NAME_PREFIXES)}${word}${suffix}`;
    else name = `${rng.pick(NAME_PREFIXES)}${word}${suffix}`;
    if (attempt >= 20) name += `${attempt - 18}号店`; // many shops: make it unique
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

function drawCounts(seed: number, shop: Shop, cal: Calendar): Int32Array {
  const rng = new Random(seed, 1, shop.index);
  const counts = new Int32Array(cal.days);
  for (let d = shop.start; d < cal.days; d++) {
    // Day-to-day noise on top of Poisson: shops run promotions, have slow days.
    counts[d] = rng.poisson(shop.lambda * cal.volume[d] * rng.lognormal(-0.02, 0.2));
  }
  return counts;
}

/**
 * Which orders of the shop get cases. Orders are indexed by (day, idx) so that phase 2 can
 * find them again; cases that would open after the last day are dropped (not yet opened).
 */
function drawCases(seed: number, shop: Shop, counts: Int32Array, episode: Episode | null, attempt: number): CaseOrder[] {
  const rng = new Random(seed, 2, shop.index, attempt);
  const last = counts.length - 1;
  const base = LEAVES[shop.leaf].baseRate;
  const result: CaseOrder[] = [];
  for (let d = 0; d <= last; d++) {
    const n = counts[d];
    if (n === 0) continue;
    const troubled = episode !== null && d >= episode.from && d <= episode.to;
    const p = troubled ? base * episode.mult : shop.rate;
    // A troubled shop also draws more complaints, but less than proportionally.
    const q = shop.rate * COMPLAINT_SHARE * (troubled ? 1 + (episode.mult - 1) * 0.3 : 1);
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      const v = rng.next();
      if (u >= p && v >= q) continue;
      const cases: CaseDraw[] = [];
      const add = (kind: Kind, offset: number) => {
        if (d + offset <= last) cases.push({ kind, offset, excluded: rng.chance(EXCLUDED_SHARE) });
      };
      if (u < p) {
        const first = CASE_DELAYS.draw(rng);
        add('intervention', first);
        // Several cases on one order: same day or another day, counted once (DESIGN §3).
        if (rng.chance(0.07)) add('intervention', rng.chance(0.4) ? first : CASE_DELAYS.draw(rng));
        // A rare dispute reopened more than 30 days later: counts again in a later window.
        // (This is the one exception to "opened 0-10 days after payment".)
        if (rng.chance(0.005)) add('intervention', first + rng.between(31, 40));
        if (rng.chance(0.08)) add('complaint', CASE_DELAYS.draw(rng));
      }
      if (v < q) {
        add('complaint', CASE_DELAYS.draw(rng));
        if (rng.chance(0.05)) add('complaint', CASE_DELAYS.draw(rng));
      }
      if (cases.length > 0) result.push({ day: d, idx: i, cases });
    }
  }
  return result;
}

/** Rolling window order counts N for each day. */
function windowOrders(counts: Int32Array): Int32Array {
  const out = new Int32Array(counts.length);
  let sum = 0;
  for (let d = 0; d < counts.length; d++) {
    sum += counts[d];
    if (d >= WINDOW) sum -= counts[d - WINDOW];
    out[d] = sum;
  }
  return out;
}

/**
 * Rolling window intervention-order counts K: an order counts on day D when one of its
 * non-excluded intervention cases opened in D−29..D; the union of those day ranges per order
 * goes into a difference array so that an order never counts twice.
 */
function windowInterventions(caseOrders: CaseOrder[], days: number): Int32Array {
  const diff = new Int32Array(days + 1);
  for (const co of caseOrders) {
    const opened: number[] = [];
    for (const c of co.cases) if (c.kind === 'intervention' && !c.excluded) opened.push(co.day + c.offset);
    if (opened.length === 0) continue;
    opened.sort((a, b) => a - b);
    let from = opened[0];
    let to = from + WINDOW - 1;
    for (let j = 1; j < opened.length; j++) {
      if (opened[j] <= to + 1) to = opened[j] + WINDOW - 1;
      else {
        diff[from]++;
        diff[Math.min(to + 1, days)]--;
        from = opened[j];
        to = from + WINDOW - 1;
      }
    }
    diff[from]++;
    diff[Math.min(to + 1, days)]--;
  }
  const out = new Int32Array(days);
  let sum = 0;
  for (let d = 0; d < days; d++) {
    sum += diff[d];
    out[d] = sum;
  }
  return out;
}

interface ShopOutcome {
  last: Level;
  lifts: number;
}

/**
 * The default policy's levels for one shop (used only for tuning; the independent oracle in
 * test/oracle checks the result). The category's K is given without this shop (`catKOthers`)
 * so a candidate episode can be tried without touching the totals.
 */
function evaluateShop(n: Int32Array, k: Int32Array, catN: Float64Array, catKOthers: Float64Array, firstComplete: number): ShopOutcome {
  let level: Level = Level.None;
  let run = 0;
  let clean = 0;
  let lifts = 0;
  for (let d = 0; d < n.length; d++) {
    const sumK = catKOthers[d] + k[d];
    const flagged =
      d >= firstComplete && n[d] >= MIN_ORDERS && k[d] >= MIN_INTERVENTIONS && sumK > 0 && k[d] * catN[d] >= FLAG_RATIO * n[d] * sumK;
    if (flagged) {
      run++;
      clean = 0;
    } else {
      run = 0;
      clean++;
    }
    if (level >= Level.Restricted) {
      if (clean >= LIFT_AFTER) {
        level = Level.None;
        lifts++;
      } else if (run >= SEVERE_AFTER) level = Level.Severe;
    } else if (flagged) level = run >= RESTRICT_AFTER ? Level.Restricted : Level.Warning;
    else level = Level.None;
  }
  return { last: level, lifts };
}

function meets(target: Target, o: ShopOutcome): boolean {
  switch (target) {
    case 'warning':
      return o.last === Level.Warning;
    case 'restricted':
      return o.last === Level.Restricted;
    case 'severe':
      return o.last === Level.Severe;
    case 'lifted':
      return o.lifts > 0 && o.last === Level.None;
    case 'background':
      return true;
  }
}

/** Offsets tried around a centre, nearest first: c, c−1, c+1, c−2, ... */
function around(centre: number, radius: number): number[] {
  const out = [centre];
  for (let r = 1; r <= radius; r++) out.push(centre - r, centre + r);
  return out;
}

/**
 * Candidate episodes for a target, most plausible first. Flags start roughly two weeks after
 * the trouble does (the 30-day window fills up) and stop roughly two weeks after it ends.
 */
function candidateEpisodes(target: Target, days: number, rng: Random): Omit<Episode, 'mult'>[] {
  const last = days - 1;
  const tail = (starts: number[]) => starts.filter((back) => back > 0 && back <= last).map((back) => ({ from: last - back, to: last }));
  switch (target) {
    case 'warning':
      return tail(around(18, 8));
    case 'restricted':
      return tail(around(24, 8));
    case 'severe':
      return tail(around(38, 12));
    case 'lifted': {
      const length = rng.between(30, 40);
      return around(10, 8)
        .filter((from) => from >= 0 && from + length < last - 45)
        .map((from) => ({ from, to: from + length }));
    }
    case 'background': {
      // Anywhere in the history, over well before the last day.
      const length = rng.between(6, 35);
      const latest = last - 45 - length;
      if (latest < 0) return [];
      const from = rng.between(0, latest);
      return [{ from, to: from + length }];
    }
  }
}

interface Plan {
  shops: Shop[];
  counts: Int32Array[];
  caseOrders: CaseOrder[][];
}

function makePlan(opts: DemoOptions, cal: Calendar): Plan {
  const shops = makeShops(opts, cal);
  const days = cal.days;
  const counts = shops.map((s) => drawCounts(opts.seed, s, cal));
  const caseOrders = shops.map((s, i) => drawCases(opts.seed, s, counts[i], null, 0));

  // Window totals per shop and per category, kept up to date while episodes are tuned.
  const nWin = counts.map(windowOrders);
  const kWin = caseOrders.map((co) => windowInterventions(co, days));
  const catN = LEAVES.map(() => new Float64Array(days));
  const catK = LEAVES.map(() => new Float64Array(days));
  shops.forEach((s, i) => {
    for (let d = 0; d < days; d++) {
      catN[s.leaf][d] += nWin[i][d];
      catK[s.leaf][d] += kWin[i][d];
    }
  });
  let firstDay = 0;
  while (firstDay < days && counts.every((c) => c[firstDay] === 0)) firstDay++;
  const firstComplete = firstDay + WINDOW - 1;

  const targets = chooseTargets(opts, shops);
  const apply = (t: { shop: Shop; target: Target }, round: number): boolean => {
    const i = t.shop.index;
    const rng = new Random(opts.seed, 4, i, round);
    const baseMult = 9 + rng.next() * 3; // 9-12× the category base rate ...
    const episodes = candidateEpisodes(t.target, days, rng);
    if (episodes.length === 0) return t.target === 'background';
    const others = catK[t.shop.leaf].map((v, d) => v - kWin[i][d]);
    let chosen: { co: CaseOrder[]; k: Int32Array } | null = null;
    let ok = false;
    // ... raised up to 15× when the shop weighs a lot in its category's mean. Two random draws
    // per candidate start: the Poisson noise decides the exact flag days.
    for (const mult of [baseMult, baseMult + 1.5, 15]) {
      for (let step = 0; step < episodes.length * 2 && !ok; step++) {
        const episode = { ...episodes[step >> 1], mult };
        const co = drawCases(opts.seed, t.shop, counts[i], episode, 1 + step + round * 1000 + Math.round(mult * 1e6));
        const k = windowInterventions(co, days);
        ok = meets(t.target, evaluateShop(nWin[i], k, catN[t.shop.leaf], others, firstComplete));
        if (ok || chosen === null) chosen = { co, k };
      }
      if (ok || t.target === 'background') break;
    }
    if (chosen !== null) {
      caseOrders[i] = chosen.co;
      kWin[i] = chosen.k;
      for (let d = 0; d < days; d++) catK[t.shop.leaf][d] = others[d] + chosen.k[d];
    }
    return ok;
  };

  for (const t of targets) apply(t, 0);
  // Each episode raises its category's mean a little, which can shift the others' flag days:
  // re-check and re-tune the ones that drifted.
  for (let round = 1; round <= 4; round++) {
    let drifted = 0;
    for (const t of targets) {
      if (t.target === 'background') continue;
      const i = t.shop.index;
      const others = catK[t.shop.leaf].map((v, d) => v - kWin[i][d]);
      if (meets(t.target, evaluateShop(nWin[i], kWin[i], catN[t.shop.leaf], others, firstComplete))) continue;
      drifted++;
      apply(t, round);
    }
    if (drifted === 0) break;
  }
  return { shops, counts, caseOrders };
}

/**
 * Troubled shops: medium-size shops that have been selling from the first day and are big
 * enough for K ≥ 3 during an episode. Targets go round-robin over categories so that every
 * level appears in many categories; the rest of the budget gets background episodes.
 */
function chooseTargets(opts: DemoOptions, shops: Shop[]): { shop: Shop; target: Target }[] {
  const rng = new Random(opts.seed, 3);
  const volume = LEAVES.map(() => 0);
  for (const s of shops) volume[s.leaf] += s.lambda;
  // Enough interventions to be judged (K ≥ 3 with margin), and a small share of the category:
  // a big shop's episode raises the category mean it is compared with. Shops up to 3.5% of
  // their category are taken at random; larger ones (up to 8%) only when those run out,
  // smallest first. Pools are used from the end (pop).
  const small = LEAVES.map(() => [] as Shop[]);
  const large = LEAVES.map(() => [] as Shop[]);
  for (const s of shops) {
    const expectedK = s.lambda * WINDOW * LEAVES[s.leaf].baseRate * 9;
    const share = s.lambda / volume[s.leaf];
    if (s.start !== 0 || s.lambda < 3 || expectedK < 9 || share > 0.08) continue;
    (share <= 0.035 ? small : large)[s.leaf].push(s);
  }
  const pools = LEAVES.map((_, leaf) => [...large[leaf].sort((x, y) => y.lambda - x.lambda), ...shuffle(small[leaf], rng)]);
  const leafOrder = shuffle(LEAVES.map((_, i) => i), rng);
  const kinds: Target[] = ['severe', 'restricted', 'warning'];
  const wanted: { leaf: number; target: Target }[] = [];
  const round = (r: number) => leafOrder.forEach((leaf, j) => wanted.push({ leaf, target: kinds[(j + r) % 3] }));
  const lifted = (from: number, to: number) => leafOrder.slice(from, to).forEach((leaf) => wanted.push({ leaf, target: 'lifted' }));
  round(0);
  lifted(0, 3);
  round(1);
  round(2);
  lifted(3, 6);

  const budget = Math.round(shops.length * TROUBLED_SHARE);
  const chosen: { shop: Shop; target: Target }[] = [];
  for (const w of wanted) {
    if (chosen.length >= budget) break;
    const shop = pools[w.leaf].pop();
    if (shop) chosen.push({ shop, target: w.target });
  }
  const rest = shuffle(pools.flat(), rng);
  while (chosen.length < budget && rest.length > 0) chosen.push({ shop: rest.pop()!, target: 'background' });
  return chosen;
}

function shuffle<T>(items: T[], rng: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Phase 2: writing

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

function caseStatus(rng: Random, age: number, excluded: boolean): { status: string; outcome: string } {
  // Exclusion is decided when a case is closed; otherwise recent cases are mostly still open.
  const openChance = age <= 2 ? 0.85 : age <= 6 ? 0.5 : age <= 14 ? 0.15 : 0.02;
  if (!excluded && rng.chance(openChance)) return { status: 'open', outcome: '' };
  return { status: 'closed', outcome: (excluded ? EXCLUDED_OUTCOMES : OUTCOMES).draw(rng) };
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

  const categories = new CsvFile(file('categories.csv'), 'category_id,category_name,parent_id');
  const catLines = [
    ...TOP_CATEGORIES.map(([id, name]) => `${id},${csvField(name)},\n`),
    ...LEAVES.map((l) => `${l.id},${csvField(l.name)},${l.parentId}\n`),
  ];
  await categories.write(catLines.join(''));
  await categories.close();

  const shopsFile = new CsvFile(file('shops.csv'), 'shop_id,shop_name,category_id');
  await shopsFile.write(shops.map((s) => `${s.id},${csvField(s.name)},${LEAVES[s.leaf].id}\n`).join(''));
  await shopsFile.close();

  const orders = new CsvFile(file('orders.csv'), 'order_id,shop_id,paid_at,amount');
  const interventions = new CsvFile(
    file('interventions.csv'),
    'case_id,order_id,shop_id,opened_at,kind,reason,status,outcome,excluded,exclusion_reason',
  );
  const rng = new Random(opts.seed, 5);
  const last = opts.days - 1;
  const next = new Int32Array(shops.length); // per shop: next case order to write
  let written = 0;
  let caseCount = 0;
  let progressAt = 0;

  for (let d = 0; d < opts.days; d++) {
    // Every order of the day, then sorted by payment time like a real export.
    let dayTotal = 0;
    for (let s = 0; s < shops.length; s++) dayTotal += counts[s][d];
    const orderShop = new Int32Array(dayTotal);
    const orderIdx = new Int32Array(dayTotal);
    const orderSec = new Int32Array(dayTotal);
    const dayCases = new Map<number, CaseOrder>();
    let j = 0;
    for (let s = 0; s < shops.length; s++) {
      const n = counts[s][d];
      for (let i = 0; i < n; i++, j++) {
        orderShop[j] = s;
        orderIdx[j] = i;
        orderSec[j] = orderSecond(rng, cal.doubleEleven[d] === 1);
      }
      const list = caseOrders[s];
      while (next[s] < list.length && list[next[s]].day === d) {
        const co = list[next[s]++];
        dayCases.set(s * 1_000_000 + co.idx, co);
      }
    }
    const order = Array.from({ length: dayTotal }, (_, i) => i).sort((a, b) => orderSec[a] - orderSec[b]);

    const ymd = cal.labels[d + 1].replace(/-/g, '');
    const orderLines: string[] = [];
    const caseLines: string[] = [];
    for (let seq = 0; seq < dayTotal; seq++) {
      const o = order[seq];
      const shop = shops[orderShop[o]];
      const sec = orderSec[o];
      const orderId = `O${ymd}${String(seq + 1).padStart(6, '0')}`;
      orderLines.push(`${orderId},${shop.id},${timestamp(cal, d, sec, TS_STYLES.draw(rng))},${amount(rng, LEAVES[shop.leaf])}\n`);
      const co = dayCases.get(orderShop[o] * 1_000_000 + orderIdx[o]);
      if (!co) continue;
      for (const c of co.cases) {
        const day = d + c.offset;
        // Same day as the payment: opened after it; at the longest delay, no later in the day
        // than the payment (at most 10 × 24 h); otherwise at a daytime-weighted hour.
        const openedSec =
          c.offset === 0
            ? sec + rng.int(86400 - sec)
            : c.offset === MAX_CASE_DELAY
              ? rng.int(sec + 1)
              : CASE_HOURS.draw(rng) * 3600 + rng.int(3600);
        const { status, outcome } = caseStatus(rng, last - day, c.excluded);
        const reason = (c.kind === 'intervention' ? INTERVENTION_REASONS : COMPLAINT_REASONS).draw(rng);
        const exclusion = c.excluded ? EXCLUSION_REASONS.draw(rng) : '';
        caseCount++;
        caseLines.push(
          `C${String(caseCount).padStart(8, '0')},${orderId},${shop.id},${timestamp(cal, day, openedSec, TS_STYLES.draw(rng))},` +
            `${c.kind},${reason},${status},${outcome},${c.excluded},${exclusion}\n`,
        );
      }
    }
    await orders.write(orderLines.join(''));
    await interventions.write(caseLines.join(''));
    written += dayTotal;
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
    cases: caseCount,
    first: cal.labels[1],
    last: cal.labels[opts.days],
    files: [categories.file, shopsFile.file, orders.file, interventions.file],
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
}
