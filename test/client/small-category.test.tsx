// @vitest-environment jsdom
// DESIGN §3 small categories in the seller view: when the API withholds the category figures (a seller, a
// category with too few other shops with orders), every place that shows them says "category too small to
// compare" instead of an empty or broken figure; a reviewer, who gets the figures, is told the seller does
// not. And the cases under order_paid: the day each counts on, and why one whose order is missing does not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { HeadlineCards } from '../../client/features/seller/HeadlineCards';
import { PeersChart } from '../../client/features/seller/PeersChart';
import { ForecastChart } from '../../client/features/seller/ForecastChart';
import { TrendChart } from '../../client/features/seller/TrendChart';
import { CasesTable } from '../../client/features/seller/CasesTable';
import { DEFAULT_POLICY } from '../../client/lib/policy';
import type { Cases, Forecast, Peers, Trend } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const DATE = '2026-11-25';
const withheldMetrics = shopMetrics('S1', { categoryMean: null, ratio: null, categoryComparable: false, minPeerShops: 5 });

const withheldPeers: Peers = {
  shopId: 'S1',
  categoryId: '1001',
  date: DATE,
  judgedShops: null,
  categoryMean: null,
  median: null,
  p90: null,
  buckets: [],
  shopRate: 0.1,
  percentile: null,
  categoryComparable: false,
  minPeerShops: 5,
};

function forecast(threshold: number | null, overrides: Partial<Forecast> = {}): Forecast {
  return {
    shopId: 'S1',
    date: DATE,
    assumptions: { dailyOrders: 3.6, newInterventions: 0 },
    belowThresholdOn: '2026-12-20',
    liftOn: null,
    headroom7d: null,
    points: [
      { date: '2026-11-26', orders: 108, interventions: 11, rate: 0.1, threshold, flagged: true, level: 'severe', policyVersion: '2026.11-default' },
      { date: '2026-11-27', orders: 108, interventions: 11, rate: 0.1, threshold, flagged: true, level: 'severe', policyVersion: 'next' },
    ],
    categoryComparable: false,
    minPeerShops: 5,
    ...overrides,
  };
}

function trend(mean: number | null): Trend {
  const point = (date: string) => ({
    date,
    orders: 108,
    interventions: 11,
    complaints: 0,
    rate: 0.1,
    categoryMean: mean,
    threshold: mean === null ? null : 5 * mean,
    ratio: mean === null ? null : 0.1 / mean,
    judged: true,
    flagged: true,
    level: 'severe' as const,
  });
  return { shopId: 'S1', from: '2026-11-24', to: DATE, flagRatio: 5, points: [point('2026-11-24'), point(DATE)], categoryComparable: false, minPeerShops: 5 };
}

describe('headline cards of a small category', () => {
  it('say "too small to compare" for the mean and the ratio, keep the shop’s own flag red', () => {
    renderWithClient(<HeadlineCards metrics={withheldMetrics} policy={DEFAULT_POLICY} />);
    expect(screen.getByTestId('headline-category-mean').textContent).toBe('too small to compare');
    expect(screen.getByTestId('headline-category-mean').dataset.value).toBe('');
    expect(screen.getByTestId('headline-ratio').textContent).toBe('too small to compare');
    expect(screen.getByTestId('headline-ratio').closest('.card')!.className).toContain('card-alert');
    expect(screen.getByText('needs 5 other shops with orders')).not.toBeNull();
    expect(screen.getByTestId('headline-rate').textContent).toBe('10.19%');
  });

  it('in Chinese', () => {
    renderWithClient(<HeadlineCards metrics={withheldMetrics} policy={DEFAULT_POLICY} />, 'zh');
    expect(screen.getByTestId('headline-category-mean').textContent).toBe('无法比较');
  });
});

describe('charts of a small category', () => {
  it('peers: the notice instead of "no judged shops" or an empty chart', async () => {
    stubFetch(() => ({ body: withheldPeers }));
    renderWithClient(<PeersChart shopId="S1" date={DATE} />);
    const note = await screen.findByTestId('peers-too-small');
    expect(note.textContent).toContain('Category too small to compare');
    expect(note.textContent).toContain('Fewer than 5 other shops');
    expect(screen.queryByTestId('peers-chart')).toBeNull();
    expect(screen.queryByText('No judged shops in this category on this day.')).toBeNull();
  });

  it('peers in Chinese: 类目店铺过少，无法比较', async () => {
    stubFetch(() => ({ body: withheldPeers }));
    renderWithClient(<PeersChart shopId="S1" date={DATE} />, 'zh');
    expect((await screen.findByTestId('peers-too-small')).textContent).toContain('类目店铺过少，无法比较');
  });

  it('peers for a reviewer: the chart, with a note that the seller does not see it', async () => {
    stubFetch(() => ({
      body: { ...withheldPeers, judgedShops: 1, categoryMean: 0.05, median: 0.1, p90: 0.1, buckets: [{ from: 0, to: 0.1, shops: 1 }], percentile: null },
    }));
    renderWithClient(<PeersChart shopId="S1" date={DATE} />);
    expect(await screen.findByTestId('peers-chart')).not.toBeNull();
    expect(screen.getByTestId('category-withheld-from-seller').textContent).toContain('Sellers of this category do not see');
  });

  it('forecast: the notice, and the headroom said to be withheld rather than "stays flagged"', async () => {
    stubFetch(() => ({ body: forecast(null) }));
    renderWithClient(<ForecastChart shopId="S1" date={DATE} />);
    expect((await screen.findByTestId('forecast-too-small')).textContent).toContain('Category too small to compare');
    expect(screen.getByText('The headroom is not shown: the category is too small to compare.')).not.toBeNull();
    expect(screen.queryByText(/stays flagged in the next 7 days/)).toBeNull();
    expect(screen.getByText('Under the threshold from Dec 20, 2026.')).not.toBeNull();
    // With the figures (a comparable category): no notice, the headroom.
    cleanup();
    stubFetch(() => ({ body: forecast(0.08, { categoryComparable: true, headroom7d: 2 }) }));
    renderWithClient(<ForecastChart shopId="S1" date={DATE} />);
    expect(await screen.findByTestId('forecast-chart')).not.toBeNull();
    expect(screen.queryByTestId('forecast-too-small')).toBeNull();
    expect(screen.getByText(/can take at most 2 new intervention orders/)).not.toBeNull();
  });

  it('trend: the notice, and a summary without the withheld figures', async () => {
    stubFetch(() => ({ body: trend(null) }));
    renderWithClient(<TrendChart shopId="S1" date={DATE} dataFrom="2026-11-24" />);
    expect((await screen.findByTestId('trend-too-small')).textContent).toContain('Category too small to compare');
    const chart = screen.getByTestId('trend-chart');
    expect(within(chart).getByText('On Nov 25, 2026: rate 10.00%.')).not.toBeNull();
    expect(chart.textContent).not.toContain('category mean —');
  });

  it('trend for a reviewer: the figures, with a note that the seller does not see them', async () => {
    stubFetch(() => ({ body: trend(0.02) }));
    renderWithClient(<TrendChart shopId="S1" date={DATE} dataFrom="2026-11-24" />);
    expect(await screen.findByTestId('category-withheld-from-seller')).not.toBeNull();
    expect(screen.queryByTestId('trend-too-small')).toBeNull();
    expect(screen.getByText('On Nov 25, 2026: rate 10.00%, category mean 2.00%, threshold 10.00%.')).not.toBeNull();
  });
});

describe('cases under order_paid', () => {
  const row = (id: string, overrides: Partial<Cases['cases'][number]>): Cases['cases'][number] => ({
    caseId: id,
    orderId: `O-${id}`,
    kind: 'intervention',
    reason: 'quality',
    openedAt: '2026-11-10T02:00:00Z',
    openedDay: '2026-11-10',
    status: 'open',
    outcome: null,
    excluded: false,
    exclusionReason: null,
    counted: true,
    leavesWindowOn: '2026-12-01',
    orderKnown: true,
    paidDay: '2026-11-01',
    countsOn: '2026-11-01',
    notCountedBecause: null,
    ...overrides,
  });

  it('show the day each case counts on, and why one whose order is missing does not count', async () => {
    stubFetch(() => ({
      body: {
        shopId: 'S1',
        date: DATE,
        window: { from: '2026-10-27', to: DATE },
        countBasis: 'order_paid',
        cases: [
          row('K1', {}),
          row('K2', {
            orderId: 'GHOST',
            orderKnown: false,
            paidDay: null,
            countsOn: null,
            counted: false,
            notCountedBecause: 'order_missing',
            leavesWindowOn: '2026-12-10',
          }),
        ],
      } satisfies Cases,
    }));
    renderWithClient(<CasesTable shopId="S1" date={DATE} />);
    const table = await screen.findByTestId('cases-table');
    expect(within(table).getByText('Counts on (order paid)')).not.toBeNull();
    expect(within(table).getByText('Nov 1, 2026')).not.toBeNull();
    expect(screen.getByText(/1 counted of 2 cases whose orders were paid Oct 27, 2026 – Nov 25, 2026/)).not.toBeNull();
    fireEvent.click(screen.getByLabelText('Also show complaints and cases not counted'));
    expect(within(table).getByText('No: its order is not in the data (a case counts on its order’s paid day)')).not.toBeNull();
  });
});
