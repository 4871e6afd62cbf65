// @vitest-environment jsdom
// The decision form (reason required, exemption end date, confirmation), the policy simulator (live,
// debounced) and the trend request's fallback to the first day with data.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { DecisionForm, validateDecision } from '../../client/features/governance/DecisionForm';
import { candidateOf, draftOf, PolicySimulator } from '../../client/features/governance/PolicySimulator';
import { DEFAULT_POLICY } from '../../client/lib/policy';
import { trendQueryOptions, type Simulation } from '../../client/lib/queries';
import { renderWithClient, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('decision rules', () => {
  it('needs a reason, and an end date not before the stat date for an exemption', () => {
    expect(validateDecision({ action: 'note', reason: 'ok', until: '' }, '2026-11-25')).toEqual({ reason: 'decision.errors.reason' });
    expect(validateDecision({ action: 'exempt', reason: 'outage', until: '' }, '2026-11-25')).toEqual({ until: 'decision.errors.untilMissing' });
    expect(validateDecision({ action: 'exempt', reason: 'outage', until: '2026-11-24' }, '2026-11-25')).toEqual({ until: 'decision.errors.untilPast' });
    expect(validateDecision({ action: 'exempt', reason: 'outage', until: '2026-11-25' }, '2026-11-25')).toEqual({});
    expect(validateDecision({ action: 'confirm', reason: 'rate is real', until: '' }, '2026-11-25')).toEqual({});
  });
});

describe('DecisionForm', () => {
  it('refuses an empty reason, then confirms and posts an exemption with its end date', async () => {
    const { calls, fetchMock } = stubFetch(() => ({
      status: 201,
      body: {
        id: 1,
        shopId: 'S1',
        action: 'exempt',
        reason: 'courier strike',
        until: '2026-12-10',
        episodeStart: '2026-11-11',
        actor: 'reviewer',
        at: '2026-11-25T08:00:00Z',
      },
    }));
    renderWithClient(<DecisionForm shopId="S1" shopName="Shop One" date="2026-11-25" />);
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'exempt' } });
    fireEvent.click(screen.getByRole('button', { name: 'Record decision…' }));
    expect(screen.getByText('A reason of at least 3 characters is required.')).not.toBeNull();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('Exempt until'), { target: { value: '2026-12-10' } });
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: '  courier strike  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Record decision…' }));
    const dialog = screen.getByRole('dialog', { name: 'Confirm the decision' });
    expect(dialog.textContent).toContain('Exempt for Shop One (S1)');
    expect(dialog.textContent).toContain('until Dec 10, 2026');
    expect(calls).toHaveLength(0); // nothing is sent before the confirmation
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect((await screen.findByTestId('decision-saved')).textContent).toBe('Recorded: Exempt.');
    expect(calls[0].pathname).toBe('/api/shops/S1/decisions');
    const init = fetchMock.mock.calls[0][1]!;
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body as string)).toEqual({ action: 'exempt', reason: 'courier strike', until: '2026-12-10' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('cancels with Escape and sends nothing', () => {
    const { calls } = stubFetch(() => ({ body: {} }));
    renderWithClient(<DecisionForm shopId="S1" date="2026-11-25" />);
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'looks right' } });
    fireEvent.click(screen.getByRole('button', { name: 'Record decision…' }));
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls).toHaveLength(0);
  });
});

describe('candidate policy', () => {
  it('carries the edited numbers and keeps the rest of the active policy', () => {
    const draft = { ...draftOf(DEFAULT_POLICY), flagRatio: '4', minOrders: '50', severeAfter: '21' };
    const { policy, errors } = candidateOf(DEFAULT_POLICY, draft, 'cand');
    expect(errors).toEqual({});
    expect(policy).toMatchObject({
      version: 'cand',
      flagRatio: 4,
      floors: { minOrders: 50, minInterventions: 3 },
      windowDays: 30,
      lift: { afterUnflaggedDays: 7 },
    });
    expect(policy!.levels.map((l) => [l.level, l.afterFlaggedDays, l.restrictions.length])).toEqual([
      ['restricted', 7, 2],
      ['severe', 21, 2],
    ]);
  });

  it('names each field that is wrong', () => {
    const draft = { ...draftOf(DEFAULT_POLICY), flagRatio: '0', minOrders: '2.5', restrictedAfter: '10', severeAfter: '9', liftAfter: '' };
    const { policy, errors } = candidateOf(DEFAULT_POLICY, draft, 'cand');
    expect(policy).toBeNull();
    expect(errors).toEqual({
      flagRatio: 'simulator.errors.ratio',
      minOrders: 'simulator.errors.wholeFrom0',
      severeAfter: 'simulator.errors.severeAfterRestricted',
      liftAfter: 'simulator.errors.days',
    });
  });
});

/** A simulation answer: more warnings under a ratio below 5. */
function simulation(flagRatio: number): Simulation {
  const candidateWarnings = flagRatio < 5 ? 9 : 4;
  return {
    date: '2026-11-25',
    effectiveFrom: '2026-11-25',
    activatable: true,
    refusal: null,
    activeVersion: DEFAULT_POLICY.version,
    candidateVersion: 'x',
    categories: [
      {
        categoryId: '1001',
        categoryName: '女装',
        active: { warning: 4, restricted: 2, severe: 1 },
        candidate: { warning: candidateWarnings, restricted: 2, severe: 1 },
      },
    ],
    changes: flagRatio < 5 ? [{ shopId: 'S9', shopName: 'Nine', categoryId: '1001', from: 'none', to: 'warning', ratio: 4.2 }] : [],
    ms: 12,
  };
}
describe('PolicySimulator', () => {
  it('simulates the active values at once, then again (debounced) when the ratio changes', async () => {
    const bodies: { policy: { flagRatio: number } }[] = [];
    const { fetchMock } = stubFetch((path) => {
      if (path === '/api/policy') return { body: { active: DEFAULT_POLICY, versions: [] } };
      const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string);
      bodies.push(body);
      return { body: simulation(body.policy.flagRatio) };
    });
    renderWithClient(<PolicySimulator date="2026-11-25" canActivate={false} />);
    const table = await screen.findByTestId('simulation-table');
    const candidateWarning = () => table.querySelector('tbody td[data-level="warning"]')!.getAttribute('data-value');
    expect(candidateWarning()).toBe('4');
    expect(bodies[0].policy.flagRatio).toBe(5);
    expect(screen.queryByTestId('activate-policy')).toBeNull();

    const input = screen.getByLabelText('Flag ratio (× category mean)');
    fireEvent.change(input, { target: { value: '4.' } });
    fireEvent.change(input, { target: { value: '4' } });
    await waitFor(() => expect(candidateWarning()).toBe('9'));
    expect(bodies.map((b) => b.policy.flagRatio)).toEqual([5, 4]); // one request for the typing burst
    expect(screen.getByTestId('simulation-entering').textContent).toContain('S9');
  });

  it('does not send an invalid candidate and says what to fix', async () => {
    const { calls } = stubFetch((path) => (path === '/api/policy' ? { body: { active: DEFAULT_POLICY, versions: [] } } : { body: simulation(5) }));
    renderWithClient(<PolicySimulator date="2026-11-25" canActivate />);
    await screen.findByTestId('simulation-table');
    fireEvent.change(screen.getByLabelText('Severe after (flagged days)'), { target: { value: '3' } });
    expect(await screen.findByText('Must be at least the restricted run length.')).not.toBeNull();
    expect(await screen.findByText('Fix the fields marked above to simulate.')).not.toBeNull();
    expect(calls.filter((u) => u.pathname === '/api/policy/simulate')).toHaveLength(1);
    expect(screen.getByTestId<HTMLButtonElement>('activate-policy').disabled).toBe(true);
  });
});

describe('PolicySimulator activation', () => {
  it('shows the day the candidate takes effect, names it in the confirmation and activates exactly what was simulated', async () => {
    const posts: { path: string; body: Record<string, unknown> }[] = [];
    const { fetchMock } = stubFetch((path) => {
      if (path === '/api/policy') return { body: { active: DEFAULT_POLICY, versions: [] } };
      const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string);
      posts.push({ path, body });
      if (path === '/api/policy/activate')
        return { status: 201, body: { version: body.policy.version, effectiveFrom: body.effectiveFrom ?? null, changed: ['flagRatio'] } };
      return { body: { ...simulation(body.policy.flagRatio), effectiveFrom: body.effectiveFrom ?? '2026-11-25' } };
    });
    renderWithClient(<PolicySimulator date="2026-11-25" canActivate />);
    expect((await screen.findByTestId('simulation-effective-from')).textContent).toBe(
      'The candidate applies from Nov 25, 2026; the days before keep the version in force then.',
    );
    fireEvent.change(screen.getByLabelText('Takes effect from'), { target: { value: '2026-11-20' } });
    await waitFor(() => expect(screen.getByTestId('simulation-effective-from').textContent).toContain('Nov 20, 2026'));
    expect(posts.at(-1)).toEqual({
      path: '/api/policy/simulate',
      body: { policy: expect.objectContaining({ flagRatio: 5 }), date: '2026-11-25', effectiveFrom: '2026-11-20' },
    });
    fireEvent.change(screen.getByLabelText('New version name'), { target: { value: 'v2-from-20' } });
    await waitFor(() => expect(screen.getByTestId<HTMLButtonElement>('activate-policy').disabled).toBe(false));
    fireEvent.click(screen.getByTestId('activate-policy'));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('confirm-effective-from').textContent).toContain('from Nov 20, 2026 on, exactly as simulated');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Activate' }));
    // Activation refreshes every query afterwards (the simulation too), so look for its request.
    await waitFor(() => expect(posts.filter((p) => p.path === '/api/policy/activate')).toHaveLength(1));
    expect(posts.find((p) => p.path === '/api/policy/activate')!.body).toEqual({
      policy: expect.objectContaining({ version: 'v2-from-20', flagRatio: 5 }),
      effectiveFrom: '2026-11-20',
      date: '2026-11-25',
    });
    expect(await screen.findByText('Version v2-from-20 is active from Nov 20, 2026.')).not.toBeNull();
  });

  it('keeps a candidate that cannot be activated from being activated, and says why', async () => {
    stubFetch((path) =>
      path === '/api/policy'
        ? { body: { active: DEFAULT_POLICY, versions: [] } }
        : { body: { ...simulation(5), effectiveFrom: null, activatable: false, refusal: 'policy.windowDays: windowDays cannot change from a day on' } },
    );
    renderWithClient(<PolicySimulator date="2026-11-25" canActivate />);
    expect((await screen.findByTestId('simulation-refusal')).textContent).toBe(
      'Cannot be activated as it is: policy.windowDays: windowDays cannot change from a day on',
    );
    fireEvent.change(screen.getByLabelText('New version name'), { target: { value: 'v3' } });
    expect(screen.getByTestId<HTMLButtonElement>('activate-policy').disabled).toBe(true);
  });
});

describe('trend request', () => {
  it('repeats from the first day with data when the range reaches before it', async () => {
    const { calls } = stubFetch((_path, url) =>
      url.searchParams.get('from') === '2026-05-30'
        ? { status: 400, body: { error: 'bad_request', message: 'from: 2026-05-30 is outside the data (2026-08-28 … 2026-11-25)' } }
        : { body: { shopId: 'S1', from: url.searchParams.get('from'), to: '2026-11-25', flagRatio: 5, points: [] } },
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const trend = await client.fetchQuery(trendQueryOptions('S1', '2026-05-30', '2026-11-25'));
    expect(trend.from).toBe('2026-08-28');
    expect(calls.map((u) => u.searchParams.get('from'))).toEqual(['2026-05-30', '2026-08-28']);
  });

  it('passes other errors on', async () => {
    stubFetch(() => ({ status: 400, body: { error: 'bad_request', message: 'to: 2027-01-01 is outside the data (2026-08-28 … 2026-11-25)' } }));
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    await expect(client.fetchQuery(trendQueryOptions('S1', '2026-09-01', '2027-01-01'))).rejects.toThrow(/to: 2027-01-01/);
  });
});
