// @vitest-environment jsdom
// Issue 13: a seller whose sign-in has several shops lands on all of them, most at risk first (level, then
// ratio, then fewer days to the next level), each a link to its view; withheld category figures show "—".
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import SellerHome from '../../client/features/seller/SellerHome';
import { byRisk, daysToNextLevel } from '../../client/features/seller/MyShops';
import { DEFAULT_POLICY } from '../../client/lib/policy';
import type { ShopMetrics } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const DATE = '2026-11-25';
const shops: Record<string, ShopMetrics> = {
  A: shopMetrics('A', { shopName: 'Quiet', level: 'none', flagged: false, ratio: 0.5, rate: 0.008, consecutiveFlaggedDays: 0, restrictions: [] }),
  B: shopMetrics('B', { shopName: 'Warned far', level: 'warning', ratio: 6, consecutiveFlaggedDays: 2, restrictions: [] }),
  C: shopMetrics('C', { shopName: 'Severe', level: 'severe', ratio: 6.6 }),
  D: shopMetrics('D', { shopName: 'Warned near', level: 'warning', ratio: 6, consecutiveFlaggedDays: 5, restrictions: [] }),
  E: shopMetrics('E', {
    shopName: 'Small category',
    level: 'restricted',
    ratio: null,
    categoryMean: null,
    categoryComparable: false,
    minPeerShops: 5,
    consecutiveFlaggedDays: 8,
    restrictions: [{ code: 'ban_resource_slots', since: '2026-11-22' }],
  }),
};
const me = { role: 'seller' as const, shops: ['A', 'B', 'C', 'D', 'E'], subject: 'seller-1' };

function stub() {
  return stubFetch((path) => {
    const id = /^\/api\/shops\/([^/]+)\/metrics$/.exec(path)?.[1];
    if (id === 'B') return { status: 500, body: { error: 'internal', message: 'boom' } };
    if (id && shops[id]) return { body: shops[id] };
    if (path === '/api/subscriptions') return { body: { items: [] } };
    return { status: 404, body: { error: 'not_found', message: 'no' } };
  });
}

describe('risk order', () => {
  it('sorts by level, then ratio, then fewer days to the next level', () => {
    const list = Object.values(shops).sort(byRisk(DEFAULT_POLICY));
    expect(list.map((m) => m.shopId)).toEqual(['C', 'E', 'D', 'B', 'A']);
    expect(daysToNextLevel(shops.D, DEFAULT_POLICY)).toBeLessThan(daysToNextLevel(shops.B, DEFAULT_POLICY));
  });
});

describe('All my shops', () => {
  it('lands a seller with several shops on all of them, most at risk first (en)', async () => {
    stub();
    renderWithClient(<SellerHome me={me} date={DATE} />);
    expect(await screen.findByRole('heading', { name: 'All your 5 shops' })).toBeTruthy();
    await screen.findByTestId('my-shop-failed');
    await vi.waitFor(() => expect(screen.getAllByTestId('my-shop')).toHaveLength(4));
    const rows = screen.getAllByTestId('my-shop');
    expect(rows.map((r) => r.dataset.shop)).toEqual(['C', 'E', 'D', 'A']);
    expect(rows[0].textContent).toContain('Severe');
    expect(rows[0].textContent).toContain('6.6×');
    expect(rows[0].textContent).toContain('slots removed');
    // Withheld category figures: a dash, and why.
    expect(within(rows[1]).getByTestId('my-shop-ratio').textContent).toBe('— (category too small to compare)');
    expect(rows[1].textContent).toContain('no new slots');
    expect(rows[3].textContent).toContain('—');
    expect(screen.getByTestId('my-shop-failed').textContent).toContain('could not be loaded');

    // A row is a link to the shop's view; "All my shops" comes back.
    const link = within(rows[1]).getByRole('link');
    expect(link.getAttribute('href')).toContain('shop=E');
    fireEvent.click(link);
    expect(window.location.search).toContain('shop=E');
    await screen.findByTestId('alerts-panel');
    expect(screen.queryByTestId('my-shops')).toBeNull();
    fireEvent.click(screen.getByTestId('all-my-shops'));
    expect(await screen.findByTestId('my-shops')).toBeTruthy();
    expect(window.location.search).not.toContain('shop=');
  });

  it('speaks Chinese', async () => {
    stub();
    renderWithClient(<SellerHome me={me} date={DATE} />, 'zh');
    expect(await screen.findByRole('heading', { name: '您的全部 5 家店铺' })).toBeTruthy();
    await vi.waitFor(() => expect(screen.getAllByTestId('my-shop')).toHaveLength(4));
    expect(screen.getByRole('columnheader', { name: '平台介入率' })).toBeTruthy();
    expect(within(screen.getAllByTestId('my-shop')[1]).getByTestId('my-shop-ratio').textContent).toBe('— （类目店铺太少，无法比较）');
  });

  it('opens the only shop of a seller directly', async () => {
    stub();
    renderWithClient(<SellerHome me={{ ...me, shops: ['C'] }} date={DATE} />);
    await screen.findByTestId('alerts-panel');
    expect(screen.queryByTestId('my-shops')).toBeNull();
  });
});
