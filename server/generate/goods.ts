// Demo generator, goods: a few goods per shop with Chinese names (goods.csv), and which goods each
// order sold (the goods_id column of orders.csv). A shop's orders spread over its goods by popularity;
// the interventions of a troubled shop's episode come mostly from one or two "problem" goods, so that
// "what drives my rate" has an answer. Goods draw from streams of their own, so the rest of the
// output (and every metric) is what it was before goods existed.
import { LEAVES, csvField, type Shop } from './catalogue.js';
import { Random, Weighted } from './random.js';

export const GOODS_HEADER = 'goods_id,shop_id,goods_name';

/** Product words per leaf category (same order as LEAVES). */
const PRODUCTS: string[][] = [
  ['连衣裙', '针织开衫', '阔腿裤', '雪纺衬衫', '羊毛大衣', '半身裙', '卫衣'],
  ['夹克', '休闲裤', '衬衫', '羽绒服', '牛仔裤', 'T恤', '西装外套'],
  ['儿童卫衣', '连体衣', '童裤', '儿童羽绒服', '婴儿袜', '公主裙'],
  ['手机壳', '数据线', '充电宝', '钢化膜', '蓝牙耳机', '快充头', '支架'],
  ['机械键盘', '无线鼠标', '鼠标垫', '显示器支架', '摄像头', 'USB扩展坞'],
  ['赣南脐橙', '红心猕猴桃', '丹东草莓', '海南芒果', '阳光玫瑰葡萄', '车厘子'],
  ['坚果礼盒', '牛肉干', '薯片', '麻辣锅巴', '芒果干', '手撕面包'],
  ['普洱茶饼', '西湖龙井', '精酿啤酒', '米酒', '菊花茶', '红茶礼盒'],
  ['四件套', '蚕丝被', '乳胶枕', '毛毯', '凉席', '羽绒被'],
  ['不粘锅', '菜刀套装', '保温杯', '砧板', '收纳盒', '电饭煲内胆'],
  ['口红', '粉底液', '眼影盘', '睫毛膏', '腮红', '散粉'],
  ['面霜', '精华液', '爽肤水', '洗面奶', '面膜', '防晒霜'],
];
const QUALIFIERS = ['经典款', '升级款', '加厚', '便携', '礼盒装', '新款', '家庭装', '轻薄', '大容量', '网红款'];

export interface ShopGoods {
  ids: string[];
  names: string[];
  popularity: Weighted<number>;
}

/** The shop's goods: 3 to 6, named from its category's products; the first two are its problem goods. */
export function makeGoods(seed: number, shop: Shop): ShopGoods {
  const rng = new Random(seed, 6, shop.index);
  const n = 3 + rng.int(4);
  const pool = [...PRODUCTS[shop.leaf]];
  const ids: string[] = [];
  const names: string[] = [];
  for (let k = 0; k < n; k++) {
    const product = pool.length > 0 ? pool.splice(rng.int(pool.length), 1)[0] : LEAVES[shop.leaf].name;
    names.push(`${QUALIFIERS[rng.int(QUALIFIERS.length)]}${product}`);
    ids.push(`${shop.id}-G${k + 1}`);
  }
  // Popularity falls with the goods' number; a problem goods is not always the best seller.
  const popularity = new Weighted<number>(ids.map((_, k) => [k, 1 / (k + 1) + rng.next() * 0.5] as const));
  return { ids, names, popularity };
}

export function goodsLines(shop: Shop, goods: ShopGoods): string[] {
  return goods.ids.map((id, k) => `${id},${shop.id},${csvField(goods.names[k])}\n`);
}

/** Draws the goods of each order of a shop, in the order the orders are written. */
export class GoodsPicker {
  private readonly streams = new Map<number, Random>();

  constructor(
    private readonly seed: number,
    private readonly goods: ShopGoods[],
  ) {}

  /** The goods id of the shop's next order; `troubledIntervention`: an order with an intervention in a trouble episode. */
  pick(shop: Shop, troubledIntervention: boolean): string {
    let rng = this.streams.get(shop.index);
    if (!rng) {
      rng = new Random(this.seed, 7, shop.index);
      this.streams.set(shop.index, rng);
    }
    const g = this.goods[shop.index];
    const r = rng.next();
    // Most of an episode's interventions on the problem goods: the first (60%) and the second (25%).
    if (troubledIntervention && g.ids.length > 1 && r < 0.85) return g.ids[r < 0.6 ? 0 : 1];
    return g.ids[g.popularity.draw(rng)];
  }
}
