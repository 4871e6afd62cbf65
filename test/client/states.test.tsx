// @vitest-environment jsdom
// Loading, empty and error (with retry) states of the data components, driven through a stubbed fetch.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { QueryState } from '../../client/lib/components/QueryState';
import { CasesTable } from '../../client/features/seller/CasesTable';
import { FlaggedQueue } from '../../client/features/governance/FlaggedQueue';
import { AuditTable } from '../../client/features/governance/AuditLog';
import type { Cases, FlaggedList, ShopMetrics } from '../../client/lib/queries';
import { useQuery } from '@tanstack/react-query';
import { deferred, renderWithClient, SERVER_ERROR, stubFetch, type StubResponse, shopMetrics } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const window30 = { from: '2026-10-27', to: '2026-11-25' };

function caseRow(id: string, overrides: Partial<Cases['cases'][number]> = {}): Cases['cases'][number] {
  return {
    caseId: id,
    orderId: `O-${id}`,
    kind: 'intervention',
    reason: '质量问题',
    openedAt: '2026-11-01T10:00:00+08:00',
    openedDay: '2026-11-01',
    status: 'closed',
    outcome: 'seller_responsible',
    excluded: false,
    exclusionReason: null,
    counted: true,
    leavesWindowOn: '2026-12-01',
    orderKnown: true,
    paidDay: '2026-10-30',
    countsOn: '2026-11-01',
    notCountedBecause: null,
    ...overrides,
  };
}

function shop(id: string, overrides: Partial<ShopMetrics> = {}): ShopMetrics {
  return shopMetrics(id, { window: window30, ...overrides });
}

describe('QueryState', () => {
  function Probe({ fetcher }: { fetcher: () => Promise<string[]> }) {
    const query = useQuery({ queryKey: ['probe'], queryFn: fetcher });
    return (
      <QueryState query={query} isEmpty={(items) => items.length === 0} empty="Nothing here">
        {(items) => (
          <ul>
            {items.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        )}
      </QueryState>
    );
  }

  it('shows loading, then the data', async () => {
    const held = deferred<string[]>();
    renderWithClient(<Probe fetcher={() => held.promise} />);
    expect(screen.getByRole('status').textContent).toContain('Loading…');
    await act(async () => held.resolve(['a', 'b']));
    expect((await screen.findAllByRole('listitem')).map((li) => li.textContent)).toEqual(['a', 'b']);
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('shows the empty text when the data holds nothing', async () => {
    renderWithClient(<Probe fetcher={async () => []} />);
    expect(await screen.findByText('Nothing here')).not.toBeNull();
    expect(screen.queryByRole('listitem')).toBeNull();
  });

  it('shows the error with a retry button that fetches again', async () => {
    let attempt = 0;
    renderWithClient(
      <Probe
        fetcher={async () => {
          attempt += 1;
          if (attempt === 1) throw new Error('boom');
          return ['second try'];
        }}
      />,
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('boom');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('second try')).not.toBeNull();
    expect(attempt).toBe(2);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('CasesTable (seller)', () => {
  it('shows loading while the request runs, then the counted cases soonest to leave first', async () => {
    const held = deferred<StubResponse>();
    const { calls } = stubFetch(() => held.promise);
    renderWithClient(<CasesTable shopId="S1" date="2026-11-25" />);
    expect(screen.getByRole('status').textContent).toContain('Loading…');
    expect(calls[0].pathname).toBe('/api/shops/S1/cases');
    expect(calls[0].searchParams.get('date')).toBe('2026-11-25');
    await act(async () =>
      held.resolve({
        body: {
          shopId: 'S1',
          date: '2026-11-25',
          window: window30,
          cases: [
            caseRow('C2', { leavesWindowOn: '2026-12-05' }),
            caseRow('C1', { leavesWindowOn: '2026-11-28' }),
            caseRow('C3', { kind: 'complaint', counted: false }),
            caseRow('C4', { excluded: true, counted: false, exclusionReason: 'platform fault' }),
          ],
        },
      }),
    );
    const table = await screen.findByTestId('cases-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => (row as HTMLTableRowElement).cells[0].textContent)).toEqual(['C1', 'C2']);
    expect(rows[0].textContent).toContain('Nov 28, 2026');
    expect(screen.getByText('2 counted of 4 cases opened Oct 27, 2026 – Nov 25, 2026.')).not.toBeNull();
    // The toggle shows the complaint and the excluded case with its reason.
    fireEvent.click(screen.getByLabelText('Also show complaints and cases not counted'));
    expect(within(table).getAllByRole('row')).toHaveLength(5);
    expect(within(table).getByText('Excluded: platform fault')).not.toBeNull();
  });

  it('shows the empty state when the window has no cases', async () => {
    stubFetch(() => ({ body: { shopId: 'S1', date: '2026-11-25', window: window30, cases: [] } }));
    renderWithClient(<CasesTable shopId="S1" date="2026-11-25" />);
    expect(await screen.findByText('No cases in the window.')).not.toBeNull();
    expect(screen.queryByTestId('cases-table')).toBeNull();
  });

  it('shows the server’s error and the request id, and retries', async () => {
    let attempt = 0;
    stubFetch(() => {
      attempt += 1;
      return attempt === 1 ? SERVER_ERROR : { body: { shopId: 'S1', date: '2026-11-25', window: window30, cases: [caseRow('C9')] } };
    });
    renderWithClient(<CasesTable shopId="S1" date="2026-11-25" />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This could not be loaded.');
    expect(alert.textContent).toContain('request id req-1');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('C9')).not.toBeNull();
    expect(attempt).toBe(2);
  });

  it('says "forbidden" in Chinese for a 403', async () => {
    stubFetch(() => ({ status: 403, body: { error: 'forbidden', message: 'this token may not read shop S2' } }));
    renderWithClient(<CasesTable shopId="S2" date="2026-11-25" />, 'zh');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('无权查看。');
    expect(alert.textContent).toContain('this token may not read shop S2');
  });
});

describe('FlaggedQueue (governance)', () => {
  const categories = { date: '2026-11-25', categories: [] };
  function route(flagged: () => StubResponse | Promise<StubResponse>) {
    return stubFetch((path) => (path === '/api/categories' ? { body: categories } : flagged()));
  }

  it('shows loading, then one row per shop with formatted numbers', async () => {
    const held = deferred<StubResponse>();
    const { calls } = route(() => held.promise);
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    expect(screen.getByRole('status').textContent).toContain('Loading…');
    const request = calls.find((u) => u.pathname === '/api/queue')!;
    expect(Object.fromEntries(request.searchParams)).toEqual({ date: '2026-11-25', format: 'json', limit: '25', offset: '0', order: 'desc', sort: 'level' });
    const list: FlaggedList = { total: 2, items: [shop('S00141'), shop('S00177', { ratio: 4.996399123264795, level: 'restricted', flagged: false })] };
    await act(async () => held.resolve({ body: list }));
    const table = await screen.findByTestId('flagged-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('6.6×');
    expect(rows[0].textContent).toContain('10.19%');
    expect(rows[1].textContent).toContain('4.9×');
    expect(within(rows[1]).getByText('Restricted')).not.toBeNull();
    expect(screen.getByTestId('pager-status').textContent).toContain('1–2 of 2');
  });

  it('shows the empty state when no shop is at a level', async () => {
    route(() => ({ body: { total: 0, items: [] } }));
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    expect(await screen.findByText('No shop is at a level on Nov 25, 2026 with these filters.')).not.toBeNull();
    expect(screen.queryByTestId('flagged-table')).toBeNull();
  });

  it('shows the error with a retry that loads the queue', async () => {
    let attempt = 0;
    route(() => {
      attempt += 1;
      return attempt === 1 ? SERVER_ERROR : { body: { total: 1, items: [shop('S00141')] } };
    });
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    const alert = await screen.findByRole('alert');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('flagged-table')).not.toBeNull();
    expect(attempt).toBe(2);
  });

  it('puts a sort and a filter in the address and asks the server for them', async () => {
    const { calls } = route(() => ({ body: { total: 1, items: [shop('S00141')] } }));
    renderWithClient(<FlaggedQueue date="2026-11-25" />);
    await screen.findByTestId('flagged-table');
    fireEvent.click(screen.getByRole('button', { name: /Ratio to mean/ }));
    expect(new URLSearchParams(window.location.search).get('sort')).toBe('ratio');
    await waitFor(() => expect(calls.some((u) => u.pathname === '/api/queue' && u.searchParams.get('sort') === 'ratio')).toBe(true));
    expect(screen.getByRole('columnheader', { name: /Ratio to mean/ }).getAttribute('aria-sort')).toBe('descending');
    fireEvent.change(screen.getByLabelText('Level'), { target: { value: 'severe' } });
    expect(new URLSearchParams(window.location.search).get('level')).toBe('severe');
    await waitFor(() => expect(calls.some((u) => u.pathname === '/api/queue' && u.searchParams.get('level') === 'severe')).toBe(true));
  });
});

describe('AuditTable (governance)', () => {
  it('shows the empty state and then the entries with their reason', async () => {
    stubFetch(() => ({ body: { total: 0, items: [] } }));
    const { unmount } = renderWithClient(<AuditTable params={{ shopId: 'S1', limit: 20, offset: 0 }} />);
    expect(await screen.findByText('No audit entries.')).not.toBeNull();
    unmount();
    stubFetch(() => ({
      body: {
        total: 1,
        items: [
          {
            id: 7,
            at: '2026-11-25T08:00:00Z',
            actor: 'reviewer',
            role: 'reviewer',
            action: 'decision.exempt',
            shopId: 'S1',
            details: { reason: 'seasonal spike', until: '2026-12-10' },
          },
        ],
      },
    }));
    renderWithClient(<AuditTable params={{ shopId: 'S1', limit: 20, offset: 0 }} />);
    const table = await screen.findByTestId('audit-table');
    expect(within(table).getByText('seasonal spike')).not.toBeNull();
    expect(within(table).getByText('Decision: exempted')).not.toBeNull();
  });
});
