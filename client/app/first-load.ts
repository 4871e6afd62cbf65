// The first load without a waterfall (issue 11): as soon as the main bundle runs, everything the first
// screen needs is asked for at once — who is signed in, the data's days, the policy, the role's view chunk
// and, for a seller, the shop's latest metrics — in parallel with the language file. Before, each waited
// for the one before it (bundle → language → sign-in and health → seller chunk → metrics).
import type { QueryClient } from '@tanstack/react-query';
import { decodeClaims } from './auth';
import { effectiveDate } from './App';
import { apiGet } from '../lib/api';
import { healthQueryOptions, meQueryOptions, policyQueryOptions, prefetchLatestShopMetrics, shopMetricsQueryOptions, type Health } from '../lib/queries';

export function startFirstLoad(client: QueryClient, token: string | null): void {
  if (!token) return;
  const params = new URLSearchParams(window.location.search);
  // Promises of their own (no abort signal): nothing that mounts and unmounts on the way cancels them.
  const health = apiGet<Health>('/health');
  void client.prefetchQuery({ ...healthQueryOptions(), queryFn: () => health });
  void client.prefetchQuery(meQueryOptions(token));
  void client.prefetchQuery(policyQueryOptions());
  const claims = decodeClaims(token);
  if (claims?.role === 'seller' && claims.shops && claims.shops.length > 0) {
    const requested = params.get('shop');
    const shopId = requested && claims.shops.includes(requested) ? requested : claims.shops[0];
    // Without a date in the address the stat date is the last day with data: ask before health answers.
    if (!params.get('date')) prefetchLatestShopMetrics(shopId);
    void health
      .then((h) => {
        const date = effectiveDate(params.get('date') ?? undefined, h);
        if (date) return client.prefetchQuery(shopMetricsQueryOptions(shopId, date));
      })
      .catch(() => undefined);
  } else if (claims?.role === 'reviewer' || claims?.role === 'admin') {
    void import('../features/governance/Workbench');
  }
}
