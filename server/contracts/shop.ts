// Per-shop read endpoints beyond the DESIGN §4 metrics (seller for own shops, reviewer for any).
import { z } from 'zod';
import { IsoDate, LevelSchema } from './common.js';

/**
 * DESIGN §3 small categories: whether the category has at least `minPeerShops` other shops with orders
 * in the window (on every day the answer covers). When false, a seller's answer carries no category
 * figure (null or empty); reviewers and admins still see them. The number of other shops is never given.
 */
const CategoryGate = {
  categoryComparable: z.boolean(),
  minPeerShops: z.number().int(),
};

/** Which day a case counts on: the day it was opened, or the day its order was paid (policy countBasis). */
export const CountBasisSchema = z.enum(['case_opened', 'order_paid']);

/** GET /api/shops/:shopId/trend?from=&to= (default: the 90 days ending on the last day with data) */
export const TrendQuery = z.object({ from: IsoDate.optional(), to: IsoDate.optional() }).strict();
export const TrendPointSchema = z.object({
  date: IsoDate,
  orders: z.number().int(),
  interventions: z.number().int(),
  complaints: z.number().int(),
  rate: z.number().nullable(),
  categoryMean: z.number().nullable(),
  /** flagRatio × categoryMean: the rate at which the shop is flagged (given the floors). */
  threshold: z.number().nullable(),
  ratio: z.number().nullable(),
  judged: z.boolean(),
  flagged: z.boolean(),
  level: LevelSchema,
});
export const TrendSchema = z.object({
  shopId: z.string(),
  from: IsoDate,
  to: IsoDate,
  flagRatio: z.number(),
  points: z.array(TrendPointSchema),
  ...CategoryGate,
});
export type Trend = z.infer<typeof TrendSchema>;

/** GET /api/shops/:shopId/cases?date= — the cases in the window of a date (counted or not, with why). */
export const CasesQuery = z.object({ date: IsoDate.optional() }).strict();
/** A case as stored (its latest version): the fields the case list and the case drawer share. */
const StoredCaseSchema = z.object({
  caseId: z.string(),
  orderId: z.string(),
  kind: z.enum(['intervention', 'complaint']),
  reason: z.string().nullable(),
  openedAt: z.string(),
  openedDay: IsoDate,
  status: z.enum(['open', 'closed']),
  outcome: z.string().nullable(),
  excluded: z.boolean(),
  exclusionReason: z.string().nullable(),
});
export const CaseSchema = StoredCaseSchema.extend({
  /** Whether this case makes its order count (in the rate, or in the complaints) on that date. */
  counted: z.boolean(),
  /**
   * Day the case's contribution leaves the 30-day window (the first day it no longer counts); for a case
   * that counts nowhere because its order is missing, the day it leaves this list.
   */
  leavesWindowOn: IsoDate,
  /** Whether the case's order is in the data. */
  orderKnown: z.boolean(),
  /** The day its order was paid, in the policy time zone (null: the order is not in the data). */
  paidDay: IsoDate.nullable(),
  /** The day the case counts on under the count basis: openedDay (case_opened) or paidDay (order_paid); null when it cannot count. */
  countsOn: IsoDate.nullable(),
  /** Why the case does not count (null: it counts): excluded, or order_missing (under order_paid a case counts on its order's paid day). */
  notCountedBecause: z.enum(['excluded', 'order_missing']).nullable(),
  /** The goods of the case's order (null: no goods, or the order is not in the data). */
  goodsId: z.string().nullable().optional(),
});
/**
 * The cases whose counting day (countsOn) lies in the window; under order_paid also the cases whose order
 * is missing and that were opened in the window (listed, not counted).
 */
export const CasesSchema = z.object({
  shopId: z.string(),
  date: IsoDate,
  window: z.object({ from: IsoDate, to: IsoDate }),
  countBasis: CountBasisSchema,
  cases: z.array(CaseSchema),
});
export type Cases = z.infer<typeof CasesSchema>;

/**
 * GET /api/shops/:shopId/breakdown?date= — interventions (counted cases) in the window by reason and by week.
 * Cases are placed on the day they count on under the count basis (opened day, or their order's paid day).
 */
export const BreakdownSchema = z.object({
  shopId: z.string(),
  date: IsoDate,
  countBasis: CountBasisSchema,
  byReason: z.array(z.object({ reason: z.string(), interventions: z.number().int(), complaints: z.number().int() })),
  byWeek: z.array(z.object({ weekStart: IsoDate, interventions: z.number().int(), complaints: z.number().int(), orders: z.number().int() })),
  /** Cases not excluded, opened in the window, whose order is not in the data: counted under case_opened, not under order_paid. */
  casesWithoutOrder: z.number().int(),
  ...CategoryGate,
});
export type Breakdown = z.infer<typeof BreakdownSchema>;

/** GET /api/shops/:shopId/peers?date= — the rates of judged shops in the category. */
export const PeersSchema = z.object({
  shopId: z.string(),
  categoryId: z.string(),
  date: IsoDate,
  /** null for a seller when the category is too small to compare. */
  judgedShops: z.number().int().nullable(),
  categoryMean: z.number().nullable(),
  median: z.number().nullable(),
  p90: z.number().nullable(),
  buckets: z.array(z.object({ from: z.number(), to: z.number(), shops: z.number().int() })),
  shopRate: z.number().nullable(),
  /** Share of judged peers with a rate strictly below the shop's, 0..1 (null when the shop has no rate). */
  percentile: z.number().nullable(),
  ...CategoryGate,
});
export type Peers = z.infer<typeof PeersSchema>;

/** GET /api/shops/:shopId/forecast?date= */
export const ForecastSchema = z.object({
  shopId: z.string(),
  date: IsoDate,
  assumptions: z.object({ dailyOrders: z.number(), newInterventions: z.literal(0) }),
  /** First day on which the shop is no longer flagged (null: not flagged now; or not within the horizon). */
  belowThresholdOn: IsoDate.nullable(),
  /** Day the current restrictions would lift (null: none in force, or not within the horizon). */
  liftOn: IsoDate.nullable(),
  /**
   * New intervention orders in the next 7 days that keep the shop unflagged on all of them (null: cannot
   * stay under; or, for a seller, the category is too small to compare — it would probe the threshold).
   */
  headroom7d: z.number().int().nullable(),
  /**
   * True when no number of new intervention orders in the next 7 days would flag the shop (too few orders
   * to be judged, or the shop weighs so much in its category that its cases raise the mean with its rate):
   * headroom7d is then null, never a placeholder number.
   */
  headroomUnbounded: z.boolean().optional(),
  /** Days projected for belowThresholdOn and liftOn (the points show the first 30). */
  horizonDays: z.number().int().optional(),
  /** Whether the shop is flagged on the date. */
  flaggedToday: z.boolean().optional(),
  /**
   * After an early lift (or an accepted appeal) or under an exemption, while no restriction applies on the date:
   * the first projected day on which the restricted level's restrictions apply again, and the first on which
   * the severe level's do (each null: not within the horizon), if nothing changes — each day judged under
   * the policy version in force on it. null: no such relief, or nothing returns within the horizon.
   */
  returns: z.object({ restrictedOn: IsoDate.nullable(), severeOn: IsoDate.nullable() }).nullable().optional(),
  /**
   * While restrictions are in force: the same days if the episode in force were lifted early on the date
   * (what accepting an appeal today would leave). null: nothing in force.
   */
  returnsIfLifted: z.object({ restrictedOn: IsoDate.nullable(), severeOn: IsoDate.nullable() }).nullable().optional(),
  /** Each projected day under the policy version in force on it (threshold null for a seller when the category is too small). */
  points: z.array(
    z.object({
      date: IsoDate,
      orders: z.number(),
      interventions: z.number().int(),
      rate: z.number().nullable(),
      threshold: z.number().nullable(),
      flagged: z.boolean(),
      level: LevelSchema,
      policyVersion: z.string(),
    }),
  ),
  ...CategoryGate,
});
export type Forecast = z.infer<typeof ForecastSchema>;

/** GET /api/shops/:shopId/history — the timeline of levels and the decisions taken on them. */
export const HistorySchema = z.object({
  shopId: z.string(),
  periods: z.array(z.object({ level: LevelSchema, from: IsoDate, to: IsoDate })),
  episodes: z.array(
    z.object({
      level: z.enum(['restricted', 'severe']),
      codes: z.array(z.string()),
      start: IsoDate,
      end: IsoDate.nullable(),
      orders: z.number().int(),
      interventions: z.number().int(),
      rate: z.number().nullable(),
      categoryMean: z.number().nullable(),
      ratio: z.number().nullable(),
      flaggedDays: z.number().int(),
      policyVersion: z.string(),
    }),
  ),
  decisions: z.array(z.lazy(() => DecisionSchema)),
});
export type History = z.infer<typeof HistorySchema>;

export const DecisionSchema = z.object({
  id: z.number().int(),
  shopId: z.string(),
  action: z.enum(['confirm', 'exempt', 'lift_early', 'note']),
  reason: z.string(),
  until: IsoDate.nullable(),
  episodeStart: IsoDate.nullable(),
  actor: z.string(),
  at: z.string(),
});
export type Decision = z.infer<typeof DecisionSchema>;

/**
 * GET /api/shops/:shopId/goods?date= (DESIGN §4): per goods of the shop over the window of the date, its
 * orders, intervention orders, rate and share of the shop's interventions, and what the shop's rate, ratio
 * and flag would have been on that date had the goods' intervention orders not happened (those orders and
 * their interventions gone from the shop and from the category). Items by interventions, most first.
 * Orders without a goods are in no item. For a seller whose category is too small to compare,
 * withoutIt.ratio is null.
 */
export const GoodsQuery = z.object({ date: IsoDate.optional() }).strict();
export const GoodsItemSchema = z.object({
  goodsId: z.string(),
  goodsName: z.string(),
  orders: z.number().int(),
  interventions: z.number().int(),
  rate: z.number().nullable(),
  share: z.number().nullable(),
  withoutIt: z.object({
    rate: z.number().nullable(),
    ratio: z.number().nullable(),
    flagged: z.boolean(),
    /** The forecast without them (no new interventions, orders at the recent average): when the shop falls under the threshold and when its restrictions lift. */
    belowThresholdOn: IsoDate.nullable().optional(),
    liftOn: IsoDate.nullable().optional(),
  }),
});
export const GoodsSchema = z.object({
  shopId: z.string(),
  date: IsoDate,
  window: z.object({ from: IsoDate, to: IsoDate }),
  items: z.array(GoodsItemSchema),
});
export type Goods = z.infer<typeof GoodsSchema>;
export type GoodsItem = z.infer<typeof GoodsItemSchema>;

/**
 * GET /api/shops/:shopId/cases/:caseId?date= — one case as evidence: its order (paid time, amount, goods), its
 * timeline as far as the data records it, and why it counts on the date or not. Raw tables keep the latest
 * version of a case (a re-sent row replaces it), so status, outcome and exclusion are those of the last version
 * received (`dataAsOf`: when the data was last loaded); earlier versions are not kept.
 */
export const CaseDetailQuery = z.object({ date: IsoDate.optional() }).strict();
/**
 * Why a case counts on the date or not: counted (it makes its order an intervention order of the window);
 * same_order_counted (an earlier case on the same order already counts it: an order counts once); complaint
 * (counted in the complaints, never in the rate); excluded; order_missing (under order_paid a case counts on its
 * order's paid day: no order, no day); outside_window (it counts on a day outside the window).
 */
export const CaseWhySchema = z.enum(['counted', 'same_order_counted', 'complaint', 'excluded', 'order_missing', 'outside_window']);
export type CaseWhy = z.infer<typeof CaseWhySchema>;
export const CaseWhyDetailSchema = z.object({
  reason: CaseWhySchema,
  /** Whether this case makes its order count on the date (in the rate, or for a complaint in the complaints). */
  counts: z.boolean(),
  /** The day it counts on under the count basis (null: it cannot count). */
  countsOn: IsoDate.nullable(),
  /** The stat dates whose window holds countsOn: the days it counts on (null: it counts nowhere). */
  countedDays: z.object({ from: IsoDate, to: IsoDate }).nullable(),
  /** same_order_counted (or a second complaint on an order): the case that counts the order. */
  sameOrderAs: z.string().nullable(),
});
export const CaseEventSchema = z.object({
  /** paid, opened, status (current), outcome, excluded, leaves_window (the first day it no longer counts). */
  event: z.enum(['paid', 'opened', 'status', 'outcome', 'excluded', 'leaves_window']),
  /** A timestamp (ISO 8601, UTC) when recorded; null for what the data holds without a time. */
  at: z.string().nullable(),
  day: IsoDate.nullable(),
  value: z.string().nullable(),
});
export const CaseDetailSchema = z.object({
  shopId: z.string(),
  caseId: z.string(),
  date: IsoDate,
  window: z.object({ from: IsoDate, to: IsoDate }),
  countBasis: CountBasisSchema,
  case: StoredCaseSchema,
  order: z.object({
    orderId: z.string(),
    /** Whether the order is in the data. */
    known: z.boolean(),
    paidAt: z.string().nullable(),
    paidDay: IsoDate.nullable(),
    amount: z.number().nullable(),
    goodsId: z.string().nullable(),
    goodsName: z.string().nullable(),
  }),
  timeline: z.array(CaseEventSchema),
  why: CaseWhyDetailSchema,
  /** The other cases on the same order (any kind), each with its own why on the date. */
  otherCases: z.array(
    z.object({ caseId: z.string(), kind: z.enum(['intervention', 'complaint']), openedDay: IsoDate, excluded: z.boolean(), why: CaseWhySchema }),
  ),
  /** When data was last loaded (the status, outcome and exclusion are as of then); null: not recorded. */
  dataAsOf: z.string().nullable(),
});
export type CaseDetail = z.infer<typeof CaseDetailSchema>;
