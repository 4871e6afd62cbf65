// The policy file's schema (DESIGN §3): every number of the metric and level rules as data. Shared by
// the server, which validates policies with it, and the dashboard, which edits and explains them.
import { z } from 'zod';
import defaultPolicyJson from './default-policy.json' with { type: 'json' };

export const RESTRICTION_CODES = ['remove_resource_slots', 'ban_resource_slots', 'remove_ads', 'ban_new_listings'] as const;
export const LEVELS = ['none', 'warning', 'restricted', 'severe'] as const;
export type Level = (typeof LEVELS)[number];

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const PolicySchema = z
  .object({
    version: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, . _ - only, at most 64'),
    description: z.string().max(2000).default(''),
    timeZone: z.string().refine(isTimeZone, 'not an IANA time zone'),
    windowDays: z.number().int().min(1).max(365),
    /** Which day a case counts on: the day it was opened (default) or the day its order was paid (Amazon's way). */
    countBasis: z.enum(['case_opened', 'order_paid']),
    /** pooled: ΣK / ΣN over the category; mean_of_shop_rates: the mean of the rates of shops with orders. */
    categoryMean: z.enum(['pooled', 'mean_of_shop_rates']),
    floors: z.object({ minOrders: z.number().int().min(0).max(1_000_000), minInterventions: z.number().int().min(0).max(1_000_000) }).strict(),
    flagRatio: z.number().positive().max(1000),
    levels: z
      .tuple([
        z
          .object({ level: z.literal('restricted'), afterFlaggedDays: z.number().int().min(1).max(365), restrictions: z.array(z.enum(RESTRICTION_CODES)) })
          .strict(),
        z.object({ level: z.literal('severe'), afterFlaggedDays: z.number().int().min(1).max(365), restrictions: z.array(z.enum(RESTRICTION_CODES)) }).strict(),
      ])
      .refine(([restricted, severe]) => severe.afterFlaggedDays >= restricted.afterFlaggedDays, 'severe needs at least as many flagged days as restricted'),
    lift: z.object({ afterUnflaggedDays: z.number().int().min(1).max(365) }).strict(),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;

/** The shipped default policy file (validated by the server at load). */
export const DEFAULT_POLICY_FILE: unknown = defaultPolicyJson;
