// @vitest-environment jsdom
// The shared queue in the workbench (GET /api/queue): each row's review state and who has it ("you" for one's
// own), its age in the queue with the past-service mark in words, Claim / Release / Take over / Reopen posting the
// right action, a conflict showing the server's message naming the holder, the review filters kept in the
// address, and a decision (single or bulk) refused because someone else has the shop offering "take over and decide".
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { AppealsPanel } from '../../client/features/governance/AppealsPanel';
import { DecisionForm } from '../../client/features/governance/DecisionForm';
import { FlaggedQueue } from '../../client/features/governance/FlaggedQueue';
import { ReviewBar } from '../../client/features/governance/ReviewControls';
import type { QueueList, Review } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch, PENDING_APPEAL } from './helpers';

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
  total: 4,
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
    {
      ...shopMetrics('S4'),
      review: review({
        state: 'decided',
        assignee: 'wang@example.com',
        claimedAt: '2026-11-24T06:00:00Z',
        decidedBy: 'wang@example.com',
        decidedAt: '2026-11-25T02:00:00Z',
        pastService: false,
      }),
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
    // Decided: reopening it is said in words (a plain claim would be refused).
    expect(within(row('S4')).getByRole('button', { name: 'Reopen S4 (decided by wang@example.com)' }).textContent).toBe('Reopen');
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
    fireEvent.click(within(row('S4')).getByRole('button', { name: 'Reopen S4 (decided by wang@example.com)' }));
    await waitFor(() =>
      expect(posts).toEqual([
        ['S1', { action: 'claim' }],
        ['S2', { action: 'release' }],
        ['S3', { action: 'claim', reassign: true }],
        ['S4', { action: 'claim', reassign: true }],
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
      const asked = calls.filter((u) => u.pathname === '/api/queue').at(-1)!;
      expect([asked.searchParams.get('review'), asked.searchParams.get('assignee')]).toEqual(['mine', 'wang@example.com']);
    });
    // The queue is the shared queue's endpoint; GET /api/flagged (DESIGN §4) is not asked.
    expect(calls.some((u) => u.pathname === '/api/flagged')).toBe(false);
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

  it('a decision refused because someone else has the shop shows the message and offers "take over and decide"', async () => {
    const sent: unknown[] = [];
    const { fetchMock } = stubFetch(() => {
      const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string) as { reassign?: boolean };
      sent.push(body);
      if (!body.reassign)
        return {
          status: 409,
          body: {
            error: 'held',
            message: 'shop S1 is in review by wang@example.com since 2026-11-25T06:00:00Z; to decide it anyway, take it over (send reassign: true)',
          },
        };
      return {
        status: 201,
        body: {
          id: 7,
          shopId: 'S1',
          action: 'confirm',
          reason: 'checked',
          until: null,
          episodeStart: '2026-11-11',
          actor: 'li@example.com',
          at: '2026-11-25T08:00:00Z',
        },
      };
    });
    renderWithClient(<DecisionForm shopId="S1" date="2026-11-25" />);
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'checked' } });
    fireEvent.click(screen.getByRole('button', { name: 'Record decision…' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Confirm' }));
    const error = await screen.findByTestId('decision-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('shop S1 is in review by wang@example.com since 2026-11-25T06:00:00Z');
    fireEvent.click(within(error).getByRole('button', { name: 'Take over and decide' }));
    expect((await screen.findByTestId('decision-saved')).textContent).toBe('Recorded: Confirm the restriction.');
    expect(sent).toEqual([
      { action: 'confirm', reason: 'checked' },
      { action: 'confirm', reason: 'checked', reassign: true },
    ]);
  });

  it('another conflict (no restriction in force) shows its message without offering to take over', async () => {
    stubFetch(() => ({ status: 409, body: { error: 'conflict', message: 'shop S1 has no restriction in force on 2026-11-25; only a note can be recorded' } }));
    renderWithClient(<DecisionForm shopId="S1" date="2026-11-25" />);
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'checked' } });
    fireEvent.click(screen.getByRole('button', { name: 'Record decision…' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Confirm' }));
    expect((await screen.findByTestId('decision-error')).textContent).toBe('shop S1 has no restriction in force on 2026-11-25; only a note can be recorded');
    expect(screen.queryByRole('button', { name: 'Take over and decide' })).toBeNull();
  });

  it('a bulk decision refused for shops others have lists them and can take them over and decide', async () => {
    const posts: { shopIds: string[]; reassign?: boolean }[] = [];
    const message =
      '1 of the 2 shops are in review by someone else, so nothing was recorded: shop S3 is in review by wang@example.com since 2026-11-25T06:00:00Z. ' +
      'To decide them anyway, take them over (send reassign: true), or leave them out';
    const { fetchMock } = stubFetch((path) => {
      if (path === '/api/categories') return { body: { date: '2026-11-25', categories: [] } };
      if (path === '/api/decisions/bulk') {
        const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string) as { shopIds: string[]; reassign?: boolean };
        posts.push(body);
        if (!body.reassign) return { status: 409, body: { error: 'held', message } };
        return {
          status: 201,
          body: {
            decisions: body.shopIds.map((shopId, i) => ({
              id: i + 1,
              shopId,
              action: 'confirm',
              reason: 'checked the orders',
              until: null,
              episodeStart: '2026-11-10',
              actor: 'li@example.com',
              at: '2026-11-25T08:00:00Z',
            })),
          },
        };
      }
      return { body: LIST };
    });
    renderWithClient(<FlaggedQueue date="2026-11-25" me="li@example.com" />);
    await screen.findByTestId('flagged-table');
    fireEvent.click(screen.getByTestId('select-S1'));
    fireEvent.click(screen.getByTestId('select-S3'));
    fireEvent.change(screen.getByTestId('bulk-reason'), { target: { value: 'checked the orders' } });
    fireEvent.click(screen.getByTestId('bulk-decide'));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Decide for 2 shops…' }));
    const error = await screen.findByTestId('decision-error');
    expect(error.textContent).toContain(message);
    // Nothing was recorded: the selection stays.
    expect(screen.getByTestId('bulk-bar').textContent).toContain('2 shops selected');
    fireEvent.click(within(error).getByRole('button', { name: 'Take over and decide' }));
    expect((await screen.findByTestId('bulk-done')).textContent).toBe('2 decisions recorded.');
    expect(posts).toEqual([
      { shopIds: ['S1', 'S3'], action: 'confirm', reason: 'checked the orders' },
      { shopIds: ['S1', 'S3'], action: 'confirm', reason: 'checked the orders', reassign: true },
    ]);
  });

  it('an appeal answer refused because someone else has the shop offers to take it over and answer', async () => {
    const appeal = PENDING_APPEAL;
    const answers: unknown[] = [];
    const { fetchMock } = stubFetch((path) => {
      if (path === '/api/appeals/7/answer') {
        const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string) as { reassign?: boolean };
        answers.push(body);
        if (!body.reassign)
          return {
            status: 409,
            body: {
              error: 'held',
              message: 'shop A is in review by wang@example.com since 2026-10-08T02:00:00Z; to decide it anyway, take it over (send reassign: true)',
            },
          };
        return {
          status: 201,
          body: { ...appeal, state: 'rejected', answeredBy: 'li@example.com', answeredAt: '2026-10-08T03:00:00Z', answerReason: 'not shown' },
        };
      }
      if (path === '/api/categories') return { body: { date: '2026-10-08', categories: [] } };
      return { body: { items: [appeal] } };
    });
    renderWithClient(<AppealsPanel date="2026-10-08" />);
    fireEvent.change(await screen.findByLabelText(/7/), { target: { value: 'not shown in the orders' } });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    const error = await screen.findByTestId('decision-error');
    expect(error.textContent).toContain('shop A is in review by wang@example.com');
    fireEvent.click(within(error).getByRole('button', { name: 'Take over and decide' }));
    await waitFor(() =>
      expect(answers).toEqual([
        { decision: 'reject', reason: 'not shown in the orders' },
        { decision: 'reject', reason: 'not shown in the orders', reassign: true },
      ]),
    );
  });
});
