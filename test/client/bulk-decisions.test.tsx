// @vitest-environment jsdom
// Bulk decisions from the queue: select shops, choose an exemption with its end date and a reason,
// confirm, and exactly those shops, that action, reason and date are posted once; the selection clears.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { FlaggedQueue } from '../../client/features/governance/FlaggedQueue';
import type { FlaggedList } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('bulk decisions in the queue', () => {
  it('posts one decision with one reason for the selected shops, after a confirmation naming them', async () => {
    const list: FlaggedList = { total: 3, items: [shopMetrics('S1'), shopMetrics('S2'), shopMetrics('S3')] };
    const posts: unknown[] = [];
    const { fetchMock } = stubFetch((path) => {
      if (path === '/api/categories') return { body: { date: '2026-11-25', categories: [] } };
      if (path === '/api/decisions/bulk') {
        const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string) as { shopIds: string[] };
        posts.push(body);
        return {
          status: 201,
          body: {
            decisions: body.shopIds.map((shopId, i) => ({
              id: i + 1,
              shopId,
              action: 'exempt',
              reason: 'regional flood',
              until: '2026-12-31',
              episodeStart: '2026-11-10',
              actor: 'li@example.com',
              at: '2026-11-25T08:00:00Z',
            })),
          },
        };
      }
      return { body: list };
    });
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    await screen.findByTestId('flagged-table');
    expect(screen.queryByTestId('bulk-bar')).toBeNull();
    fireEvent.click(screen.getByTestId('select-S1'));
    fireEvent.click(screen.getByTestId('select-S3'));
    expect(screen.getByTestId('bulk-bar').textContent).toContain('2 shops selected');
    fireEvent.change(screen.getByTestId('bulk-action'), { target: { value: 'exempt' } });
    fireEvent.change(screen.getByTestId('bulk-until'), { target: { value: '2026-12-31' } });
    fireEvent.change(screen.getByTestId('bulk-reason'), { target: { value: 'regional flood' } });
    fireEvent.click(screen.getByTestId('bulk-decide'));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('Exempt Dec 31, 2026 — S1, S3');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Decide for 2 shops…' }));
    await waitFor(() => expect(posts).toEqual([{ shopIds: ['S1', 'S3'], action: 'exempt', reason: 'regional flood', until: '2026-12-31' }]));
    // The selection clears once it is recorded, and the queue says how many decisions were recorded.
    await waitFor(() => expect(screen.queryByTestId('bulk-bar')).toBeNull());
    expect((await screen.findByTestId('bulk-done')).textContent).toBe('2 decisions recorded.');
  });

  it('selects every shop on the page at once', async () => {
    stubFetch((path) =>
      path === '/api/categories' ? { body: { date: '2026-11-25', categories: [] } } : { body: { total: 2, items: [shopMetrics('S1'), shopMetrics('S2')] } },
    );
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    await screen.findByTestId('flagged-table');
    fireEvent.click(screen.getByTestId('select-all'));
    expect(screen.getByTestId('bulk-bar').textContent).toContain('2 shops selected');
    expect(screen.getByTestId<HTMLInputElement>('bulk-decide').disabled).toBe(true); // no reason yet
  });
});
