// @vitest-environment jsdom
// The shared queue in the workbench: each row's review state and who has it ("you" for one's own), its age in
// the queue with the past-service mark in words, Claim / Release / Take over posting the right action, a
// conflict showing the server's message naming the holder, and the review filters kept in the address.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { FlaggedQueue } from '../../client/features/governance/FlaggedQueue';
import { ReviewBar } from '../../client/features/governance/ReviewControls';
import type { QueueList, Review } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const review = (over: Partial<Review>): Review => ({
  state: 'new',
  assignee: null,
  claimedAt: null,
  decidedBy: null,
  decidedAt: null,
  enteredOn: '2026-11-20',
  ageDays: 5,
  pastService: true,
  ...over,
});

const LIST: QueueList = {
  total: 3,
  serviceDays: 3,
  items: [
    { ...shopMetrics('S1'), review: review({}) },
    {
      ...shopMetrics('S2'),
      review: review({ state: 'in_review', assignee: 'li@example.com', claimedAt: '2026-11-25T06:00:00Z', ageDays: 1, pastService: false }),
    },
    {
      ...shopMetrics('S3'),
      review: review({ state: 'in_review', assignee: 'wang@example.com', claimedAt: '2026-11-25T06:00:00Z', ageDays: 2, pastService: false }),
    },
  ],
};

function stubQueue(onReview: (shopId: string, body: unknown) => { status?: number; body: unknown }) {
  const { fetchMock, calls } = stubFetch((path) => {
    if (path === '/api/categories') return { body: { date: '2026-11-25', categories: [] } };
    const m = /^\/api\/shops\/(\w+)\/review$/.exec(path);
    if (m) return onReview(m[1], JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string));
    return { body: LIST };
  });
  return calls;
}

const row = (shopId: string) => screen.getByTestId('flagged-table').querySelector<HTMLElement>(`tr[data-shop-id="${shopId}"]`)!;

describe('the shared queue', () => {
  it('shows each row’s state, who has it, its age, and the past-service mark in words', async () => {
    stubQueue(() => ({ body: {} }));
    renderWithClient(<FlaggedQueue date="2026-11-25" me="li@example.com" />);
    await screen.findByTestId('flagged-table');
    expect(within(row('S1')).getByTestId('review-state').textContent).toBe('New');
    // Past the service time: a word on the row, the full sentence as its name (not by colour alone).
    expect(within(row('S1')).getByTestId('review-age').textContent).toBe('5 days ⚠ Overdue');
    expect(within(row('S1')).getByRole('img', { name: 'Past the 3-day service time' })).toBeTruthy();
    expect(row('S1').dataset.pastService).toBe('true');
    expect(within(row('S2')).getByTestId('review-state').textContent).toBe('In review claimed by you');
    expect(within(row('S3')).getByTestId('review-state').textContent).toBe('In review claimed by wang@example.com');
    expect(row('S2').dataset.pastService).toBeUndefined();
    expect(within(row('S2')).getByTestId('review-age').textContent).toMatch(/^1 day · claimed \d+ hours? ago$/);
    // One button per row: Claim (new), Release (mine), Take over (someone else's).
    expect(within(row('S1')).getByRole('button', { name: 'Claim S1' }).textContent).toBe('Claim');
    expect(within(row('S2')).getByRole('button', { name: 'Release S2' }).textContent).toBe('Release');
    expect(within(row('S3')).getByRole('button', { name: 'Take over S3 from wang@example.com' }).textContent).toBe('Take over');
  });

  it('posts a claim, a release and an explicit take-over; a conflict shows the message naming the holder', async () => {
    const posts: [string, unknown][] = [];
    stubQueue((shopId, body) => {
      posts.push([shopId, body]);
      if (shopId === 'S1')
        return {
          status: 409,
          body: { error: 'conflict', message: 'shop S1 is in review by zhou@example.com since 2026-11-25T07:00:00Z; to take it over, claim it with reassign' },
        };
      return { body: { shopId, date: '2026-11-25', level: 'severe', serviceDays: 3, review: review({}) } };
    });
    renderWithClient(<FlaggedQueue date="2026-11-25" me="li@example.com" />);
    await screen.findByTestId('flagged-table');
    fireEvent.click(within(row('S1')).getByRole('button', { name: 'Claim S1' }));
    expect((await within(row('S1')).findByRole('alert')).textContent).toContain('shop S1 is in review by zhou@example.com');
    fireEvent.click(within(row('S2')).getByRole('button', { name: 'Release S2' }));
    fireEvent.click(within(row('S3')).getByRole('button', { name: 'Take over S3 from wang@example.com' }));
    await waitFor(() =>
      expect(posts).toEqual([
        ['S1', { action: 'claim' }],
        ['S2', { action: 'release' }],
        ['S3', { action: 'claim', reassign: true }],
      ]),
    );
  });

  it('keeps the review filters in the address and asks the server with them', async () => {
    window.history.replaceState(null, '', '/?tab=queue&assignee=wang%40example.com');
    const calls = stubQueue(() => ({ body: {} }));
    renderWithClient(<FlaggedQueue date="2026-11-25" me="li@example.com" />);
    await screen.findByTestId('flagged-table');
    expect(screen.getByTestId<HTMLInputElement>('filter-assignee').value).toBe('wang@example.com');
    fireEvent.change(screen.getByTestId('filter-review'), { target: { value: 'mine' } });
    expect(new URLSearchParams(window.location.search).get('review')).toBe('mine');
    await waitFor(() => {
      const asked = calls.filter((u) => u.pathname === '/api/flagged').at(-1)!;
      expect([asked.searchParams.get('review'), asked.searchParams.get('assignee')]).toEqual(['mine', 'wang@example.com']);
    });
  });

  it('the shop page says who has the shop and since when, in Chinese too', async () => {
    stubFetch(() => ({
      body: {
        shopId: 'S3',
        date: '2026-11-25',
        level: 'severe',
        serviceDays: 3,
        review: review({ state: 'in_review', assignee: 'wang@example.com', claimedAt: '2026-11-25T06:00:00Z', ageDays: 4, pastService: true }),
      },
    }));
    renderWithClient(<ReviewBar shopId="S3" me="li@example.com" />, 'zh');
    const bar = await screen.findByTestId('review-bar');
    expect(bar.dataset.state).toBe('in_review');
    expect(within(bar).getByTestId('review-line').textContent).toMatch(/^wang@example\.com 自 .+ 起审核中。$/);
    expect(within(bar).getByTestId('past-service').textContent).toBe(' ⚠ 已超过 3 天处理时限');
    expect(within(bar).getByRole('button', { name: '从 wang@example.com 手中接手 S3' })).toBeTruthy();
  });
});
