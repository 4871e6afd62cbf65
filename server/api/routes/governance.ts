// The governance workbench's reads and answers (reviewer; sellers may list their own appeals).
import { z } from 'zod';
import { FlaggedListSchema, FlaggedQuery, ShopParams } from '../../contracts/metrics.js';
import {
  AppealAnswerBody,
  AppealSchema,
  AppealsQuery,
  AuditQuery,
  AuditSchema,
  BulkDecisionBody,
  CategoriesQuery,
  DecisionSchema,
  CategoriesSchema,
  PlatformQuery,
  PlatformSchema,
  QueueListSchema,
  QueueQuery,
  ReviewActionBody,
  ShopReviewSchema,
  ShopSearchQuery,
  ShopSearchSchema,
} from '../../contracts/governance.js';
import { reviewedQueue, shopReview } from '../../read/review.js';
import { reviewShop } from '../../governance/review.js';
import { queueServiceDaysFromEnv } from '../../config.js';
import { categoriesOn } from '../../read/categories.js';
import { searchShops } from '../../read/search.js';
import { platformOverTime } from '../../read/platform.js';
import { loadSchedule } from '../../policy/schedule.js';
import { answerAppeal, decideMany, listAppeals } from '../../governance/decisions.js';
import { readAudit } from '../../governance/audit.js';
import { flaggedCsv, queueCsv } from '../csv.js';
import { requireRange, statDate, type AppContext } from '../context.js';
import type { ApiRegistry } from '../registry.js';
import { badRequest, notFound } from '../http.js';
import { flaggedShops, shopExists } from '../../read/queries.js';
import type { DuckDBConnection } from '@duckdb/node-api';

async function knownShop(conn: DuckDBConnection, shopId: string): Promise<void> {
  if (!(await shopExists(conn, shopId))) throw notFound(`shop ${shopId} is not known`);
}

function shiftDay(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export function governanceRoutes(api: ApiRegistry, ctx: AppContext): void {
  // The shared queue's service time (QUEUE_SERVICE_DAYS): a shop not decided this many days after it entered is marked.
  const serviceDays = queueServiceDaysFromEnv();

  api.add({
    method: 'get',
    path: '/flagged',
    access: 'reviewer',
    query: FlaggedQuery,
    response: FlaggedListSchema,
    produces: ['text/csv'],
    // The same list for every reviewer until the next write (a CSV download is sent as it is, never kept).
    cache: 'route',
    summary: 'The shops whose level on a date is not none (DESIGN §4); filter, sort, page; format=csv downloads them. The shared queue is GET /api/queue',
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
    path: '/queue',
    access: 'reviewer',
    query: QueueQuery,
    response: QueueListSchema,
    produces: ['text/csv'],
    summary:
      "The shared queue: GET /api/flagged's shops, filters, sort and paging, each with its review (state, assignee, days of data in the queue, past the service time); also filtered by review state and assignee, sorted by age; format=csv downloads them",
    handler: async ({ query, res, who }) => {
      const review = { viewer: who!.subject, serviceDays };
      // The latest day's queue and its entries are held in memory (rebuilt after each commit); other days are queried.
      const list =
        ctx.latest?.reviewed(query, review) ??
        (await ctx.db.read(async (conn) => {
          const range = await requireRange(conn);
          return reviewedQueue(conn, range, { ...query, date: statDate(range, query.date) }, review);
        }));
      if (query.format === 'csv') {
        res
          .type('text/csv; charset=utf-8')
          .attachment(`queue-${query.date ?? 'latest'}.csv`)
          .send(queueCsv(list.items));
        return undefined;
      }
      return { ...list, serviceDays };
    },
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/review',
    access: 'reviewer',
    params: ShopParams,
    response: ShopReviewSchema,
    summary: "The shop's place in the shared queue on the last day with data: review state, assignee, age, past the service time (null: not in the queue)",
    handler: ({ params }) =>
      ctx.db.read(async (conn) => {
        await knownShop(conn, params.shopId);
        return shopReview(conn, await requireRange(conn), params.shopId, serviceDays);
      }),
  });

  api.add({
    method: 'post',
    path: '/shops/:shopId/review',
    access: 'reviewer',
    params: ShopParams,
    body: ReviewActionBody,
    response: ShopReviewSchema,
    status: 200,
    summary:
      'Claim a queued shop (in review, yours), release it, or assign it to a named colleague; claiming or assigning one someone else has, or reopening a decided one, is 409 naming them unless reassign; each an audit entry naming the person',
    handler: ({ params, body, who }) => ctx.db.write((conn) => reviewShop(conn, who!, params.shopId, body, serviceDays)),
  });

  api.add({
    method: 'post',
    path: '/decisions/bulk',
    access: 'reviewer',
    body: BulkDecisionBody,
    response: z.object({ decisions: z.array(DecisionSchema) }),
    summary:
      'One decision with one reason on several shops (at most 200), in one transaction: each recorded and audited on its own, naming the person; if any shop cannot take it (or, unless reassign, someone else has it in review: 409 listing them), nothing is recorded',
    handler: async ({ body, who }) => ({ decisions: await ctx.db.write((conn) => decideMany(conn, who!, body)) }),
  });

  api.add({
    method: 'get',
    path: '/platform',
    access: 'reviewer',
    query: PlatformQuery,
    response: PlatformSchema,
    summary:
      'The platform over time: shops per level per day, entries into and exits from each level, the days policy versions took effect, and the top movers of the week ending on `to` (default: the last 90 days with data; one category or all)',
    handler: ({ query }) =>
      ctx.db.read(async (conn) => {
        const range = await requireRange(conn);
        const to = statDate(range, query.to, 'to');
        const from = query.from === undefined ? shiftDay(to, -89) : statDate(range, query.from, 'from');
        if (from > to) throw badRequest(`from: ${from} is after to (${to})`);
        const first = from < range.first ? range.first : from;
        return platformOverTime(conn, await loadSchedule(conn), { from: first, to, categoryId: query.categoryId ?? null });
      }),
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
    // The same figures for every reviewer until the next write.
    cache: 'route',
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
      const withNumbers = who!.role !== 'seller';
      return {
        items: await ctx.db.read((conn) => listAppeals(conn, { state: query.state, shopIds, categoryId: query.categoryId, order: query.order, withNumbers })),
      };
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
    summary:
      "Accept (lifts the restriction early) or reject an appeal, with a reason; it decides the shop's queue entry (409 naming the holder if someone else has it in review, unless reassign)",
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
