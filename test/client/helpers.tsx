// Shared helpers for the component tests: a fresh query client per render (no retries, so an error shows
// at once), English labels, and a fetch stub that answers per path.
import type { Appeal, ShopMetrics } from '../../client/lib/queries';
import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { vi } from 'vitest';
import i18next from 'i18next';
import { initI18n, loadLang } from '../../client/lib/i18n';
import { localeOf } from '../../client/lib/format';

// Both languages loaded once, so a test can switch synchronously.
await initI18n('en');
await loadLang('zh');

export function renderWithClient(ui: ReactElement, lang: 'en' | 'zh' = 'en') {
  void i18next.changeLanguage(lang);
  document.documentElement.lang = localeOf(lang);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity, gcTime: Infinity } } });
  return { client, ...render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>) };
}

export interface StubResponse {
  status?: number;
  body: unknown;
}

/** A fetch stub: `route(path, url)` returns the response, or a Promise that the test resolves later. */
export function stubFetch(route: (path: string, url: URL) => StubResponse | Promise<StubResponse>) {
  const calls: URL[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, _init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input, 'http://localhost');
    calls.push(url);
    const { status = 200, body } = await route(url.pathname, url);
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { fetchMock, calls };
}

/** A promise with its resolve function, to hold a response while the test looks at the loading state. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const SERVER_ERROR: StubResponse = {
  status: 500,
  body: { error: 'internal', message: 'internal error; the request id is in the server log', requestId: 'req-1' },
};

/** A severe shop's metrics as the API answers them (numbers of a real demo shop); override what a test needs. */
export function shopMetrics(shopId: string, overrides: Partial<ShopMetrics> = {}): ShopMetrics {
  return {
    shopId,
    shopName: `Shop ${shopId}`,
    categoryId: '1001',
    date: '2026-11-25',
    window: { from: '2026-10-27', to: '2026-11-25' },
    orders: 108,
    interventions: 11,
    complaints: 0,
    rate: 0.10185185185185185,
    categoryMean: 0.015387574533564147,
    ratio: 6.619097222222222,
    judged: true,
    flagged: true,
    level: 'severe',
    consecutiveFlaggedDays: 14,
    restrictions: [{ code: 'remove_resource_slots', since: '2026-11-18' }],
    policyVersion: '2026.11-default',
    ...overrides,
  };
}

/** A pending appeal of shop A on its episode of 2026-10-06, three days old (the appeals queue's tests). */
export const PENDING_APPEAL: Appeal = {
  id: 7,
  shopId: 'A',
  episodeStart: '2026-10-06',
  level: 'restricted',
  text: 'a courier strike delayed every parcel',
  state: 'pending',
  createdBy: 'a@example.com',
  createdAt: '2026-10-05T08:00:00Z',
  answeredBy: null,
  answeredAt: null,
  answerReason: null,
  ageDays: 3,
};
