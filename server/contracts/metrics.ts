import { z } from 'zod';
import { IsoDate, LevelSchema, ShopId } from './common.js';

export const RestrictionSchema = z.object({
  code: z.enum(['remove_resource_slots', 'ban_resource_slots', 'remove_ads', 'ban_new_listings']),
  since: IsoDate,
  /** Set when a reviewer exempted the shop: the restriction does not apply through this day. */
  exemptUntil: IsoDate.optional(),
  /** The policy version that made the restriction (the restriction episode's version; it may differ from the day's). */
  policyVersion: z.string().optional(),
});

/** GET /api/shops/:shopId/metrics — DESIGN §4. Rates are fractions; null where undefined. */
export const ShopMetricsSchema = z.object({
  shopId: z.string(),
  shopName: z.string(),
  categoryId: z.string(),
  date: IsoDate,
  window: z.object({ from: IsoDate, to: IsoDate }),
  orders: z.number().int(),
  interventions: z.number().int(),
  complaints: z.number().int(),
  rate: z.number().nullable(),
  categoryMean: z.number().nullable(),
  ratio: z.number().nullable(),
  judged: z.boolean(),
  flagged: z.boolean(),
  level: LevelSchema,
  consecutiveFlaggedDays: z.number().int(),
  restrictions: z.array(RestrictionSchema),
  policyVersion: z.string(),
  /**
   * In a seller's answer (DESIGN §3 small categories): whether the category has enough other shops with
   * orders in the window for its figures to be shown. When false, categoryMean and ratio are null for
   * the seller (flagged and level are the shop's own and stay). Reviewers and admins see every figure.
   */
  categoryComparable: z.boolean().optional(),
  /** With categoryComparable: the other shops with orders the category needs (the MIN_PEER_SHOPS setting). */
  minPeerShops: z.number().int().optional(),
  /** In the flagged queue: the unflagged days in a row so far while a restriction is in force (they lift it at the policy's count). */
  unflaggedDays: z.number().int().optional(),
  /** GET /shops/:id/metrics: the name of the shop's category (sellers may not list the categories). */
  categoryName: z.string().optional(),
});
export type ShopMetrics = z.infer<typeof ShopMetricsSchema>;

export const ShopMetricsQuery = z.object({ date: IsoDate.optional() }).strict();
export const ShopParams = z.object({ shopId: ShopId });

export const FLAGGED_SORTS = ['ratio', 'rate', 'interventions', 'orders', 'complaints', 'consecutiveFlaggedDays', 'level', 'shopId'] as const;

export const FlaggedQuery = z
  .object({
    date: IsoDate.optional(),
    categoryId: z.string().min(1).max(128).optional(),
    level: z.enum(['warning', 'restricted', 'severe']).optional(),
    minRatio: z.coerce.number().nonnegative().max(1e6).optional(),
    /** only: the shops with an exemption in force; hide: those without. */
    exempt: z.enum(['only', 'hide']).optional(),
    sort: z.enum(FLAGGED_SORTS).default('level'),
    order: z.enum(['asc', 'desc']).default('desc'),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();
export type FlaggedQuery = z.infer<typeof FlaggedQuery>;

export const FlaggedListSchema = z.object({ total: z.number().int(), items: z.array(ShopMetricsSchema) });
export type FlaggedList = z.infer<typeof FlaggedListSchema>;

export const HealthSchema = z.object({ status: z.literal('ok'), dataFrom: IsoDate.nullable(), dataThrough: IsoDate.nullable() });
