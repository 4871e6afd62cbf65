// @vitest-environment jsdom
// The first load starts the role's requests early for every kind of token (client/app/first-load.ts): our own
// token says its role, so a seller's latest metrics are asked for before GET /api/me answers; an identity
// provider's token carries the role in a claim the server maps (here iw_role / iw_shops, as the demo provider's),
// which the dashboard does not read — the same requests start as soon as GET /api/me answers, for the shop the
// server names; a reviewer's workbench chunk is loaded at once (ours) or once /api/me answers (provider's).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { startFirstLoad } from '../../client/app/first-load';
import { meQueryOptions, shopMetricsQueryOptions } from '../../client/lib/queries';
import { deferred, shopMetrics, stubFetch, type StubResponse } from './helpers';

const workbench = vi.hoisted(() => ({ loaded: 0 }));
vi.mock('../../client/features/governance/Workbench', () => {
  workbench.loaded += 1;
  return { default: () => null };
});

/** A JWT-shaped token (unsigned: the dashboard only reads it; the server checks it). */
const jwt = (claims: Record<string, unknown>) =>
  `${btoa(JSON.stringify({ alg: 'RS256' }))}.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;
const HEALTH = { status: 'ok', dataFrom: '2026-09-01', dataThrough: '2026-11-25' };

let client: QueryClient;
beforeEach(() => {
  client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  window.history.replaceState(null, '', '/');
});
afterEach(() => {
  client.clear();
  vi.unstubAllGlobals();
});

/** The server: /api/me held until the test answers it; health, policy and metrics at once. */
function stubServer() {
  const me = deferred<StubResponse>();
  const { calls } = stubFetch((path) => {
    if (path === '/api/me') return me.promise;
    if (path === '/api/health') return { body: HEALTH };
    if (path === '/api/policy') return { body: { active: null, versions: [] } };
    const m = /^\/api\/shops\/(\w+)\/metrics$/.exec(path);
    if (m) return { body: shopMetrics(m[1]) };
    return { status: 404, body: { error: 'not_found', message: path } };
  });
  const asked = () => calls.map((u) => `${u.pathname}${u.search}`);
  return { me, asked };
}

describe('the first load', () => {
  it("with our own seller token: the shop's latest metrics are asked for before /api/me answers", async () => {
    const { me, asked } = stubServer();
    const token = jwt({ iss: 'intervention-watch', sub: 'seller:S3', role: 'seller', shops: ['S3'], exp: 4102444800 });
    startFirstLoad(client, token);
    // One request (the latest day, before health said which day that is), in the cache for that day.
    await waitFor(() => expect(client.getQueryData(shopMetricsQueryOptions('S3', '2026-11-25').queryKey)).toMatchObject({ shopId: 'S3' }));
    expect(asked().filter((p) => p.startsWith('/api/shops/'))).toEqual(['/api/shops/S3/metrics']);
    expect(client.getQueryData(meQueryOptions(token).queryKey)).toBeUndefined();
    me.resolve({ body: { role: 'seller', shops: ['S3'], subject: 'seller:S3' } });
    await waitFor(() => expect(client.getQueryData(meQueryOptions(token).queryKey)).toEqual({ role: 'seller', shops: ['S3'], subject: 'seller:S3' }));
  });

  it("with a provider's seller token (role in iw_role): the metrics of the shop /api/me names, once it answers", async () => {
    const { me, asked } = stubServer();
    const token = jwt({
      iss: 'http://localhost:3000/oidc',
      aud: 'urn:intervention-watch:api',
      sub: 'u-dave',
      email: 'dave@example.com',
      iw_role: 'seller',
      iw_shops: ['S7'],
      exp: 4102444800,
    });
    window.history.replaceState(null, '', '/?shop=S7');
    startFirstLoad(client, token);
    await waitFor(() => expect(asked()).toContain('/api/health'));
    expect(asked()).toContain('/api/me');
    // Nothing for the role yet: the dashboard cannot read it from this token.
    expect(asked().filter((p) => p.startsWith('/api/shops/'))).toEqual([]);
    me.resolve({ body: { role: 'seller', shops: ['S9', 'S7'], subject: 'dave@example.com', name: 'Dave Chen' } });
    await waitFor(() => expect(client.getQueryData(shopMetricsQueryOptions('S7', '2026-11-25').queryKey)).toMatchObject({ shopId: 'S7' }));
    // The shop in the address (one of the seller's, not the first); one request, for the latest day.
    expect(asked().filter((p) => p.startsWith('/api/shops/'))).toEqual(['/api/shops/S7/metrics']);
    expect(workbench.loaded).toBe(0);
  });

  it("with a provider's reviewer token: the workbench chunk loads once /api/me says reviewer; no seller request", async () => {
    const { me, asked } = stubServer();
    const token = jwt({ iss: 'https://login.example.com/realms/gov', sub: 'u-alice', realm_access: { roles: ['reviewer'] }, exp: 4102444800 });
    startFirstLoad(client, token);
    await waitFor(() => expect(asked()).toContain('/api/me'));
    await new Promise((r) => setTimeout(r, 20));
    expect(workbench.loaded).toBe(0);
    me.resolve({ body: { role: 'reviewer', shops: [], subject: 'alice@example.com', name: 'Alice Wang' } });
    await waitFor(() => expect(workbench.loaded).toBe(1));
    expect(asked().filter((p) => p.startsWith('/api/shops/'))).toEqual([]);
  });

  it("a provider's token that happens to carry role: seller is not trusted for it: the role comes from /api/me", async () => {
    const { me, asked } = stubServer();
    const token = jwt({ iss: 'https://login.example.com', sub: 'u-x', role: 'seller', shops: ['S1'], exp: 4102444800 });
    startFirstLoad(client, token);
    await waitFor(() => expect(asked()).toContain('/api/me'));
    await new Promise((r) => setTimeout(r, 20));
    expect(asked().filter((p) => p.startsWith('/api/shops/'))).toEqual([]);
    me.resolve({ status: 401, body: { error: 'unauthorized', message: 'the token is not valid' } });
    await waitFor(() => expect(client.getQueryState(meQueryOptions(token).queryKey)?.status).toBe('error'));
    expect(asked().filter((p) => p.startsWith('/api/shops/'))).toEqual([]);
  });
});
