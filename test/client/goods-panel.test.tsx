// @vitest-environment jsdom
// "What drives my rate" (issue 13): the top goods by intervention orders with the what-if beside each,
// in English and Chinese; without a ratio when the API withholds it (a category too small to compare).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, within } from '@testing-library/react';
import { GoodsPanel } from '../../client/features/seller/GoodsPanel';
import type { Goods } from '../../client/lib/queries';
import { renderWithClient, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const DATE = '2026-10-15';
// The numbers of test/goods.test.ts (shop A on 10-15).
const goods = (ratios: boolean): Goods => ({
  shopId: 'A',
  date: DATE,
  window: { from: '2026-09-16', to: DATE },
  items: [
    {
      goodsId: 'G1',
      goodsName: '保温杯',
      orders: 30,
      interventions: 3,
      rate: 0.1,
      share: 0.75,
      withoutIt: { rate: 1 / 58, ratio: ratios ? 658 / 116 : null, flagged: false },
    },
    {
      goodsId: 'G2',
      goodsName: '雨伞',
      orders: 30,
      interventions: 1,
      rate: 1 / 30,
      share: 0.25,
      withoutIt: { rate: 0.05, ratio: ratios ? 8.25 : null, flagged: true },
    },
    {
      goodsId: 'G9',
      goodsName: 'G9',
      orders: 1,
      interventions: 0,
      rate: 0,
      share: 0,
      withoutIt: { rate: 4 / 61, ratio: ratios ? 2644 / 305 : null, flagged: true },
    },
  ],
});

describe('GoodsPanel', () => {
  it('lists the goods with intervention orders, most first, with the what-if and a link to the cases', async () => {
    const { calls } = stubFetch((p) => (p === '/api/shops/A/goods' ? { body: goods(true) } : { status: 404, body: { error: 'not_found', message: p } }));
    renderWithClient(<GoodsPanel shopId="A" date={DATE} />);
    const table = await screen.findByTestId('goods-table');
    expect(calls[0].searchParams.get('date')).toBe(DATE);
    expect(screen.getByRole('heading', { name: 'What drives my rate' })).toBeTruthy();
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-testid'))).toEqual(['goods-row-G1', 'goods-row-G2']); // G9 has none
    expect(within(rows[0]).getByTestId('goods-without').textContent).toBe('rate 1.72%, ratio 5.6× · not flagged');
    expect(within(rows[1]).getByTestId('goods-without').textContent).toBe('rate 5.00%, ratio 8.2× · still flagged');
    expect(rows[0].textContent).toContain('75%');
    // Its cases: the case list filtered to G1's orders, every kind, counted or not.
    expect(within(rows[0]).getByRole('link', { name: 'See the cases' }).getAttribute('href')).toBe('/?caseGoods=G1&caseKind=all&caseCounted=all#shop-cases');
  });

  it('in Chinese, and without a ratio when the API withholds it', async () => {
    stubFetch(() => ({ body: goods(false) }));
    renderWithClient(<GoodsPanel shopId="A" date={DATE} />, 'zh');
    const table = await screen.findByTestId('goods-table');
    expect(screen.getByRole('heading', { name: '是什么推高了我的介入率' })).toBeTruthy();
    const first = within(table).getByTestId('goods-row-G1');
    expect(within(first).getByTestId('goods-without').textContent).toBe('介入率 1.72% · 不会被标记');
  });

  it('says so when no goods has intervention orders', async () => {
    stubFetch(() => ({ body: { ...goods(true), items: goods(true).items.map((i) => ({ ...i, interventions: 0 })) } }));
    renderWithClient(<GoodsPanel shopId="A" date={DATE} />);
    expect(await screen.findByText(/No goods with intervention orders/)).toBeTruthy();
  });
});
