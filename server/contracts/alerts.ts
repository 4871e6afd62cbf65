// Alerts (DESIGN §4): webhook subscriptions, and the log of their deliveries.
import { z } from 'zod';
import { IsoDate } from './common.js';

export const ALERT_EVENTS = ['level.changed', 'restriction.lifted', 'forecast.crossing', 'appeal.answered', 'queue.daily'] as const;
export type AlertEventName = (typeof ALERT_EVENTS)[number];
/** The events about one shop (they need a shopId); queue.daily is the reviewers' digest of the whole queue. */
export const SHOP_EVENTS: readonly AlertEventName[] = ['level.changed', 'restriction.lifted', 'forecast.crossing', 'appeal.answered'];

export const ALERT_FORMATS = ['json', 'dingtalk', 'feishu', 'wecom'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

const notPadded = (s: string) => s.length > 0 && s.trim() === s;

/** POST /api/subscriptions */
export const SubscriptionBody = z
  .object({
    shopId: z.string().min(1, 'is empty').max(128, 'is longer than 128 characters').refine(notPadded, 'must not start or end with white space').optional(),
    url: z.string().min(1, 'is empty').max(2000, 'is longer than 2000 characters'),
    format: z.enum(ALERT_FORMATS),
    events: z
      .array(z.enum(ALERT_EVENTS))
      .min(1, 'must name at least one event')
      .max(ALERT_EVENTS.length)
      .refine((list) => new Set(list).size === list.length, 'names an event twice'),
    /** json: the HMAC key of X-Signature (made and shown once when omitted); dingtalk, feishu: the robot's signing secret. */
    secret: z
      .string()
      .min(8, 'must be at least 8 characters')
      .max(256, 'is longer than 256 characters')
      .refine((s) => s.trim().length >= 8, 'must not be blank')
      .optional(),
    /** forecast.crossing: alert when the forecast crosses within this many days (default 7). */
    horizonDays: z.number().int().min(1).max(30).optional(),
  })
  .strict();
export type SubscriptionBody = z.infer<typeof SubscriptionBody>;

export const SubscriptionParams = z.object({
  subscriptionId: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 52),
});

export const SubscriptionSchema = z.object({
  id: z.number().int(),
  shopId: z.string().nullable(),
  /** The URL with its secrets (query values, long path tokens) masked. */
  url: z.string(),
  format: z.enum(ALERT_FORMATS),
  events: z.array(z.enum(ALERT_EVENTS)),
  horizonDays: z.number().int(),
  hasSecret: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  active: z.boolean(),
  /** Only in the answer to POST, when the server made the json secret: it is never shown again. */
  secret: z.string().optional(),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

export const SubscriptionListSchema = z.object({ items: z.array(SubscriptionSchema) });

export const DeliverySchema = z.object({
  id: z.number().int(),
  eventId: z.number().int(),
  event: z.enum(ALERT_EVENTS),
  shopId: z.string().nullable(),
  date: IsoDate,
  /** pending: waiting for its (next) attempt; delivered; failed: gave up after the last attempt; cancelled: the subscription was deleted. */
  status: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export const DeliveryListSchema = z.object({ subscriptionId: z.number().int(), items: z.array(DeliverySchema) });
