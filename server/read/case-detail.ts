// Evidence for one case: its order (paid time, amount, goods), its timeline as far as the data records it, and
// why it counts on a stat date or not — the engine's rules (DESIGN §3) spelled out for one case: an excluded
// case counts nowhere; a complaint never enters the rate; under order_paid a case counts on its order's paid day
// (no order, no day); a case counts in the windows that hold its counting day; several cases on one order count
// it once (here: the earliest counting day, then the smallest case id, as the cases list shows it).
//
// Raw tables keep the latest version of a case (a re-sent row replaces it; ingest keeps no history), so the
// status, outcome and exclusion are those of the last version received; `dataAsOf` says when data was last loaded.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import type { CaseDetail, CaseWhy } from '../contracts/shop.js';
import type { PolicySchedule } from '../policy/schedule.js';
import { addDays } from './shop-queries.js';

export interface WhyInput {
  caseId: string;
  kind: 'intervention' | 'complaint';
  excluded: boolean;
  /** The day it counts on under the count basis (null: its order is missing under order_paid). */
  countsOn: string | null;
}

/** Why a case counts on `date` (window from … date) or not, given every case on its order (itself included). */
export function whyOf(c: WhyInput, sameOrder: readonly WhyInput[], from: string, date: string, windowDays: number): CaseDetail['why'] {
  const none = { counts: false, countsOn: null, countedDays: null, sameOrderAs: null };
  if (c.excluded) return { reason: 'excluded', ...none };
  if (c.countsOn === null) return { reason: 'order_missing', ...none };
  const countsOn = c.countsOn;
  const countedDays = { from: countsOn, to: addDays(countsOn, windowDays - 1) };
  const inWindow = (day: string | null) => day !== null && day >= from && day <= date;
  if (!inWindow(countsOn)) return { reason: 'outside_window', counts: false, countsOn, countedDays, sameOrderAs: null };
  const earlier = sameOrder
    .filter((s) => s.caseId !== c.caseId && s.kind === c.kind && !s.excluded && inWindow(s.countsOn))
    .filter((s) => s.countsOn! < countsOn || (s.countsOn === countsOn && s.caseId < c.caseId))
    .sort((a, b) => a.countsOn!.localeCompare(b.countsOn!) || a.caseId.localeCompare(b.caseId))[0];
  const reason: CaseWhy = c.kind === 'complaint' ? 'complaint' : earlier ? 'same_order_counted' : 'counted';
  return { reason, counts: !earlier, countsOn, countedDays, sameOrderAs: earlier?.caseId ?? null };
}

interface CaseRow {
  caseId: string;
  orderId: string;
  kind: 'intervention' | 'complaint';
  reason: string | null;
  openedAt: string;
  openedDay: string;
  status: 'open' | 'closed';
  outcome: string | null;
  excluded: boolean;
  exclusionReason: string | null;
  orderKnown: boolean;
  paidAt: string | null;
  paidDay: string | null;
  amount: number | null;
  goodsId: string | null;
  goodsName: string | null;
}

/** The case of the shop with its order, on a stat date; null when the shop has no such case. */
export async function caseDetail(conn: DuckDBConnection, schedule: PolicySchedule, shopId: string, caseId: string, date: string): Promise<CaseDetail | null> {
  const policy = schedule.active;
  const from = addDays(date, -(policy.windowDays - 1));
  const rows = await queryRows<CaseRow>(
    conn,
    `SELECT c.case_id AS "caseId", c.order_id AS "orderId", c.kind, c.reason, strftime(c.opened_at, '%Y-%m-%dT%H:%M:%SZ') AS "openedAt",
       strftime(CAST(timezone($tz, c.opened_at) AS DATE), '%Y-%m-%d') AS "openedDay", c.status, c.outcome, c.excluded,
       c.exclusion_reason AS "exclusionReason", o.order_id IS NOT NULL AS "orderKnown", strftime(o.paid_at, '%Y-%m-%dT%H:%M:%SZ') AS "paidAt",
       strftime(CAST(timezone($tz, o.paid_at) AS DATE), '%Y-%m-%d') AS "paidDay", o.amount::DOUBLE AS amount, o.goods_id AS "goodsId",
       g.goods_name AS "goodsName"
     FROM cases c LEFT JOIN case_orders o ON o.order_id = c.order_id LEFT JOIN goods g ON g.goods_id = o.goods_id
     WHERE c.shop_id = $shopId AND c.order_id = (SELECT order_id FROM cases WHERE shop_id = $shopId AND case_id = $caseId)
     ORDER BY c.opened_at, c.case_id`,
    { tz: policy.timeZone, shopId, caseId },
  );
  const row = rows.find((r) => r.caseId === caseId);
  if (!row) return null;
  const countsOn = (r: CaseRow) => (policy.countBasis === 'order_paid' ? r.paidDay : r.openedDay);
  const inputs: WhyInput[] = rows.map((r) => ({ caseId: r.caseId, kind: r.kind, excluded: r.excluded, countsOn: countsOn(r) }));
  const why = whyOf(
    inputs.find((i) => i.caseId === caseId)!,
    inputs,
    from,
    date,
    policy.windowDays,
  );
  // What has a time, in time order; then what the last version received says (no time recorded).
  const timeline: CaseDetail['timeline'] = [{ event: 'opened', at: row.openedAt, day: row.openedDay, value: row.reason }];
  if (row.paidAt) timeline.splice(row.paidAt <= row.openedAt ? 0 : 1, 0, { event: 'paid', at: row.paidAt, day: row.paidDay, value: null });
  timeline.push({ event: 'status', at: null, day: null, value: row.status });
  if (row.outcome) timeline.push({ event: 'outcome', at: null, day: null, value: row.outcome });
  if (row.excluded) timeline.push({ event: 'excluded', at: null, day: null, value: row.exclusionReason });
  if (why.countedDays) timeline.push({ event: 'leaves_window', at: null, day: addDays(why.countedDays.to, 1), value: null });
  const loaded = await queryOne<{ at: string | null }>(
    conn,
    "SELECT strftime(max(finished_at), '%Y-%m-%dT%H:%M:%SZ') AS at FROM ingest_batches WHERE accepted > 0",
  );
  return {
    shopId,
    caseId,
    date,
    window: { from, to: date },
    countBasis: policy.countBasis,
    case: {
      caseId: row.caseId,
      orderId: row.orderId,
      kind: row.kind,
      reason: row.reason,
      openedAt: row.openedAt,
      openedDay: row.openedDay,
      status: row.status,
      outcome: row.outcome,
      excluded: row.excluded,
      exclusionReason: row.exclusionReason,
    },
    order: {
      orderId: row.orderId,
      known: row.orderKnown,
      paidAt: row.paidAt,
      paidDay: row.paidDay,
      amount: row.amount,
      goodsId: row.goodsId,
      goodsName: row.goodsName,
    },
    timeline,
    why,
    otherCases: rows
      .filter((r) => r.caseId !== caseId)
      .map((r) => ({
        caseId: r.caseId,
        kind: r.kind,
        openedDay: r.openedDay,
        excluded: r.excluded,
        why: whyOf(
          inputs.find((x) => x.caseId === r.caseId)!,
          inputs,
          from,
          date,
          policy.windowDays,
        ).reason,
      })),
    dataAsOf: loaded?.at ?? null,
  };
}
