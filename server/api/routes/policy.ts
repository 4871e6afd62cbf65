import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { IsoDate } from '../../contracts/common.js';
import { ActivationSchema, SimulationSchema, type Activation } from '../../contracts/governance.js';
import type { Level } from '../../contracts/policy.js';
import { PolicySchema } from '../../policy/policy.js';
import { activatePolicy, activePolicy, policyVersions } from '../../policy/store.js';
import { loadSchedule } from '../../policy/schedule.js';
import { simulatePolicy } from '../../pipeline/simulate.js';
import { refreshMetrics } from '../../pipeline/refresh.js';
import { appendAudit } from '../../governance/audit.js';
import { requireRange, statDate, type AppContext } from '../context.js';
import { Mutex, queryRows } from '../../db/database.js';
import { dataRange } from '../../read/queries.js';
import type { ApiRegistry } from '../registry.js';

const VersionSchema = z.object({
  version: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  active: z.boolean(),
  effectiveFrom: z.string().nullable(),
  policy: PolicySchema,
});

type ShopLevel = { shopId: string; shopName: string; categoryId: string; categoryName: string; level: Level };

/** Every shop's level on a day (as stored), to compare before and after an activation. */
async function levelsOn(conn: DuckDBConnection, date: string): Promise<Map<string, ShopLevel>> {
  const rows = await queryRows<ShopLevel>(
    conn,
    `SELECT d.shop_id AS "shopId", s.shop_name AS "shopName", d.category_id AS "categoryId",
       coalesce(c.category_name, d.category_id) AS "categoryName", d.level
     FROM shop_day d JOIN shops s ON s.shop_id = d.shop_id LEFT JOIN categories c ON c.category_id = d.category_id
     WHERE d.day = $date::DATE`,
    { date },
  );
  return new Map(rows.map((r) => [r.shopId, r]));
}

/** What an activation did on a day: the levels after it per category, and the shops whose level moved. */
export function activationOutcome(date: string, before: Map<string, ShopLevel>, after: Map<string, ShopLevel>): NonNullable<Activation['outcome']> {
  const categories = new Map<string, NonNullable<Activation['outcome']>['categories'][number]>();
  const changes: NonNullable<Activation['outcome']>['changes'] = [];
  for (const row of after.values()) {
    let cat = categories.get(row.categoryId);
    if (!cat)
      categories.set(row.categoryId, (cat = { categoryId: row.categoryId, categoryName: row.categoryName, levels: { warning: 0, restricted: 0, severe: 0 } }));
    if (row.level !== 'none') cat.levels[row.level]++;
    const was = before.get(row.shopId)?.level ?? 'none';
    if (was !== row.level) changes.push({ shopId: row.shopId, shopName: row.shopName, categoryId: row.categoryId, from: was, to: row.level });
  }
  changes.sort((a, b) => a.shopId.localeCompare(b.shopId));
  return { date, categories: [...categories.values()].sort((a, b) => a.categoryId.localeCompare(b.categoryId)), changes };
}

export function policyRoutes(api: ApiRegistry, ctx: AppContext): void {
  // Simulations run one at a time: each recomputes every shop-day, so two at once only share the CPU and
  // double the memory.
  const simulations = new Mutex();

  api.add({
    method: 'get',
    path: '/policy',
    access: 'any',
    response: z.object({ active: PolicySchema, versions: z.array(VersionSchema) }),
    summary: 'The active policy and every version with the day it took effect',
    handler: () =>
      ctx.db.read(async (conn) => {
        const schedule = await loadSchedule(conn);
        return { active: schedule.active, versions: await policyVersions(conn) };
      }),
  });

  api.add({
    method: 'post',
    path: '/policy/simulate',
    access: 'reviewer',
    body: z.object({ policy: PolicySchema, date: IsoDate.optional(), effectiveFrom: IsoDate.optional() }).strict(),
    response: SimulationSchema,
    summary:
      'What activating a candidate policy from a day on (default: the last day with data, as activation) would do on a date: shops per level per category under it and under the active policy, and the shops that change level',
    status: 200,
    handler: ({ body }) =>
      simulations.run(() =>
        ctx.db.read(async (conn) => {
          const range = await requireRange(conn);
          return simulatePolicy(conn, await loadSchedule(conn), body.policy, statDate(range, body.date), body.effectiveFrom);
        }),
      ),
  });

  api.add({
    method: 'post',
    path: '/policy/activate',
    access: 'admin',
    /** date: the day to report the levels on afterwards (default: the last day with data), as the simulation's date. */
    body: z.object({ policy: PolicySchema, effectiveFrom: IsoDate.optional(), date: IsoDate.optional() }).strict(),
    response: ActivationSchema,
    summary:
      'Make a candidate the active version from a day on (default: the last day with data; before any data, from its first day), recompute the levels, and answer the levels on a date afterwards with the shops that moved (to set beside the simulation)',
    handler: ({ body, who }) =>
      ctx.db.write(async (conn): Promise<Activation> => {
        const previous = await activePolicy(conn);
        const range = await dataRange(conn);
        const date = range ? statDate(range, body.date) : null;
        const before = date ? await levelsOn(conn, date) : null;
        const result = await activatePolicy(conn, body.policy, who!.subject, body.effectiveFrom);
        await refreshMetrics(conn, { from: result.effectiveFrom });
        await appendAudit(conn, who!, 'policy.activated', null, { ...result, policy: body.policy, previous });
        const outcome = date && before ? activationOutcome(date, before, await levelsOn(conn, date)) : undefined;
        return { ...result, previousVersion: previous.version, ...(outcome ? { outcome } : {}) };
      }),
  });
}
