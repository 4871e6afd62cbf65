// One queryOptions factory and one hook per endpoint; every input of the query function is in its key
// (TkDodo's key factories). Types come from the server's zod contracts (type-only: no zod in the bundle).
import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import type { FlaggedList, HealthSchema, ShopMetrics } from '../../server/contracts/metrics';
import type { Breakdown, CaseDetail, Cases, Decision, Forecast, Goods, History, Peers, Trend } from '../../server/contracts/shop';
import type {
  Activation,
  Appeal,
  AuditEntry,
  AuditFilter,
  AuditPage,
  Categories,
  Platform,
  QueueItem,
  QueueList,
  Review,
  ReviewAction,
  ShopReview,
  ShopSearch,
  Simulation,
} from '../../server/contracts/governance';
import type { Policy } from '../../server/contracts/policy';
import type { Delivery, Subscription, SubscriptionBody } from '../../server/contracts/alerts';
import { ApiError, apiDelete, apiGet, apiPost } from './api';
import { decodeClaims } from '../app/auth';

export type Health = z.infer<typeof HealthSchema> & {
  /** The first day with data, when the server says it (bounds the date picker and the trend range). */
  dataFrom?: string | null;
};
export type Role = 'seller' | 'reviewer' | 'admin';
export interface Me {
  role: Role;
  shops: string[];
  subject: string;
  /** The person's display name, when the token carries one (the identity provider's `name`). */
  name?: string;
}
export interface PolicyVersion {
  version: string;
  createdAt: string;
  createdBy: string;
  active: boolean;
  /** The first day the version applies to (null: it never became active). */
  effectiveFrom: string | null;
  policy: Policy;
}
export interface PolicyInfo {
  active: Policy;
  versions: PolicyVersion[];
}
export type Level = ShopMetrics['level'];
/** DESIGN §4's sort keys, and the shared queue's age (days since the shop entered the queue). */
export type FlaggedSort = 'ratio' | 'rate' | 'interventions' | 'orders' | 'complaints' | 'consecutiveFlaggedDays' | 'level' | 'shopId' | 'age';
export interface FlaggedParams {
  date: string;
  categoryId?: string;
  level?: Exclude<Level, 'none'>;
  minRatio?: number;
  /** only: shops with an exemption in force; hide: those without. */
  exempt?: 'only' | 'hide';
  /** The shared queue: by review state (mine: in review by me; unassigned: new) and by assignee. */
  review?: ReviewFilter;
  assignee?: string;
  sort: FlaggedSort;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}
export type ReviewFilter = 'new' | 'in_review' | 'decided' | 'mine' | 'unassigned';
export type { QueueItem, QueueList, Review, ReviewAction, ShopReview };
export type AuditParams = AuditFilter;
export type { AuditPage };
export type AppealState = Appeal['state'];
export interface AppealsParams {
  state?: AppealState;
  shopId?: string;
  categoryId?: string;
  order?: 'oldest' | 'newest';
}
export type DecisionAction = Decision['action'];
export interface DecisionInput {
  action: DecisionAction;
  reason: string;
  until?: string;
  /** Decide although someone else has the shop in review (taking it over); without it the server answers 409 naming them. */
  reassign?: boolean;
}

export type { Activation, ShopSearch };
export type { Delivery, Subscription, SubscriptionBody };
export type {
  Appeal,
  AuditEntry,
  Breakdown,
  Cases,
  Categories,
  Decision,
  FlaggedList,
  Forecast,
  Goods,
  History,
  Peers,
  Policy,
  ShopMetrics,
  Simulation,
  Trend,
};

const enc = encodeURIComponent;

export const keys = {
  health: ['health'] as const,
  me: ['me'] as const,
  shop: (shopId: string) => ['shop', shopId] as const,
  flagged: ['flagged'] as const,
  categories: ['categories'] as const,
  audit: ['audit'] as const,
  appeals: ['appeals'] as const,
  policy: ['policy'] as const,
  simulate: ['simulate'] as const,
  subscriptions: ['subscriptions'] as const,
};

export const healthQueryOptions = () =>
  queryOptions({ queryKey: keys.health, queryFn: ({ signal }) => apiGet<Health>('/health', undefined, signal), staleTime: 5 * 60_000 });

/** Who is signed in. Until the server has /api/me, the token's own claims say it (display only). */
async function fetchMe(token: string, signal: AbortSignal): Promise<Me> {
  try {
    return await apiGet<Me>('/me', undefined, signal);
  } catch (error) {
    const claims = decodeClaims(token);
    const role = claims?.role;
    if (error instanceof ApiError && error.status === 404 && (role === 'seller' || role === 'reviewer' || role === 'admin')) {
      return { role, shops: claims?.shops ?? [], subject: claims?.sub ?? role };
    }
    throw error;
  }
}

export const meQueryOptions = (token: string) =>
  queryOptions({ queryKey: [...keys.me, token], queryFn: ({ signal }) => fetchMe(token, signal), staleTime: Infinity });

/**
 * First load (issue 11): the latest day's metrics of the seller's shop, asked for before the stat date is
 * known (no date: the server answers the last day with data). The metrics query takes it when its date is
 * that day, so the headline needs no second round trip.
 */
const earlyMetrics = new Map<string, Promise<ShopMetrics | null>>();
export function prefetchLatestShopMetrics(shopId: string): void {
  if (!earlyMetrics.has(shopId))
    earlyMetrics.set(
      shopId,
      apiGet<ShopMetrics>(`/shops/${enc(shopId)}/metrics`).catch(() => null),
    );
}

async function fetchShopMetrics(shopId: string, date: string, signal: AbortSignal): Promise<ShopMetrics> {
  const early = earlyMetrics.get(shopId);
  if (early) {
    earlyMetrics.delete(shopId);
    const metrics = await early;
    if (metrics && metrics.date === date) return metrics;
  }
  return apiGet<ShopMetrics>(`/shops/${enc(shopId)}/metrics`, { date }, signal);
}

export const shopMetricsQueryOptions = (shopId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'metrics', { date }],
    queryFn: ({ signal }) => fetchShopMetrics(shopId, date, signal),
  });

/**
 * The trend over [from, to]. A range reaching before the first day with data is answered 400 with the data's
 * range in the message; then the request is repeated from that first day (when /api/health says `dataFrom`,
 * the caller clamps beforehand and this never happens).
 */
async function fetchTrend(shopId: string, from: string, to: string, signal: AbortSignal): Promise<Trend> {
  try {
    return await apiGet<Trend>(`/shops/${enc(shopId)}/trend`, { from, to }, signal);
  } catch (error) {
    const first = error instanceof ApiError && error.status === 400 ? /^from:.*\((\d{4}-\d{2}-\d{2})\s/.exec(error.message)?.[1] : undefined;
    if (!first || first <= from || first > to) throw error;
    return apiGet<Trend>(`/shops/${enc(shopId)}/trend`, { from: first, to }, signal);
  }
}

export const trendQueryOptions = (shopId: string, from: string, to: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'trend', { from, to }],
    queryFn: ({ signal }) => fetchTrend(shopId, from, to, signal),
  });

export const casesQueryOptions = (shopId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'cases', { date }],
    queryFn: ({ signal }) => apiGet<Cases>(`/shops/${enc(shopId)}/cases`, { date }, signal),
  });

export type { CaseDetail };
/** One case as evidence (the case drawer): its order, timeline and why it counts on the date or not. */
export const caseDetailQueryOptions = (shopId: string, caseId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'case', caseId, { date }],
    queryFn: ({ signal }) => apiGet<CaseDetail>(`/shops/${enc(shopId)}/cases/${enc(caseId)}`, { date }, signal),
  });
export const useCaseDetail = (shopId: string, caseId: string, date: string) => useQuery(caseDetailQueryOptions(shopId, caseId, date));

export const breakdownQueryOptions = (shopId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'breakdown', { date }],
    queryFn: ({ signal }) => apiGet<Breakdown>(`/shops/${enc(shopId)}/breakdown`, { date }, signal),
  });

export const goodsQueryOptions = (shopId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'goods', { date }],
    queryFn: ({ signal }) => apiGet<Goods>(`/shops/${enc(shopId)}/goods`, { date }, signal),
  });

export const peersQueryOptions = (shopId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'peers', { date }],
    queryFn: ({ signal }) => apiGet<Peers>(`/shops/${enc(shopId)}/peers`, { date }, signal),
  });

export const forecastQueryOptions = (shopId: string, date: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'forecast', { date }],
    queryFn: ({ signal }) => apiGet<Forecast>(`/shops/${enc(shopId)}/forecast`, { date }, signal),
  });

export const historyQueryOptions = (shopId: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'history'],
    queryFn: ({ signal }) => apiGet<History>(`/shops/${enc(shopId)}/history`, undefined, signal),
  });

/**
 * The shared queue: several reviewers work it at once, so it is fresh for 5 s and polled every 10 s while
 * shown (a claim by someone else appears within about 10 s, or at once after a reload).
 */
const SHARED_FRESHNESS = { staleTime: 5_000, refetchInterval: 10_000 } as const;

/**
 * The workbench's queue is the shared queue (GET /api/queue): GET /api/flagged's shops, filters, sort and paging
 * (DESIGN §4, unchanged) with each shop's review, the review filters and the sort by age.
 */
export const flaggedQueryOptions = (params: FlaggedParams) =>
  queryOptions({
    queryKey: [...keys.flagged, params],
    queryFn: ({ signal }) => apiGet<QueueList>('/queue', { ...params, format: 'json' }, signal),
    placeholderData: keepPreviousData,
    ...SHARED_FRESHNESS,
  });

/** The shop's place in the shared queue (GET /api/shops/:shopId/review). */
export const reviewQueryOptions = (shopId: string) =>
  queryOptions({
    queryKey: [...keys.shop(shopId), 'review'],
    queryFn: ({ signal }) => apiGet<ShopReview>(`/shops/${enc(shopId)}/review`, undefined, signal),
    ...SHARED_FRESHNESS,
  });
export const useReview = (shopId: string) => useQuery(reviewQueryOptions(shopId));

/** Claim, release or assign a queued shop; the queue and the shop's review and audit are asked again. */
export function useReviewAction(shopId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: ReviewAction) => apiPost<ShopReview>(`/shops/${enc(shopId)}/review`, action),
    onSuccess: (answer) => {
      client.setQueryData(reviewQueryOptions(shopId).queryKey, answer);
      void client.invalidateQueries({ queryKey: keys.flagged });
      void client.invalidateQueries({ queryKey: keys.audit });
    },
    // A conflict means someone else acted first: show what is true now.
    onError: () => {
      void client.invalidateQueries({ queryKey: keys.flagged });
      void client.invalidateQueries({ queryKey: reviewQueryOptions(shopId).queryKey });
    },
  });
}

export const categoriesQueryOptions = (date: string) =>
  queryOptions({
    queryKey: [...keys.categories, { date }],
    queryFn: ({ signal }) => apiGet<Categories>('/categories', { date }, signal),
  });

export const auditQueryOptions = (params: AuditParams) =>
  queryOptions({
    queryKey: [...keys.audit, params],
    queryFn: ({ signal }) => apiGet<AuditPage>('/audit', { ...params }, signal),
    placeholderData: keepPreviousData,
  });

export const appealsQueryOptions = (params: AppealsParams) =>
  queryOptions({
    queryKey: [...keys.appeals, params],
    queryFn: ({ signal }) => apiGet<{ items: Appeal[] }>('/appeals', { ...params }, signal),
  });

export const policyQueryOptions = () =>
  queryOptions({ queryKey: keys.policy, queryFn: ({ signal }) => apiGet<PolicyInfo>('/policy', undefined, signal), staleTime: 5 * 60_000 });

/** A simulation has no side effect, so it is a query (cached per candidate), sent as POST for its body. */
export const simulationQueryOptions = (policy: Policy, date: string, effectiveFrom?: string) =>
  queryOptions({
    queryKey: [...keys.simulate, { policy, date, effectiveFrom }],
    queryFn: () => apiPost<Simulation>('/policy/simulate', { policy, date, ...(effectiveFrom ? { effectiveFrom } : {}) }),
    placeholderData: keepPreviousData,
    staleTime: 5 * 60_000,
  });

/** Shops by id (any case) or name, for the reviewer's search box. */
export const shopSearchQueryOptions = (q: string, limit = 8) =>
  queryOptions({
    queryKey: ['shop-search', { q, limit }],
    queryFn: ({ signal }) => apiGet<ShopSearch>('/shops', { q, limit }, signal),
    staleTime: 60_000,
  });

export const useShopSearch = (q: string, enabled = true) => useQuery({ ...shopSearchQueryOptions(q), enabled: enabled && q.trim() !== '' });

export const useHealth = () => useQuery(healthQueryOptions());
export const useMe = (token: string) => useQuery(meQueryOptions(token));
export const useShopMetrics = (shopId: string, date: string, enabled = true) => useQuery({ ...shopMetricsQueryOptions(shopId, date), enabled });
export const useTrend = (shopId: string, from: string, to: string) => useQuery(trendQueryOptions(shopId, from, to));
export const useCases = (shopId: string, date: string) => useQuery(casesQueryOptions(shopId, date));
export const useBreakdown = (shopId: string, date: string) => useQuery(breakdownQueryOptions(shopId, date));
export const useGoods = (shopId: string, date: string) => useQuery(goodsQueryOptions(shopId, date));
export const usePeers = (shopId: string, date: string) => useQuery(peersQueryOptions(shopId, date));
export const useForecast = (shopId: string, date: string) => useQuery(forecastQueryOptions(shopId, date));
export const useHistory = (shopId: string, enabled = true) => useQuery({ ...historyQueryOptions(shopId), enabled });
export const useFlagged = (params: FlaggedParams) => useQuery(flaggedQueryOptions(params));
export const useCategories = (date: string, enabled = true) => useQuery({ ...categoriesQueryOptions(date), enabled });
export type { Platform };
/** The platform over time: 90 days to the stat date, one category or all. */
export const platformQueryOptions = (to: string, categoryId?: string) =>
  queryOptions({
    queryKey: ['platform', { to, categoryId }],
    queryFn: ({ signal }) => apiGet<Platform>('/platform', { to, ...(categoryId ? { categoryId } : {}) }, signal),
  });
export const usePlatform = (to: string, categoryId?: string) => useQuery(platformQueryOptions(to, categoryId));
export const useAudit = (params: AuditParams) => useQuery(auditQueryOptions(params));
export const useAppeals = (params: AppealsParams, enabled = true) => useQuery({ ...appealsQueryOptions(params), enabled });
export const usePolicy = () => useQuery(policyQueryOptions());
export const useSimulation = (policy: Policy, date: string, effectiveFrom: string | undefined, enabled: boolean) =>
  useQuery({ ...simulationQueryOptions(policy, date, effectiveFrom), enabled });

export function useCreateAppeal(shopId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (text: string) => apiPost<Appeal>(`/shops/${enc(shopId)}/appeals`, { text }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.appeals });
      void client.invalidateQueries({ queryKey: keys.audit });
    },
  });
}

export function useAnswerAppeal() {
  const client = useQueryClient();
  return useMutation({
    // reassign: answer although someone else has the shop in review (the answer decides its queue entry).
    mutationFn: ({ id, decision, reason, reassign }: { id: number; decision: 'accept' | 'reject'; reason: string; reassign?: boolean }) =>
      apiPost<Appeal>(`/appeals/${id}/answer`, { decision, reason, ...(reassign ? { reassign } : {}) }),
    onSuccess: (appeal) => {
      void client.invalidateQueries({ queryKey: keys.appeals });
      void client.invalidateQueries({ queryKey: keys.audit });
      if (appeal?.shopId) void client.invalidateQueries({ queryKey: keys.shop(appeal.shopId) });
    },
  });
}

export function useCreateDecision(shopId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: DecisionInput) => apiPost<Decision>(`/shops/${enc(shopId)}/decisions`, input),
    onSuccess: () => {
      // An exemption or an early lift changes the shop's level and the queue.
      void client.invalidateQueries({ queryKey: keys.shop(shopId) });
      void client.invalidateQueries({ queryKey: keys.flagged });
      void client.invalidateQueries({ queryKey: keys.categories });
      void client.invalidateQueries({ queryKey: keys.audit });
    },
    // A conflict (someone else has it in review) means the review shown is out of date: ask again.
    onError: () => {
      void client.invalidateQueries({ queryKey: reviewQueryOptions(shopId).queryKey });
      void client.invalidateQueries({ queryKey: keys.flagged });
    },
  });
}

/** One decision with one reason on several shops (POST /api/decisions/bulk). */
export function useBulkDecision() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: DecisionInput & { shopIds: string[] }) => apiPost<{ decisions: Decision[] }>('/decisions/bulk', input),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['shop'] });
      void client.invalidateQueries({ queryKey: keys.flagged });
      void client.invalidateQueries({ queryKey: keys.categories });
      void client.invalidateQueries({ queryKey: keys.audit });
    },
    onError: () => void client.invalidateQueries({ queryKey: keys.flagged }),
  });
}

export function useActivatePolicy() {
  const client = useQueryClient();
  return useMutation({
    // The day comes from the simulation the admin looked at, so activation does what it predicted.
    // The simulated date too: the answer reports the levels on it afterwards, to set beside the prediction.
    mutationFn: ({ policy, effectiveFrom, date }: { policy: Policy; effectiveFrom: string | null; date?: string }) =>
      apiPost<Activation>('/policy/activate', {
        policy,
        ...(effectiveFrom ? { effectiveFrom } : {}),
        ...(date ? { date } : {}),
      }),
    onSuccess: () => {
      // A new policy recomputes every level.
      void client.invalidateQueries();
    },
  });
}

/** Alerts (DESIGN §4): the webhook subscriptions the user may see (a seller: their shops' ones). */
export const subscriptionsQueryOptions = () =>
  queryOptions({
    queryKey: keys.subscriptions,
    queryFn: ({ signal }) => apiGet<{ items: Subscription[] }>('/subscriptions', undefined, signal),
  });

/** A subscription's delivery log, newest first. */
export const deliveriesQueryOptions = (subscriptionId: number) =>
  queryOptions({
    queryKey: [...keys.subscriptions, subscriptionId, 'deliveries'],
    queryFn: ({ signal }) => apiGet<{ subscriptionId: number; items: Delivery[] }>(`/subscriptions/${subscriptionId}/deliveries`, undefined, signal),
    staleTime: 0,
  });

export const useSubscriptions = () => useQuery(subscriptionsQueryOptions());
export const useDeliveries = (subscriptionId: number, enabled = true) => useQuery({ ...deliveriesQueryOptions(subscriptionId), enabled });

export function useCreateSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SubscriptionBody) => apiPost<Subscription>('/subscriptions', body),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.subscriptions });
      void client.invalidateQueries({ queryKey: keys.audit });
    },
  });
}

export function useDeleteSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (subscriptionId: number) => apiDelete<Subscription>(`/subscriptions/${subscriptionId}`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.subscriptions });
      void client.invalidateQueries({ queryKey: keys.audit });
    },
  });
}
