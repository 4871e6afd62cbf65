// A shop's case file for the decision record (GET /api/shops/:shopId/case-file): everything a reviewer weighs,
// as of one stat date — the numbers, the restrictions in force and each restriction episode with the policy
// version that made it, the window's cases with why each counts or not, the decisions, the appeals, the shop's
// place in the shared queue, and the audit entries on the shop, oldest first. server/api/case-file.ts renders it
// as CSV and as a printable page.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Principal } from '../auth/tokens.js';
import type { CaseFile } from '../contracts/governance.js';
import { notFound } from '../errors.js';
import type { PolicySchedule } from '../policy/schedule.js';
import { whyOf } from '../read/case-detail.js';
import { shopMetricsOn, type DataRangeRow } from '../read/queries.js';
import { shopReview } from '../read/review.js';
import { categoryNameOf, shopCases, shopHistory } from '../read/shop-queries.js';
import { readAudit } from './audit.js';
import { decisionsOf, listAppeals } from './decisions.js';

export async function caseFile(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  range: DataRangeRow,
  who: Principal,
  shopId: string,
  date: string,
  serviceDays: number,
): Promise<CaseFile> {
  const metrics = await shopMetricsOn(conn, shopId, date);
  if (!metrics) throw notFound(`no metrics for shop ${shopId} on ${date}`);
  const listed = await shopCases(conn, schedule, range, shopId, date);
  const inputs = listed.cases.map((c) => ({ caseId: c.caseId, kind: c.kind, excluded: c.excluded, countsOn: c.countsOn, orderId: c.orderId }));
  const cases = listed.cases.map((c, i) => {
    const why = whyOf(
      inputs[i],
      inputs.filter((x) => x.orderId === c.orderId),
      listed.window.from,
      date,
      schedule.active.windowDays,
    );
    return { ...c, why: why.reason, sameOrderAs: why.sameOrderAs };
  });
  const audit = await readAudit(conn, { shopId, limit: 1000, offset: 0 });
  return {
    shopId,
    shopName: metrics.shopName,
    categoryId: metrics.categoryId,
    categoryName: await categoryNameOf(conn, metrics.categoryId),
    date,
    window: metrics.window,
    countBasis: listed.countBasis,
    generatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    generatedBy: who.subject,
    metrics,
    episodes: (await shopHistory(conn, shopId)).episodes,
    // Oldest first, as a record reads (the cases list shows the latest first).
    cases: cases.sort((a, b) => (a.countsOn ?? a.openedDay).localeCompare(b.countsOn ?? b.openedDay) || a.caseId.localeCompare(b.caseId)),
    decisions: await decisionsOf(conn, shopId),
    appeals: await listAppeals(conn, { shopIds: [shopId], order: 'oldest' }),
    review: await shopReview(conn, range, shopId, serviceDays),
    audit: audit.items.reverse(),
  };
}
