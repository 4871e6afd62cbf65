// @vitest-environment jsdom
// The appeals queue: oldest first by default for pending appeals, each with its age and the shop's
// numbers today, and a category filter that goes to the server and the address.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { AppealsPanel } from '../../client/features/governance/AppealsPanel';
import type { Appeal } from '../../client/lib/queries';
import { renderWithClient, stubFetch, PENDING_APPEAL } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const appeal: Appeal = {
  ...PENDING_APPEAL,
  shop: { shopName: 'A店', categoryId: 'C1', level: 'severe', orders: 60, interventions: 3, rate: 0.05, ratio: 13.5, consecutiveFlaggedDays: 9 },
};

describe('AppealsPanel as a queue', () => {
  it('asks for pending appeals oldest first, shows the age and the numbers today, and filters by category', async () => {
    const { calls } = stubFetch((path) =>
      path === '/api/categories'
        ? {
            body: {
              date: '2026-10-08',
              categories: [
                {
                  categoryId: 'C1',
                  categoryName: '女装',
                  shops: 3,
                  judged: 2,
                  orders: 1620,
                  interventions: 6,
                  mean: 0.0037,
                  medianRate: 0.05,
                  p90Rate: 0.05,
                  levels: { warning: 0, restricted: 2, severe: 0 },
                },
              ],
            },
          }
        : { body: { items: [appeal] } },
    );
    renderWithClient(<AppealsPanel date="2026-10-08" />);
    expect((await screen.findByTestId('appeal-age')).textContent).toBe('waiting 3 days');
    expect(screen.getByTestId('appeal-shop-numbers').textContent).toBe(
      'A店 · now ◆ Severe · 3 intervention orders of 60 (5.00%), ratio 13.5×, flagged 9 days in a row',
    );
    const first = calls.find((u) => u.pathname === '/api/appeals')!;
    expect([first.searchParams.get('state'), first.searchParams.get('order')]).toEqual(['pending', 'oldest']);
    await waitFor(() => expect(screen.getByTestId('appeals-category').querySelectorAll('option')).toHaveLength(2));
    fireEvent.change(screen.getByTestId('appeals-category'), { target: { value: 'C1' } });
    await waitFor(() => expect(calls.some((u) => u.pathname === '/api/appeals' && u.searchParams.get('categoryId') === 'C1')).toBe(true));
    expect(new URLSearchParams(window.location.search).get('appealCategory')).toBe('C1');
  });
});
