// CSV exports (csv-stringify): a header row, fractions as numbers, restrictions as code@since pairs, and no
// text cell that a spreadsheet would run as a formula.
import { stringify } from 'csv-stringify/sync';
import type { Review } from '../contracts/governance.js';
import type { ShopMetrics } from '../contracts/metrics.js';

/**
 * CSV injection: a spreadsheet runs a cell that begins with = + - @, a tab or a carriage return as a
 * formula. Such a text cell gets a leading ' so it is shown as text (OWASP's advice); numbers are written
 * as numbers and never touched (all of ours are non-negative). Every text cell of every CSV export goes through this.
 */
export function escapeCsvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** GET /api/flagged?format=csv: DESIGN §4's fields, as they always were. */
export function flaggedCsv(items: ShopMetrics[]): string {
  return metricsAndReviewCsv(items, false);
}

/**
 * The shared queue (GET /api/queue?format=csv): DESIGN §4's fields, then each shop's place in the shared queue — its
 * review state, who has it (or worked it, once decided), the day it entered the queue, its age in days on the
 * stat date and whether it is past the service time (booleans as 1 or empty, like judged and flagged).
 */
export function queueCsv(items: (ShopMetrics & { review: Review })[]): string {
  return metricsAndReviewCsv(items, true);
}

function metricsAndReviewCsv(items: (ShopMetrics & { review?: Review })[], withReview: boolean): string {
  // A BOM so that spreadsheet programs read the Chinese shop names as UTF-8.
  return (
    '\ufeff' +
    stringify(
      items.map((m) => ({
        shop_id: m.shopId,
        shop_name: m.shopName,
        category_id: m.categoryId,
        date: m.date,
        window_from: m.window.from,
        orders: m.orders,
        interventions: m.interventions,
        complaints: m.complaints,
        rate: m.rate ?? '',
        category_mean: m.categoryMean ?? '',
        ratio: m.ratio ?? '',
        judged: m.judged,
        flagged: m.flagged,
        level: m.level,
        consecutive_flagged_days: m.consecutiveFlaggedDays,
        restrictions: m.restrictions.map((r) => `${r.code}@${r.since}`).join(' '),
        policy_version: m.policyVersion,
        ...(m.review && {
          review_state: m.review.state,
          assignee: m.review.assignee ?? '',
          entered_on: m.review.enteredOn,
          age_days: m.review.ageDays,
          past_service: m.review.pastService,
        }),
      })),
      {
        header: true,
        cast: { string: escapeCsvText },
        columns: [
          'shop_id',
          'shop_name',
          'category_id',
          'date',
          'window_from',
          'orders',
          'interventions',
          'complaints',
          'rate',
          'category_mean',
          'ratio',
          'judged',
          'flagged',
          'level',
          'consecutive_flagged_days',
          'restrictions',
          'policy_version',
          ...(withReview ? ['review_state', 'assignee', 'entered_on', 'age_days', 'past_service'] : []),
        ],
      },
    )
  );
}
