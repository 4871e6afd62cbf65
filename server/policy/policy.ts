// The policy: every number of DESIGN §3 as data, validated at load. Nothing in the metric SQL or the
// level evaluator hard-codes a threshold; it all comes from a Policy.
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
    version: z.string().regex(/^[\w.\-]{1,64}$/, 'letters, digits, . _ - only, at most 64'),
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
        z.object({ level: z.literal('restricted'), afterFlaggedDays: z.number().int().min(1).max(365), restrictions: z.array(z.enum(RESTRICTION_CODES)) }).strict(),
        z.object({ level: z.literal('severe'), afterFlaggedDays: z.number().int().min(1).max(365), restrictions: z.array(z.enum(RESTRICTION_CODES)) }).strict(),
      ])
      .refine(([restricted, severe]) => severe.afterFlaggedDays >= restricted.afterFlaggedDays, 'severe needs at least as many flagged days as restricted'),
    lift: z.object({ afterUnflaggedDays: z.number().int().min(1).max(365) }).strict(),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;

export function parsePolicy(input: unknown, source: string): Policy {
  const result = PolicySchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`${source}: invalid policy: ${problems}`);
  }
  return result.data;
}

export const DEFAULT_POLICY: Policy = parsePolicy(defaultPolicyJson, 'server/policy/default-policy.json');

/** The restrictions in force at a level: each level adds its own to those of the levels below it. */
export function restrictionsAt(policy: Policy, level: Level): string[] {
  const codes: string[] = [];
  for (const step of policy.levels) {
    codes.push(...step.restrictions);
    if (step.level === level) return codes;
  }
  return [];
}
