// Demo generator, catalogue: the category tree, the shops (category, size, opening day, normal
// intervention rate) and their names, plus the lines of categories.csv and shops.csv.
// Category base rates and shop sizes are what every later part (orders, cases, troubled shops)
// builds on; names are cosmetic but a few carry quotes or commas so CSV quoting is exercised.
import type { Calendar } from './calendar.js';
import { Random, Weighted } from './random.js';

export interface Leaf {
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

export interface Shop {
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

export const TOP_CATEGORIES: [string, string][] = [
  ['10', '服饰'],
  ['20', '数码'],
  ['30', '食品'],
  ['40', '家居'],
  ['50', '美妆'],
];

// Base rates differ by category (fresh food and phone accessories are dispute-prone, skin care
// is not) so that the pooled category mean matters.
export const LEAVES: Leaf[] = [
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
  '锦绣',
  '优品',
  '悦享',
  '星辰',
  '东方',
  '云裳',
  '禾木',
  '山野',
  '初见',
  '南国',
  '北辰',
  '小鹿',
  '蜜桃',
  '青柠',
  '木子',
  '花间',
  '拾光',
  '半夏',
  '知味',
  '良品',
  '匠心',
  '简约',
  '暖阳',
  '晨曦',
  '一品',
  '百草',
  '金秋',
  '海蓝',
  '米兰',
  '橙子',
  '森林',
  '喵呜',
  '熊猫',
  '鹿角',
  '清风',
  '明月',
  '乐活',
  '趣玩',
  '天天',
  '美好',
  '佳禾',
  '素然',
  '万象',
  '小满',
  '知秋',
  '栖木',
  '朵朵',
  '布丁',
  '阿福',
  '大吉',
];
const NAME_CITIES = ['杭州', '义乌', '广州', '深圳', '上海', '苏州', '成都', '福建', '潮汕', '云南', '东北', '新疆', '景德镇', '临沂'];
const NAME_SUFFIXES = new Weighted<string>([
  ['旗舰店', 25],
  ['专营店', 15],
  ['专卖店', 10],
  ['官方店', 5],
  ['小店', 15],
  ['工厂店', 10],
  ['精品店', 8],
  ['的店', 5],
  ['严选', 4],
  ['铺子', 3],
]);
// A few names carry ASCII quotes or commas so that CSV quoting is exercised.
const LATIN_BRANDS = ['Sunny Day', 'Hello Mori', 'Blue Fox', 'Little Tree', 'Mr.Chen'];

/** Mean orders per shop and day by default: 2000 shops × 120 days ≈ 1,000,000 orders. */
export const ORDERS_PER_SHOP_DAY = 1_000_000 / (2000 * 120);
const MAX_SHOP_LAMBDA = 800;

export const CATEGORIES_HEADER = 'category_id,category_name,parent_id';
export const SHOPS_HEADER = 'shop_id,shop_name,category_id';

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The rows of categories.csv: top-level categories, then the leaves. */
export function categoryLines(): string[] {
  return [...TOP_CATEGORIES.map(([id, name]) => `${id},${csvField(name)},\n`), ...LEAVES.map((l) => `${l.id},${csvField(l.name)},${l.parentId}\n`)];
}

/** The rows of shops.csv. */
export function shopLines(shops: Shop[]): string[] {
  return shops.map((s) => `${s.id},${csvField(s.name)},${LEAVES[s.leaf].id}\n`);
}

/**
 * The shops, their categories and sizes. `ordersPerShopDay` (the density; default ORDERS_PER_SHOP_DAY)
 * scales every shop's size so that the expected total is that many orders per shop-day; the default
 * draws exactly what it always did.
 */
export function makeShops(opts: { shops: number; days: number; seed: number; ordersPerShopDay?: number }, cal: Calendar): Shop[] {
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
  const target = opts.shops * opts.days * (opts.ordersPerShopDay ?? ORDERS_PER_SHOP_DAY);
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
