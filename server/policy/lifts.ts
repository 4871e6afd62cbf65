// The reviewers' early lifts (and accepted appeals) as the level evaluator takes them: read from the
// decisions table, each bound to the episode it was decided on.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { LiftOverride } from './evaluate.js';

/** Early lifts decided by reviewers (and accepted appeals), by shop, each bound to its episode. */
export async function loadLifts(conn: DuckDBConnection): Promise<Map<string, LiftOverride[]>> {
  const rows = await queryRows<{ shop_id: string; day: string; episode_start: string | null; episode_level: LiftOverride['level'] }>(
    conn,
    `SELECT shop_id, strftime(effective_day, '%Y-%m-%d') AS day, strftime(episode_start, '%Y-%m-%d') AS episode_start, episode_level
     FROM decisions WHERE action = 'lift_early' ORDER BY effective_day, id`,
  );
  const lifts = new Map<string, LiftOverride[]>();
  for (const r of rows) lifts.set(r.shop_id, [...(lifts.get(r.shop_id) ?? []), { day: r.day, episodeStart: r.episode_start, level: r.episode_level }]);
  return lifts;
}
