// Policy simulation: the levels a candidate policy would give on a date, beside the active ones.
// It applies the candidate from the same day activation would (planActivation), so what it shows is
// what activating it does. It runs the same computation as a refresh into temp tables of its own
// connection, so it changes nothing and readers are not held up.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import type { Simulation } from '../contracts/governance.js';
import { compute, dropTemp } from './refresh.js';
import { loadLifts } from '../policy/lifts.js';
import type { Policy } from '../policy/policy.js';
import { STRUCTURAL_KEYS, type PolicySchedule } from '../policy/schedule.js';
import { planActivation } from '../policy/store.js';

export function sameStructure(a: Policy, b: Policy): boolean {
  return STRUCTURAL_KEYS.every((key) => a[key] === b[key]);
}

export async function simulatePolicy(
  conn: DuckDBConnection,
  schedule: PolicySchedule,
  candidate: Policy,
  date: string,
  effectiveFrom?: string | null,
): Promise<Simulation> {
  const started = performance.now();
  const active = schedule.active;
  const plan = await planActivation(conn, candidate, effectiveFrom);
  try {
    // Activation recomputes from its effective day, resuming from the stored day before; the simulation does
    // the same (from the date, if that is earlier: nothing before the effective day differs), so it costs what
    // the activation's refresh costs, not a rebuild. A structural change recounts everything.
    const same = sameStructure(active, candidate);
    const from = same && plan.effectiveFrom !== null ? (plan.effectiveFrom < date ? plan.effectiveFrom : date) : null;
    await compute(conn, schedule.withCandidate(candidate, plan.effectiveFrom), await loadLifts(conn), { reuseCounts: same, from, keepDay: date });
    // Only the shops counted can differ (a level other than none now or before: the rest are at none under both);
    // every category is listed, with its counts.
    const rows = await queryRows<{
      shop_id: string;
      shop_name: string;
      category_id: string;
      was: string;
      now: string;
      ratio: number | null;
    }>(
      conn,
      `SELECT t.shop_id, s.shop_name, f.category_id, coalesce(d.level, 'none') AS was, coalesce(l.level, 'none') AS now, f.ratio
       FROM tmp_shop_flags f
       JOIN tmp_shops t ON t.k = f.k
       JOIN shops s ON s.shop_id = t.shop_id
       LEFT JOIN queue_day d ON d.shop_id = t.shop_id AND d.day = f.day
       LEFT JOIN tmp_levels l ON l.k = f.k AND l.day = f.day
       WHERE f.day = $date::DATE`,
      { date },
    );
    const categoryRows = await queryRows<{ category_id: string; category_name: string }>(
      conn,
      `SELECT DISTINCT s.category_id, coalesce(c.category_name, s.category_id) AS category_name
       FROM shops s LEFT JOIN categories c ON c.category_id = s.category_id`,
    );
    const categories = new Map<string, Simulation['categories'][number]>();
    for (const c of categoryRows) {
      categories.set(c.category_id, {
        categoryId: c.category_id,
        categoryName: c.category_name,
        active: { warning: 0, restricted: 0, severe: 0 },
        candidate: { warning: 0, restricted: 0, severe: 0 },
      });
    }
    const changes: Simulation['changes'] = [];
    for (const r of rows) {
      const cat = categories.get(r.category_id)!;
      const was = (r.was ?? 'none') as Simulation['changes'][number]['from'];
      const now = r.now as Simulation['changes'][number]['to'];
      if (was !== 'none') cat.active[was]++;
      if (now !== 'none') cat.candidate[now]++;
      if (was !== now) changes.push({ shopId: r.shop_id, shopName: r.shop_name, categoryId: r.category_id, from: was, to: now, ratio: r.ratio });
    }
    changes.sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0) || a.shopId.localeCompare(b.shopId));
    return {
      date,
      effectiveFrom: plan.effectiveFrom,
      activatable: plan.refusal === null,
      refusal: plan.refusal,
      activeVersion: active.version,
      candidateVersion: candidate.version,
      categories: [...categories.values()].sort((a, b) => a.categoryId.localeCompare(b.categoryId)),
      changes,
      ms: performance.now() - started,
    };
  } finally {
    await dropTemp(conn);
  }
}
