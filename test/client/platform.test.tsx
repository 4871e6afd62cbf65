// @vitest-environment jsdom
// The platform-over-time tab: the summary of the last day, the policy versions that took effect, the
// week's movers, and the category filter in the address — in English and Chinese.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { PlatformPanel } from '../../client/features/governance/PlatformPanel';
import type { Platform } from '../../client/lib/queries';
import { renderWithClient, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const zero = { warning: 0, restricted: 0, severe: 0 };
const platform: Platform = {
  from: '2026-10-12',
  to: '2026-10-13',
  categoryId: null,
  days: [
    { date: '2026-10-12', levels: { ...zero, restricted: 2 }, entered: zero, left: zero },
    {
      date: '2026-10-13',
      levels: { warning: 1, restricted: 0, severe: 2 },
      entered: { warning: 1, restricted: 0, severe: 2 },
      left: { ...zero, restricted: 2 },
    },
  ],
  policyVersions: [{ version: 'v2-same', effectiveFrom: '2026-10-13' }],
  movers: {
    weekFrom: '2026-10-06',
    up: [{ shopId: 'C', shopName: 'C店', categoryId: 'C1', from: 'restricted', to: 'severe', ratio: 16.1 }],
    down: [],
  },
};

function stub() {
  return stubFetch((path) =>
    path === '/api/categories'
      ? {
          body: {
            date: '2026-10-13',
            categories: [
              {
                categoryId: 'C1',
                categoryName: '女装',
                shops: 3,
                judged: 3,
                orders: 1600,
                interventions: 6,
                mean: 0.004,
                medianRate: 0,
                p90Rate: 0.05,
                levels: { warning: 1, restricted: 0, severe: 2 },
              },
            ],
          },
        }
      : { body: platform },
  );
}

describe('PlatformPanel', () => {
  it('sums up the last day, names the policy version that took effect and lists the movers (en)', async () => {
    const { calls } = stub();
    renderWithClient(<PlatformPanel date="2026-10-13" />);
    expect((await screen.findByTestId('platform-summary')).textContent).toBe(
      'On Oct 13, 2026: 1 warning, 0 restricted, 2 severe. Policy version v2-same (Oct 13, 2026) took effect in this period (marked on the charts).',
    );
    expect(screen.getByTestId('platform-movers-up').textContent).toContain('C店');
    expect(screen.getByTestId('platform-movers-down').textContent).toContain('None.');
    expect(calls.find((u) => u.pathname === '/api/platform')!.searchParams.get('to')).toBe('2026-10-13');
    // Choosing a category puts it in the address and asks for it.
    await waitFor(() => expect(screen.getByTestId('platform-category').querySelectorAll('option')).toHaveLength(2));
    fireEvent.change(screen.getByTestId('platform-category'), { target: { value: 'C1' } });
    await waitFor(() => expect(calls.some((u) => u.pathname === '/api/platform' && u.searchParams.get('categoryId') === 'C1')).toBe(true));
    expect(new URLSearchParams(window.location.search).get('platformCategory')).toBe('C1');
  });

  it('says the same in Chinese', async () => {
    stub();
    renderWithClient(<PlatformPanel date="2026-10-13" />, 'zh');
    expect((await screen.findByTestId('platform-summary')).textContent).toBe(
      '2026年10月13日：预警 1 家，限制 0 家，严重 2 家。 本期间生效的规则版本：v2-same (2026年10月13日)（已在图中标出）。',
    );
    expect(screen.getByTestId('platform-movers-down').textContent).toContain('无。');
  });
});
