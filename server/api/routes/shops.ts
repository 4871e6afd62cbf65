// One shop's reads (its seller, a reviewer or an admin) and the actions on it.
import { z } from 'zod';
import { IsoDate } from '../../contracts/common.js';
import { ShopMetricsQuery, ShopMetricsSchema, ShopParams } from '../../contracts/metrics.js';
import {
  BreakdownSchema,
  CasesQuery,
  CasesSchema,
  ForecastSchema,
  HistorySchema,
  PeersSchema,
  TrendQuery,
  TrendSchema,
  DecisionSchema,
  GoodsQuery,
  GoodsSchema,
  CaseDetailQuery,
  CaseDetailSchema,
} from '../../contracts/shop.js';
import { AppealBody, AppealSchema, CaseFileQuery, CaseFileSchema, DecisionBody } from '../../contracts/governance.js';
import { caseFile } from '../../governance/case-file.js';
import { queueServiceDaysFromEnv } from '../../config.js';
import { caseFileCsv, caseFileHtml } from '../case-file.js';
import { shopExists, shopMetricsOn } from '../../read/queries.js';
import { addDays, categoryNameOf, peersOf, shopBreakdown, shopCases, shopHistory, shopPeers, shopTrendWithOthers } from '../../read/shop-queries.js';
import { loadForecastWithOthers } from '../../read/forecast.js';
import { GenerationCache } from '../../read/generation-cache.js';
import { exemptionOn, loadShopBasics, type ShopBasics } from '../../read/shop-basics.js';
import { shopGoods } from '../../read/goods.js';
import { caseDetail } from '../../read/case-detail.js';
import {
  breakdownFor,
  forecastFor,
  historyFor,
  isComparable,
  metricsFor,
  otherShopsWithOrders,
  otherShopsWithOrdersByDay,
  peersFor,
  trendFor,
  type Reader,
} from '../../read/privacy.js';
import type { Principal } from '../../auth/tokens.js';
import { decide, decisionsOf, fileAppeal } from '../../governance/decisions.js';
import { badRequest, notFound } from '../http.js';
import { minPeerShopsOf, rangeOrNotFound, requireRange, statDate, type AppContext } from '../context.js';
import type { ApiRegistry } from '../registry.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataRangeRow } from '../../read/queries.js';

const DateQuery = z.object({ date: IsoDate.optional() }).strict();

/** 404 for a shop not in the data; a shop held by the latest day in memory is known (shops are never removed). */
async function knownShop(conn: DuckDBConnection, shopId: string, latest?: AppContext['latest']): Promise<void> {
  if (latest?.lookup(shopId, undefined)) return;
  if (!(await shopExists(conn, shopId))) throw notFound(`shop ${shopId} is not known`);
}

export function shopRoutes(api: ApiRegistry, ctx: AppContext): void {
  const read = ctx.db.read.bind(ctx.db);
  // The data range, the policy schedule, the early lifts and the exemptions, kept per committed generation:
  // `basics.read` runs a read transaction with the values of its own snapshot (generation-cache.ts).
  const basics = new GenerationCache<ShopBasics>(ctx.db, loadShopBasics);
  const minPeerShops = minPeerShopsOf(ctx);
  // Sellers may not list the categories, but they see their own category's name (issue 11; reviewers read
  // the names from /api/categories, and their answer keeps exactly the DESIGN §4 shape). Kept per category id
  // until the next committed write.
  const categoryNames = new Map<string, string>();
  let namesFor = -1;
  const withCategoryName = async <M extends { categoryId: string }>(reader: Reader, metrics: M): Promise<M & { categoryName?: string }> => {
    if (!reader.seller) return metrics;
    if (namesFor !== ctx.db.generation) {
      categoryNames.clear();
      namesFor = ctx.db.generation;
    }
    let name = categoryNames.get(metrics.categoryId);
    if (name === undefined) {
      name = await read((conn) => categoryNameOf(conn, metrics.categoryId));
      categoryNames.set(metrics.categoryId, name);
    }
    return { ...metrics, categoryName: name };
  };
  /** DESIGN §3 small categories: sellers see category figures only in categories with enough other shops with orders. */
  const readerOf = (who: Principal | null): Reader => ({ seller: who?.role === 'seller', minPeerShops });
  /** Reads one known shop on a stat date (the one asked for, inside the data, or the last day). */
  const onDate = <T>(
    shopId: string,
    date: string | undefined,
    fn: (conn: DuckDBConnection, day: string, range: DataRangeRow, b: ShopBasics) => Promise<T | null>,
  ) =>
    basics.read(async (conn, b) => {
      await knownShop(conn, shopId, ctx.latest);
      const range = rangeOrNotFound(b.range);
      const result = await fn(conn, statDate(range, date), range, b);
      if (result === null) throw notFound(`no metrics for shop ${shopId} on that date`);
      return result;
    });

  api.add({
    method: 'get',
    path: '/shops/:shopId/metrics',
    access: 'shop',
    // The same answer for the same caller until the next committed write (AnswerCache, server/api/registry.ts).
    cache: 'caller',
    params: ShopParams,
    query: ShopMetricsQuery,
    response: ShopMetricsSchema,
    summary: "A shop's 30-day metrics, level and restrictions on a date (default: the last day with data)",
    handler: async ({ params, query, who }) => {
      const reader = readerOf(who);
      // The latest day from memory, with its count of other shops with orders (same snapshot).
      const held = ctx.latest?.lookupWithPeers(params.shopId, query.date);
      if (held) return withCategoryName(reader, metricsFor(reader, held.metrics, held.otherShopsWithOrders));
      const metrics = await read(async (conn) => {
        // One prepared statement answers the usual request; the checks run only when it finds nothing.
        const metrics = await shopMetricsOn(conn, params.shopId, query.date ?? null);
        if (metrics) return reader.seller ? metricsFor(reader, metrics, await otherShopsWithOrders(conn, params.shopId, metrics.date)) : metrics;
        await knownShop(conn, params.shopId, ctx.latest);
        const range = await requireRange(conn);
        statDate(range, query.date);
        throw notFound(`no metrics for shop ${params.shopId} on that date`);
      });
      return withCategoryName(reader, metrics);
    },
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/trend',
    access: 'shop',
    cache: 'caller',
    params: ShopParams,
    query: TrendQuery,
    response: TrendSchema,
    summary: 'The daily series of rate, category mean, threshold, ratio and level (default: the 90 days to the last day)',
    handler: ({ params, query, who }) =>
      basics.read(async (conn, b) => {
        await knownShop(conn, params.shopId, ctx.latest);
        const range = rangeOrNotFound(b.range);
        const to = statDate(range, query.to, 'to');
        const from = query.from === undefined ? [addDays(to, -89), range.first].sort()[1] : statDate(range, query.from, 'from');
        if (from > to) throw badRequest(`from: ${from} is after to (${to})`);
        // One pass over the shop's days gives the points and the small-category count of each day.
        const { trend, othersByDay } = await shopTrendWithOthers(conn, b.schedule, params.shopId, from, to);
        return trendFor(readerOf(who), trend, othersByDay);
      }),
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/cases',
    access: 'shop',
    cache: 'caller',
    params: ShopParams,
    query: CasesQuery,
    response: CasesSchema,
    summary: 'The cases in the window of a date, whether each counts, and the day each leaves the window',
    handler: ({ params, query }) => onDate(params.shopId, query.date, async (conn, day, range, b) => shopCases(conn, b.schedule, range, params.shopId, day)),
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/cases/:caseId',
    access: 'shop',
    params: ShopParams.extend({ caseId: z.string().min(1, 'is empty').max(128, 'is longer than 128 characters') }),
    query: CaseDetailQuery,
    response: CaseDetailSchema,
    summary: 'One case as evidence: its order (paid time, amount, goods), its timeline as the data records it, and why it counts on the date or not',
    handler: ({ params, query }) =>
      onDate(params.shopId, query.date, async (conn, day, _range, b) => {
        const detail = await caseDetail(conn, b.schedule, params.shopId, params.caseId, day);
        if (!detail) throw notFound(`shop ${params.shopId} has no case ${params.caseId}`);
        return detail;
      }),
  });

  const serviceDays = queueServiceDaysFromEnv();
  api.add({
    method: 'get',
    path: '/shops/:shopId/case-file',
    access: 'reviewer',
    params: ShopParams,
    query: CaseFileQuery,
    response: CaseFileSchema,
    produces: ['text/csv', 'text/html'],
    summary:
      "The shop's case file for the decision record on a date: numbers, restrictions and episodes with their policy versions, the cases with why each counts or not, decisions, appeals, the queue entry and the audit entries; format=csv or html (printable)",
    handler: async ({ params, query, who, res }) => {
      const file = await onDate(params.shopId, query.date, async (conn, day, range, b) =>
        caseFile(conn, b.schedule, range, who!, params.shopId, day, serviceDays),
      );
      if (query.format === 'csv') {
        res.type('text/csv; charset=utf-8').attachment(`case-file-${file.shopId}-${file.date}.csv`).send(caseFileCsv(file));
        return undefined;
      }
      if (query.format === 'html') {
        res.type('text/html; charset=utf-8').send(caseFileHtml(file));
        return undefined;
      }
      return file;
    },
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/breakdown',
    access: 'shop',
    params: ShopParams,
    query: DateQuery,
    response: BreakdownSchema,
    summary: 'Interventions in the window by reason, and by week over 12 weeks',
    handler: ({ params, query, who }) =>
      onDate(params.shopId, query.date, async (conn, day, _range, b) =>
        breakdownFor(readerOf(who), await shopBreakdown(conn, b.schedule, params.shopId, day), await otherShopsWithOrders(conn, params.shopId, day)),
      ),
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/peers',
    access: 'shop',
    cache: 'caller',
    params: ShopParams,
    query: DateQuery,
    response: PeersSchema,
    summary: "The rates of the judged shops of the shop's category, and where the shop stands",
    handler: ({ params, query, who }) =>
      onDate(params.shopId, query.date, async (conn, day) => {
        // The latest day's category from memory (the same snapshot as its count of other shops with orders).
        const held = ctx.latest?.peerRows(params.shopId, day);
        const peers = held ? peersOf(params.shopId, day, held) : await shopPeers(conn, params.shopId, day);
        const others =
          (held && ctx.latest?.lookupWithPeers(params.shopId, day)?.otherShopsWithOrders) ?? (await otherShopsWithOrders(conn, params.shopId, day));
        return peers && peersFor(readerOf(who), peers, others);
      }),
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/forecast',
    access: 'shop',
    cache: 'caller',
    params: ShopParams,
    query: DateQuery,
    response: ForecastSchema,
    summary: 'With no new interventions: when the ratio falls below the threshold, when restrictions lift, and the 7-day headroom',
    handler: ({ params, query, who }) =>
      onDate(params.shopId, query.date, async (conn, day, range, b) => {
        // The shop's days, its category's count of other shops with orders on the date (one query), its daily
        // orders and its cases; the lifts and the exemption in force from the generation's basics.
        const loaded = await loadForecastWithOthers(
          conn,
          b.schedule,
          range.first,
          params.shopId,
          day,
          b.lifts.get(params.shopId) ?? [],
          exemptionOn(b, params.shopId, day),
        );
        if (!loaded) return null;
        const gated = forecastFor(readerOf(who), loaded.forecast, loaded.otherShopsWithOrders);
        // Like the headroom, whether it is unbounded says something of the threshold: withheld with it.
        return gated.categoryComparable === false && readerOf(who).seller ? { ...gated, headroomUnbounded: false } : gated;
      }),
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/goods',
    access: 'shop',
    params: ShopParams,
    query: GoodsQuery,
    response: GoodsSchema,
    summary: "Each goods' orders, interventions and share of the shop's interventions, and the shop's rate, ratio and flag without it",
    handler: ({ params, query, who }) =>
      onDate(params.shopId, query.date, async (conn, day, _range, b) => {
        const goods = await shopGoods(conn, b.schedule, params.shopId, day);
        const reader = readerOf(who);
        // DESIGN §3 small categories: the ratio without a goods is a category figure; the flag is the shop's own.
        if (!goods || !reader.seller || isComparable(await otherShopsWithOrders(conn, params.shopId, day), reader.minPeerShops)) return goods;
        return { ...goods, items: goods.items.map((i) => ({ ...i, withoutIt: { ...i.withoutIt, ratio: null } })) };
      }),
  });

  api.add({
    method: 'get',
    path: '/shops/:shopId/history',
    access: 'shop',
    cache: 'caller',
    params: ShopParams,
    response: HistorySchema,
    summary: 'The timeline of levels, the numbers and policy version behind each restriction, and the decisions on them',
    handler: ({ params, who }) =>
      read(async (conn) => {
        await knownShop(conn, params.shopId, ctx.latest);
        const reader = readerOf(who);
        let history = await shopHistory(conn, params.shopId);
        if (reader.seller && history.episodes.length > 0) {
          const starts = history.episodes.map((e) => e.start).sort();
          history = historyFor(reader, history, await otherShopsWithOrdersByDay(conn, params.shopId, starts[0], starts[starts.length - 1]));
        }
        return { ...history, decisions: await decisionsOf(conn, params.shopId) };
      }),
  });

  api.add({
    method: 'post',
    path: '/shops/:shopId/decisions',
    access: 'reviewer',
    params: ShopParams,
    body: DecisionBody,
    response: DecisionSchema,
    summary: "A reviewer's decision on the shop's restriction: confirm, exempt (until a date), lift early, or a note",
    handler: ({ params, body, who }) => ctx.db.write((conn) => decide(conn, who!, params.shopId, body)),
  });

  api.add({
    method: 'post',
    path: '/shops/:shopId/appeals',
    access: 'seller-shop',
    params: ShopParams,
    body: AppealBody,
    response: AppealSchema,
    summary: "The seller's appeal against the restriction in force",
    handler: ({ params, body, who }) => ctx.db.write((conn) => fileAppeal(conn, who!, params.shopId, body.text)),
  });
}
