// What every per-shop read needs besides the shop's own rows, read together and kept for one committed
// generation (see generation-cache.ts for why an answer still comes from one snapshot): the data range,
// the policy schedule, the reviewers' early lifts and their exemptions. All are small (a row, the policy
// versions, the decisions of two kinds) and change only with a write.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import { loadLifts } from '../policy/lifts.js';
import { loadSchedule, type PolicySchedule } from '../policy/schedule.js';
import type { LiftOverride } from '../policy/evaluate.js';
import { dataRange, type DataRangeRow } from './queries.js';

/** An exemption decided on a shop (decisions with action 'exempt'), as the forecast reads it. */
export interface ExemptionRow {
  id: number;
  effectiveDay: string;
  untilDay: string | null;
  episodeStart: string | null;
  episodeLevel: 'restricted' | 'severe' | null;
}

export interface ShopBasics {
  /** null: no data loaded yet. */
  range: DataRangeRow | null;
  schedule: PolicySchedule;
  /** Early lifts by shop (loadLifts). */
  lifts: Map<string, LiftOverride[]>;
  /** Exemptions by shop, in id order. */
  exemptions: Map<string, ExemptionRow[]>;
}

/** Read from one snapshot; the values are shared by the requests of a generation and never changed. */
export async function loadShopBasics(conn: DuckDBConnection): Promise<ShopBasics> {
  const range = await dataRange(conn);
  const schedule = await loadSchedule(conn);
  const lifts = await loadLifts(conn);
  const rows = await queryRows<ExemptionRow & { shopId: string }>(
    conn,
    `SELECT id, shop_id AS "shopId", strftime(effective_day, '%Y-%m-%d') AS "effectiveDay", strftime(until_day, '%Y-%m-%d') AS "untilDay",
       strftime(episode_start, '%Y-%m-%d') AS "episodeStart", episode_level AS "episodeLevel"
     FROM decisions WHERE action = 'exempt' ORDER BY id`,
  );
  const exemptions = new Map<string, ExemptionRow[]>();
  for (const { shopId, ...row } of rows) {
    const list = exemptions.get(shopId);
    if (list) list.push(row);
    else exemptions.set(shopId, [row]);
  }
  return { range, schedule, lifts, exemptions };
}

/**
 * The exemption of a shop in force on a date, as the forecast's query had it: effective on or before the
 * date, until the date or later, the highest id. (Dates as YYYY-MM-DD compare as the days do.)
 */
export function exemptionOn(
  basics: Pick<ShopBasics, 'exemptions'>,
  shopId: string,
  date: string,
): { until: string; episodeStart: string | null; level: 'restricted' | 'severe' | null } | null {
  let found: ExemptionRow | null = null;
  for (const e of basics.exemptions.get(shopId) ?? []) {
    if (e.effectiveDay <= date && e.untilDay !== null && e.untilDay >= date && (found === null || e.id > found.id)) found = e;
  }
  return found ? { until: found.untilDay!, episodeStart: found.episodeStart, level: found.episodeLevel } : null;
}
