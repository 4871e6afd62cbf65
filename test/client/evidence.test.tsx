// @vitest-environment jsdom
// The case drawer: a case in the cases table opens a dialog with its order (paid time, amount, goods), its
// timeline and why it counts or not in words; the case is in the address; Escape closes it and focus returns to
// the case that opened it; Tab stays inside.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { CasesTable } from '../../client/features/seller/CasesTable';
import type { CaseDetail, Cases } from '../../client/lib/queries';
import { renderWithClient, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const caseOf = (caseId: string, over: Partial<Cases['cases'][number]> = {}): Cases['cases'][number] => ({
  caseId,
  orderId: 'A-2026-09-18-1',
  kind: 'intervention',
  reason: 'quality',
  openedAt: '2026-09-18T02:00:00Z',
  openedDay: '2026-09-18',
  status: 'open',
  outcome: null,
  excluded: false,
  exclusionReason: null,
  counted: true,
  leavesWindowOn: '2026-10-18',
  orderKnown: true,
  paidDay: '2026-09-18',
  countsOn: '2026-09-18',
  notCountedBecause: null,
  goodsId: 'G1',
  ...over,
});

const LIST: Cases = {
  shopId: 'A',
  date: '2026-10-08',
  window: { from: '2026-09-09', to: '2026-10-08' },
  countBasis: 'case_opened',
  cases: [caseOf('k1'), caseOf('k2', { openedDay: '2026-09-25', countsOn: '2026-09-25', leavesWindowOn: '2026-10-25' })],
};

const DETAIL_K2: CaseDetail = {
  shopId: 'A',
  caseId: 'k2',
  date: '2026-10-08',
  window: { from: '2026-09-09', to: '2026-10-08' },
  countBasis: 'case_opened',
  case: { ...caseOf('k2'), openedAt: '2026-09-25T02:00:00Z', openedDay: '2026-09-25', reason: 'not_received' },
  order: { orderId: 'A-2026-09-18-1', known: true, paidAt: '2026-09-18T04:00:00Z', paidDay: '2026-09-18', amount: 19.9, goodsId: 'G1', goodsName: '连衣裙' },
  timeline: [
    { event: 'paid', at: '2026-09-18T04:00:00Z', day: '2026-09-18', value: null },
    { event: 'opened', at: '2026-09-25T02:00:00Z', day: '2026-09-25', value: 'not_received' },
    { event: 'status', at: null, day: null, value: 'open' },
    { event: 'leaves_window', at: null, day: '2026-10-25', value: null },
  ],
  why: { reason: 'same_order_counted', counts: false, countsOn: '2026-09-25', countedDays: { from: '2026-09-25', to: '2026-10-24' }, sameOrderAs: 'k1' },
  otherCases: [{ caseId: 'k1', kind: 'intervention', openedDay: '2026-09-18', excluded: false, why: 'counted' }],
  dataAsOf: '2026-10-09T01:00:00Z',
};

describe('the case drawer', () => {
  it('opens from the cases table with the order, the timeline and why, and closes with Escape', async () => {
    const { calls } = stubFetch((path) => (path === '/api/shops/A/cases/k2' ? { body: DETAIL_K2 } : { body: LIST }));
    renderWithClient(<CasesTable shopId="A" date="2026-10-08" headline={1} />);
    const open = await screen.findByRole('button', { name: 'Open case k2' });
    open.focus();
    fireEvent.click(open);
    expect(new URLSearchParams(window.location.search).get('case')).toBe('k2');
    const dialog = await screen.findByRole('dialog', { name: 'Case k2' });
    await within(dialog).findByTestId('case-why');
    expect(within(dialog).getByTestId('case-why').textContent).toContain(
      'Adds nothing on Oct 8, 2026: its order is already counted by case k1 (an order counts once, however many cases it has).',
    );
    expect(within(dialog).getByTestId('case-amount').textContent).toBe('¥19.90');
    expect(within(dialog).getByTestId('case-order').textContent).toContain('连衣裙 (G1)');
    expect([...within(dialog).getByTestId('case-timeline').querySelectorAll('li')].map((li) => li.dataset.event)).toEqual([
      'paid',
      'opened',
      'status',
      'leaves_window',
    ]);
    expect(within(dialog).getByTestId('case-timeline').textContent).toContain('Status now: Open');
    expect(within(dialog).getByTestId('case-others').textContent).toBe('k1 (Intervention, opened Sep 18, 2026): counts');
    expect(calls.some((u) => u.pathname === '/api/shops/A/cases/k2' && u.searchParams.get('date') === '2026-10-08')).toBe(true);
    // Focus is inside; Escape closes and gives focus back to the case.
    expect(dialog.contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(new URLSearchParams(window.location.search).get('case')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Open case k2' }));
  });

  it('says why an excluded case counts nowhere, in Chinese too', async () => {
    window.history.replaceState(null, '', '/?case=k3');
    const excluded: CaseDetail = {
      ...DETAIL_K2,
      caseId: 'k3',
      case: { ...DETAIL_K2.case, caseId: 'k3', excluded: true, exclusionReason: 'logistics_exception' },
      why: { reason: 'excluded', counts: false, countsOn: null, countedDays: null, sameOrderAs: null },
      otherCases: [],
    };
    stubFetch((path) => (path === '/api/shops/A/cases/k3' ? { body: excluded } : { body: LIST }));
    renderWithClient(<CasesTable shopId="A" date="2026-10-08" />, 'zh');
    const dialog = await screen.findByRole('dialog', { name: '案件 k3' });
    expect((await within(dialog).findByTestId('case-why')).dataset.why).toBe('excluded');
    expect(within(dialog).getByTestId('case-why').textContent).toMatch(/^已剔除（.+）：不计入任何统计。$/);
  });
});
