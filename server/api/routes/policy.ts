import { z } from 'zod';
import { IsoDate } from '../../contracts/common.js';
import { ActivationSchema, SimulationSchema, type Activation } from '../../contracts/governance.js';
import { PolicySchema } from '../../policy/policy.js';
import { activatePolicy, activePolicy, policyVersions } from '../../policy/store.js';
import { loadSchedule } from '../../policy/schedule.js';
import { simulatePolicy } from '../../pipeline/simulate.js';
import { refreshMetrics } from '../../pipeline/refresh.js';
import { appendAudit } from '../../governance/audit.js';
import { requireRange, statDate, type AppContext } from '../context.js';
import { Mutex } from '../../db/database.js';
import { activationOutcome, levelsOn } from '../../read/activation.js';
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
