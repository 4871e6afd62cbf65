// Governance endpoints (reviewer; policy activation and upload: admin).
import { z } from 'zod';
import { IsoDate, LevelSchema } from './common.js';
import { CaseSchema, CaseWhySchema, CountBasisSchema, DecisionSchema, HistorySchema } from './shop.js';
import { FLAGGED_SORTS, FlaggedQuery, ShopMetricsSchema } from './metrics.js';

/** GET /api/categories?date= */
export const CategoriesQuery = z.object({ date: IsoDate.optional() }).strict();
export const CategoryRowSchema = z.object({
  categoryId: z.string(),
  categoryName: z.string(),
  parentId: z.string().nullable(),
  parentName: z.string().nullable(),
  shops: z.number().int(),
  judgedShops: z.number().int(),
  orders: z.number().int(),
  interventions: z.number().int(),
  complaints: z.number().int(),
  mean: z.number().nullable(),
  medianRate: z.number().nullable(),
  p90Rate: z.number().nullable(),
  levels: z.object({ warning: z.number().int(), restricted: z.number().int(), severe: z.number().int() }),
});
export const CategoriesSchema = z.object({ date: IsoDate, categories: z.array(CategoryRowSchema) });
export type Categories = z.infer<typeof CategoriesSchema>;

/** POST /api/shops/:shopId/decisions */
export const DecisionBody = z
  .object({
    action: z.enum(['confirm', 'exempt', 'lift_early', 'note']),
    reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(2000),
    /** exempt: the last day of the exemption (required). */
    until: IsoDate.optional(),
    /** The shared queue: decide although someone else has the shop in review (taking it over); otherwise that is 409. */
    reassign: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.action !== 'exempt' || b.until !== undefined, { message: 'an exemption needs an end date', path: ['until'] });

/** POST /api/decisions/bulk: one decision with one reason on several shops; each is recorded on its own. */
export const BulkDecisionBody = z
  .object({
    shopIds: z
      .array(z.string().min(1).max(128))
      .min(1)
      .max(200)
      .refine((ids) => new Set(ids).size === ids.length, 'each shop once'),
    action: z.enum(['confirm', 'exempt', 'lift_early', 'note']),
    reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(2000),
    until: IsoDate.optional(),
    /** Decide although someone else has some of the shops in review; otherwise that is 409 listing them, and nothing is recorded. */
    reassign: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.action !== 'exempt' || b.until !== undefined, { message: 'an exemption needs an end date', path: ['until'] });

/** POST /api/shops/:shopId/appeals (seller) and POST /api/appeals/:id/answer (reviewer) */
export const AppealBody = z.object({ text: z.string().trim().min(10, 'must explain the appeal (at least 10 characters)').max(5000) }).strict();
export const AppealAnswerBody = z
  .object({
    decision: z.enum(['accept', 'reject']),
    reason: z.string().trim().min(3).max(2000),
    /** Answer although someone else has the shop in review (the answer decides its queue entry); otherwise that is 409. */
    reassign: z.boolean().optional(),
  })
  .strict();
export const AppealSchema = z.object({
  id: z.number().int(),
  shopId: z.string(),
  episodeStart: IsoDate,
  level: LevelSchema,
  text: z.string(),
  state: z.enum(['pending', 'accepted', 'rejected']),
  createdBy: z.string(),
  createdAt: z.string(),
  answeredBy: z.string().nullable(),
  answeredAt: z.string().nullable(),
  answerReason: z.string().nullable(),
  /** Whole days since it was filed. */
  ageDays: z.number().int().optional(),
  /** The shop's numbers on the last day with data, inline for reviewers (absent for sellers: they have their own view). */
  shop: z
    .object({
      shopName: z.string(),
      categoryId: z.string(),
      level: LevelSchema,
      orders: z.number().int(),
      interventions: z.number().int(),
      rate: z.number().nullable(),
      ratio: z.number().nullable(),
      consecutiveFlaggedDays: z.number().int(),
    })
    .nullable()
    .optional(),
});
export type Appeal = z.infer<typeof AppealSchema>;
export const AppealsQuery = z
  .object({
    state: z.enum(['pending', 'accepted', 'rejected']).optional(),
    shopId: z.string().max(128).optional(),
    categoryId: z.string().min(1).max(128).optional(),
    /** oldest first (a queue) or newest first (default). */
    order: z.enum(['oldest', 'newest']).default('newest'),
  })
  .strict();

/** GET /api/audit?shopId=&actor=&action=&from=&to=&limit=&offset= */
export const AuditQuery = z
  .object({
    shopId: z.string().min(1).max(128).optional(),
    actor: z.string().min(1).max(200).optional(),
    action: z.string().min(1).max(64).optional(),
    from: IsoDate.optional(),
    to: IsoDate.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  })
  .strict();
export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  shopId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export const AuditSchema = z.object({ total: z.number().int(), items: z.array(AuditEntrySchema) });
/** The audit log's filters as parsed (defaults applied). */
export type AuditFilter = z.output<typeof AuditQuery>;
export type AuditPage = z.infer<typeof AuditSchema>;
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** POST /api/policy/simulate { policy, date? } → per category, counts under active and candidate. */
export const SimulationSchema = z.object({
  date: IsoDate,
  /** The first day the candidate applies to, as activation would apply it (null: from the data's first day). */
  effectiveFrom: IsoDate.nullable(),
  /** Whether activating it as simulated is allowed; refusal says why not. */
  activatable: z.boolean(),
  refusal: z.string().nullable(),
  activeVersion: z.string(),
  candidateVersion: z.string(),
  categories: z.array(
    z.object({
      categoryId: z.string(),
      categoryName: z.string(),
      active: z.object({ warning: z.number().int(), restricted: z.number().int(), severe: z.number().int() }),
      candidate: z.object({ warning: z.number().int(), restricted: z.number().int(), severe: z.number().int() }),
    }),
  ),
  changes: z.array(
    z.object({ shopId: z.string(), shopName: z.string(), categoryId: z.string(), from: LevelSchema, to: LevelSchema, ratio: z.number().nullable() }),
  ),
  ms: z.number(),
});
export type Simulation = z.infer<typeof SimulationSchema>;

export { DecisionSchema };

/** POST /api/policy/activate: what the activation did on the day it was simulated on, to set beside the simulation. */
const LevelCounts = z.object({ warning: z.number().int(), restricted: z.number().int(), severe: z.number().int() });
export const ActivationSchema = z.object({
  version: z.string(),
  effectiveFrom: IsoDate.nullable(),
  changed: z.array(z.string()),
  /** The version active before this one. */
  previousVersion: z.string().optional(),
  /** The levels on `date` after the refresh, per category, and the shops whose level on that date moved. */
  outcome: z
    .object({
      date: IsoDate,
      categories: z.array(z.object({ categoryId: z.string(), categoryName: z.string(), levels: LevelCounts })),
      changes: z.array(z.object({ shopId: z.string(), shopName: z.string(), categoryId: z.string(), from: LevelSchema, to: LevelSchema })),
    })
    .optional(),
});
export type Activation = z.infer<typeof ActivationSchema>;

/** GET /api/shops?q=&limit= (reviewer): shops whose id (any case) or name contains q, best matches first. */
export const ShopSearchQuery = z
  .object({
    /** Part of a shop id or name; empty finds nothing. */
    q: z.string().trim().max(128).default(''),
    limit: z.coerce.number().int().min(1).max(50).default(10),
  })
  .strict();
export const ShopSearchSchema = z.object({
  q: z.string(),
  items: z.array(
    z.object({
      shopId: z.string(),
      shopName: z.string(),
      categoryId: z.string(),
      categoryName: z.string().nullable(),
      /** The shop's level on the last day with data (null: no metrics that day). */
      level: LevelSchema.nullable(),
      /** How it matched: the id exactly (any case), the id's start, the name's start, or somewhere inside. */
      match: z.enum(['id', 'id_prefix', 'name_prefix', 'contains']),
    }),
  ),
});
export type ShopSearch = z.infer<typeof ShopSearchSchema>;

/** GET /api/platform: shops per level per day, entries into and exits from each level, policy versions, top movers. */
export const PlatformQuery = z
  .object({
    from: IsoDate.optional(),
    to: IsoDate.optional(),
    categoryId: z.string().min(1).max(128).optional(),
  })
  .strict();
export type PlatformQuery = z.infer<typeof PlatformQuery>;

export const PlatformSchema = z.object({
  from: IsoDate,
  to: IsoDate,
  categoryId: z.string().nullable(),
  days: z.array(z.object({ date: IsoDate, levels: LevelCounts, entered: LevelCounts, left: LevelCounts })),
  /** The days each policy version took effect inside the range. */
  policyVersions: z.array(z.object({ version: z.string(), effectiveFrom: IsoDate })),
  /** The week ending on `to`: the shops whose level went up most, and down most. */
  movers: z.object({
    weekFrom: IsoDate,
    up: z.array(
      z.object({ shopId: z.string(), shopName: z.string(), categoryId: z.string(), from: LevelSchema, to: LevelSchema, ratio: z.number().nullable() }),
    ),
    down: z.array(
      z.object({ shopId: z.string(), shopName: z.string(), categoryId: z.string(), from: LevelSchema, to: LevelSchema, ratio: z.number().nullable() }),
    ),
  }),
});
export type Platform = z.infer<typeof PlatformSchema>;

/**
 * The shared queue: each queued shop's review state on its current queue entry (the first day of its run of
 * days at a level other than none), the assignee, and how long it has waited.
 */
export const REVIEW_STATES = ['new', 'in_review', 'decided'] as const;
export const ReviewSchema = z.object({
  state: z.enum(REVIEW_STATES),
  /** Who has it (claimed or assigned); null when nobody does. Kept after a decision: who worked it. */
  assignee: z.string().nullable(),
  /** When the assignee took it (ISO 8601, UTC). */
  claimedAt: z.string().nullable(),
  /** Who decided it and when: set only while the state is decided (reopening it clears them; the audit log keeps them). */
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  /** The first day of the shop's current run of days in the queue (level not none). */
  enteredOn: IsoDate,
  /** Whole data days from enteredOn to the stat date (0 on the day it entered): the days of data, not the wall clock. */
  ageDays: z.number().int(),
  /** Not decided and ageDays at or past the service time (QUEUE_SERVICE_DAYS). */
  pastService: z.boolean(),
});
export type Review = z.infer<typeof ReviewSchema>;

/**
 * GET /api/queue (reviewer): the shared queue — GET /api/flagged's filters, sort and paging (DESIGN §4, which
 * stays exactly as it is), plus the review filters, the sort by age, and each item's review.
 */
export const QUEUE_REVIEW_FILTERS = ['new', 'in_review', 'decided', 'mine', 'unassigned'] as const;
/** DESIGN §4's sort keys, and `age`: the days since the shop entered the queue (desc: the longest waiting first). */
export const QUEUE_SORTS = [...FLAGGED_SORTS, 'age'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];
export const QueueQuery = FlaggedQuery.extend({
  sort: z.enum(QUEUE_SORTS).default('level'),
  /** new, in_review, decided; mine: in review by the caller; unassigned: nobody has it and it is not decided. */
  review: z.enum(QUEUE_REVIEW_FILTERS).optional(),
  /** Assigned to this person (exactly as shown): in review by them, or decided while theirs. */
  assignee: z.string().trim().min(1).max(200).optional(),
}).strict();
export type QueueQuery = z.infer<typeof QueueQuery>;
export const QueueItemSchema = ShopMetricsSchema.extend({ review: ReviewSchema });
export type QueueItem = z.infer<typeof QueueItemSchema>;
export const QueueListSchema = z.object({
  total: z.number().int(),
  items: z.array(QueueItemSchema),
  /** The service time in days (QUEUE_SERVICE_DAYS). */
  serviceDays: z.number().int(),
});
export type QueueList = z.infer<typeof QueueListSchema>;

/** POST /api/shops/:shopId/review: claim (take it), release (give it back), assign (to a named colleague). */
export const ReviewActionBody = z
  .object({
    action: z.enum(['claim', 'release', 'assign']),
    /** assign: who gets it (required). */
    assignee: z.string().trim().min(1).max(200).optional(),
    /** Take it over although someone else has it (claim, assign, release), or reopen a decided one (claim, assign). */
    reassign: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.action !== 'assign' || b.assignee !== undefined, { message: 'an assignment needs the assignee', path: ['assignee'] });
export type ReviewAction = z.infer<typeof ReviewActionBody>;

/** GET/POST /api/shops/:shopId/review: the shop's queue entry on the last day with data (review null: not in the queue). */
export const ShopReviewSchema = z.object({
  shopId: z.string(),
  date: IsoDate,
  level: LevelSchema,
  serviceDays: z.number().int(),
  review: ReviewSchema.nullable(),
});
export type ShopReview = z.infer<typeof ShopReviewSchema>;

/**
 * GET /api/shops/:shopId/case-file?date=&format=json|csv|html (reviewer): the shop's case file for the decision
 * record — its numbers on the date, the restrictions in force and every restriction episode with the policy
 * version that made it, the cases of the window with why each counts or not, the decisions, appeals, its place
 * in the shared queue and the audit entries on the shop (oldest first).
 */
export const CaseFileQuery = z.object({ date: IsoDate.optional(), format: z.enum(['json', 'csv', 'html']).default('json') }).strict();
export const CaseFileSchema = z.object({
  shopId: z.string(),
  shopName: z.string(),
  categoryId: z.string(),
  categoryName: z.string(),
  date: IsoDate,
  window: z.object({ from: IsoDate, to: IsoDate }),
  countBasis: CountBasisSchema,
  generatedAt: z.string(),
  generatedBy: z.string(),
  metrics: ShopMetricsSchema,
  episodes: HistorySchema.shape.episodes,
  cases: z.array(CaseSchema.extend({ why: CaseWhySchema, sameOrderAs: z.string().nullable() })),
  decisions: z.array(DecisionSchema),
  appeals: z.array(AppealSchema),
  review: ShopReviewSchema,
  audit: z.array(AuditEntrySchema),
});
export type CaseFile = z.infer<typeof CaseFileSchema>;
