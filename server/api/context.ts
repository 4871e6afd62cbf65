import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import type { LatestDay } from '../read/latest.js';
import { dataRange, type DataRangeRow } from '../read/queries.js';
import { minPeerShopsFromEnv } from '../config.js';
import { badRequest, notFound } from './http.js';

export interface AppContext {
  db: Database;
  secret: Uint8Array;
  /** The latest day's metrics in memory (absent: every request queries). */
  latest?: LatestDay;
  /**
   * Other shops with orders in the category's window that a seller needs to see category figures
   * (DESIGN §3 small categories). Absent: MIN_PEER_SHOPS from the environment (default 5).
   */
  minPeerShops?: number;
}

/** The small-category minimum in force for this app. */
export function minPeerShopsOf(ctx: AppContext): number {
  return ctx.minPeerShops ?? minPeerShopsFromEnv();
}

/** The data range, or 404 when nothing is loaded yet. */
export async function requireRange(conn: DuckDBConnection): Promise<DataRangeRow> {
  return rangeOrNotFound(await dataRange(conn));
}

/** A data range already read (null: nothing loaded yet, 404). */
export function rangeOrNotFound(range: DataRangeRow | null): DataRangeRow {
  if (!range) throw notFound('no data has been loaded yet');
  return range;
}

/** The stat date: the one asked for (inside the data), or the latest day with data. */
export function statDate(range: DataRangeRow, date: string | undefined, name = 'date'): string {
  if (date === undefined) return range.last;
  if (date < range.first || date > range.last) throw badRequest(`${name}: ${date} is outside the data (${range.first} … ${range.last})`);
  return date;
}
