// The first load without a waterfall (issue 11): as soon as the main bundle runs, everything the first
// screen needs is asked for at once — who is signed in, the data's days, the policy, the role's view chunk
// and, for a seller, the shop's latest metrics — in parallel with the language file. Before, each waited
// for the one before it (bundle → language → sign-in and health → seller chunk → metrics).
//
// The role decides what else to ask for. Our own tokens (`npm run token`, sign-in links; issuer
// intervention-watch) say it in `role` and `shops`, so that starts at once. An identity provider's token says it
// in whichever claim the server maps (OIDC_ROLE_CLAIM, OIDC_SHOPS_CLAIM; a list, a nested path…), which the
// dashboard does not read: for those the role-dependent requests start when GET /api/me — asked for at once in
// any case — answers with the role and shops as the server sees them.
import type { QueryClient } from '@tanstack/react-query';
import { decodeClaims } from './auth';
import { effectiveDate } from './App';
import { apiGet } from '../lib/api';
import { healthQueryOptions, meQueryOptions, policyQueryOptions, prefetchLatestShopMetrics, shopMetricsQueryOptions, type Health } from '../lib/queries';

/** The issuer of the tokens this server signs itself (server/auth/tokens.ts). */
const OUR_ISSUER = 'intervention-watch';
const ROLES = ['seller', 'reviewer', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** The role and shops our own token states, or null when the token is not ours or says nothing readable. */
function ownClaims(token: string): { role: Role; shops: string[] } | null {
  const claims = decodeClaims(token) as { iss?: unknown; role?: unknown; shops?: unknown } | null;
  if (claims?.iss !== OUR_ISSUER || !ROLES.includes(claims.role as Role)) return null;
  const shops = Array.isArray(claims.shops) ? claims.shops.filter((s): s is string => typeof s === 'string') : [];
  return { role: claims.role as Role, shops };
}

export function startFirstLoad(client: QueryClient, token: string | null): void {
  if (!token) return;
  const params = new URLSearchParams(window.location.search);
  // Promises of their own (no abort signal): nothing that mounts and unmounts on the way cancels them.
  const health = apiGet<Health>('/health');
  void client.prefetchQuery({ ...healthQueryOptions(), queryFn: () => health });
  void client.prefetchQuery(policyQueryOptions());

  const forRole = (role: Role, shops: string[]) => {
    if (role === 'seller' && shops.length > 0) {
      const requested = params.get('shop');
      const shopId = requested && shops.includes(requested) ? requested : shops[0];
      // Without a date in the address the stat date is the last day with data: ask before health answers.
      if (!params.get('date')) prefetchLatestShopMetrics(shopId);
      void health
        .then((h) => {
          const date = effectiveDate(params.get('date') ?? undefined, h);
          if (date) return client.prefetchQuery(shopMetricsQueryOptions(shopId, date));
        })
        .catch(() => undefined);
    } else if (role === 'reviewer' || role === 'admin') {
      void import('../features/governance/Workbench');
    }
  };

  // Who is signed in, into the cache the header and the view read (useMe).
  const me = client.fetchQuery(meQueryOptions(token));
  const own = ownClaims(token);
  if (own) {
    me.catch(() => undefined);
    forRole(own.role, own.shops);
  } else {
    me.then((who) => forRole(who.role, who.shops)).catch(() => undefined);
  }
}
