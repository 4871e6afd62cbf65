// @vitest-environment jsdom
// The queue's "In queue" column sorts by age on the server: its header asks GET /api/queue?sort=age (the
// longest waiting first), a second press the newest first; the address keeps it, and a link with sort=age opens
// sorted so (the column marked as sorted for assistive technology).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { FlaggedQueue } from '../../client/features/governance/FlaggedQueue';
import type { QueueList, Review } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const review = (enteredOn: string, ageDays: number): Review => ({
  state: 'new',
  assignee: null,
  claimedAt: null,
  decidedBy: null,
  decidedAt: null,
  enteredOn,
  ageDays,
  pastService: ageDays >= 3,
});

const LIST: QueueList = {
  total: 2,
  serviceDays: 3,
  items: [
    { ...shopMetrics('S1'), review: review('2026-11-17', 8) },
    { ...shopMetrics('S2'), review: review('2026-11-23', 2) },
  ],
};

const queueCalls = (calls: URL[]) => calls.filter((u) => u.pathname === '/api/queue');
const ageHeader = () => screen.getByRole('columnheader', { name: /^In queue/ });

describe('sorting the queue by age', () => {
  it('the "In queue" header asks the server for sort=age, desc then asc, and keeps it in the address', async () => {
    const { calls } = stubFetch((path) => (path === '/api/categories' ? { body: { date: '2026-11-25', categories: [] } } : { body: LIST }));
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    await screen.findByTestId('flagged-table');
    expect(queueCalls(calls).at(-1)!.searchParams.get('sort')).toBe('level');
    expect(ageHeader().getAttribute('aria-sort')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'In queue' }));
    await waitFor(() => expect(queueCalls(calls).some((u) => u.searchParams.get('sort') === 'age')).toBe(true));
    const first = queueCalls(calls).find((u) => u.searchParams.get('sort') === 'age')!;
    expect(first.searchParams.get('order')).toBe('desc');
    expect(new URLSearchParams(window.location.search).get('sort')).toBe('age');
    expect(new URLSearchParams(window.location.search).get('order')).toBeNull();
    await waitFor(() => expect(ageHeader().getAttribute('aria-sort')).toBe('descending'));
    expect(ageHeader().textContent).toBe('In queue ▼');

    fireEvent.click(screen.getByRole('button', { name: 'In queue' }));
    await waitFor(() => expect(queueCalls(calls).some((u) => u.searchParams.get('sort') === 'age' && u.searchParams.get('order') === 'asc')).toBe(true));
    expect(new URLSearchParams(window.location.search).get('order')).toBe('asc');
    await waitFor(() => expect(ageHeader().getAttribute('aria-sort')).toBe('ascending'));
    expect(ageHeader().textContent).toBe('In queue ▲');
  });

  it('a link with sort=age opens the queue sorted by age', async () => {
    window.history.replaceState(null, '', '/?tab=queue&sort=age&order=asc');
    const { calls } = stubFetch((path) => (path === '/api/categories' ? { body: { date: '2026-11-25', categories: [] } } : { body: LIST }));
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    await screen.findByTestId('flagged-table');
    const asked = queueCalls(calls);
    expect(asked.map((u) => [u.searchParams.get('sort'), u.searchParams.get('order')])).toEqual([['age', 'asc']]);
    expect(ageHeader().getAttribute('aria-sort')).toBe('ascending');
  });
});
