// The governance workbench's reads and answers (reviewer; sellers may list their own appeals).
import { z } from 'zod';
import { FlaggedListSchema, FlaggedQuery } from '../../contracts/metrics.js';
import {
  AppealAnswerBody,
  AppealSchema,
  AppealsQuery,
  AuditQuery,
  AuditSchema,
  CategoriesQuery,
  CategoriesSchema,
  ShopSearchQuery,
  ShopSearchSchema,
} from '../../contracts/governance.js';
import { flaggedShops } from '../../read/queries.js';
import { categoriesOn } from '../../read/categories.js';
import { searchShops } from '../../read/search.js';
import { answerAppeal, listAppeals } from '../../governance/decisions.js';
import { readAudit } from '../../governance/audit.js';
import { flaggedCsv } from '../csv.js';
import { requireRange, statDate, type AppContext } from '../context.js';
import type { ApiRegistry } from '../registry.js';
import { badRequest } from '../http.js';

export function governanceRoutes(api: ApiRegistry, ctx: AppContext): void {
  api.add({
    method: 'get',
    path: '/flagged',
    access: 'reviewer',
    query: FlaggedQuery,
    response: FlaggedListSchema,
    produces: ['text/csv'],
    summary: 'The shops whose level on a date is not none; filter, sort, page; format=csv downloads them',
    handler: async ({ query, res }) => {
      // The latest day's queue is held in memory (rebuilt after each commit); other days are queried.
      const list =
        ctx.latest?.flagged(query) ??
        (await ctx.db.read(async (conn) => {
          const range = await requireRange(conn);
          return flaggedShops(conn, range, { ...query, date: statDate(range, query.date) });
        }));
      if (query.format === 'csv') {
        res
          .type('text/csv; charset=utf-8')
          .attachment(`flagged-${query.date ?? 'latest'}.csv`)
          .send(flaggedCsv(list.items));
        return undefined;
      }
      return list;
    },
  });

  api.add({
    method: 'get',
    path: '/shops',
    access: 'reviewer',
    query: ShopSearchQuery,
    response: ShopSearchSchema,
    summary: 'Find shops by id (any case) or name: the exact id first, then ids and names that start with the text, then the rest',
    handler: ({ query }) => ctx.db.read((conn) => searchShops(conn, query.q, query.limit)),
  });

  api.add({
    method: 'get',
    path: '/categories',
    access: 'reviewer',
    query: CategoriesQuery,
    response: CategoriesSchema,
    summary: 'Every category on a date: shops, orders, interventions, pooled mean, median and p90 of shop rates, shops per level',
    handler: ({ query }) =>
      ctx.db.read(async (conn) => {
        const range = await requireRange(conn);
        return categoriesOn(conn, statDate(range, query.date));
      }),
  });

  api.add({
    method: 'get',
    path: '/appeals',
    access: 'any',
    query: AppealsQuery,
    response: z.object({ items: z.array(AppealSchema) }),
    summary: 'Appeals: a reviewer sees all, a seller those of their shops',
    handler: async ({ query, who }) => {
      const shopIds =
        who!.role === 'seller' ? (query.shopId ? who!.shops.filter((s) => s === query.shopId) : who!.shops) : query.shopId ? [query.shopId] : undefined;
      return { items: await ctx.db.read((conn) => listAppeals(conn, { state: query.state, shopIds })) };
    },
  });

  api.add({
    method: 'post',
    path: '/appeals/:appealId/answer',
    access: 'reviewer',
    params: z.object({
      appealId: z.coerce
        .number()
        .int()
        .positive()
        .max(2 ** 52),
    }),
    body: AppealAnswerBody,
    response: AppealSchema,
    summary: 'Accept (lifts the restriction early) or reject an appeal, with a reason',
    handler: ({ params, body, who }) => ctx.db.write((conn) => answerAppeal(conn, who!, params.appealId, body)),
  });

  api.add({
    method: 'get',
    path: '/audit',
    access: 'reviewer',
    query: AuditQuery,
    response: AuditSchema,
    summary: 'The append-only audit log of decisions, appeals and policy changes, newest first',
    handler: ({ query }) => {
      if (query.from && query.to && query.from > query.to) throw badRequest(`from: ${query.from} is after to (${query.to})`);
      return ctx.db.read((conn) => readAudit(conn, query));
    },
  });
}
