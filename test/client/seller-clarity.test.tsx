// @vitest-environment jsdom
// Issue 11 "Nobody is misled", the seller-facing items, in jsdom: the forecast's sentences (no placeholder
// numbers, one thing each), when restrictions return, the appeal's outcome, the cases that add up, a date
// outside the data corrected in the page and the address, the trend's shorter range and incomplete
// windows, the sign-in page and the expiry warning — in English and Chinese where there is text.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { App, dateCorrection } from '../../client/app/App';
import { captureToken, signOut, tokenExpiresAt } from '../../client/app/auth';
import { SignInPage } from '../../client/app/SignInPage';
import { ExpiryBanner } from '../../client/app/ExpiryBanner';
import { ForecastChart } from '../../client/features/seller/ForecastChart';
import { RestrictionsPanel } from '../../client/features/seller/RestrictionsPanel';
import { AppealPanel, appealEffect } from '../../client/features/seller/AppealPanel';
import { CasesTable, summarize } from '../../client/features/seller/CasesTable';
import { TrendChart } from '../../client/features/seller/TrendChart';
import { HeadlineCards } from '../../client/features/seller/HeadlineCards';
import { DEFAULT_POLICY } from '../../client/lib/policy';
import { formatRatio } from '../../client/lib/format';
import type { Appeal, Cases, Forecast, History, Trend } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

beforeEach(() => {
  window.localStorage.clear();
  window.history.replaceState(null, '', '/');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  signOut();
});

/** A token with the given claims (unsigned: the client only reads them for display and the expiry). */
function token(claims: Record<string, unknown>): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.sig`;
}

function forecast(overrides: Partial<Forecast> = {}): Forecast {
  return {
    shopId: 'S1',
    date: '2026-11-25',
    assumptions: { dailyOrders: 3.6, newInterventions: 0 },
    belowThresholdOn: null,
    liftOn: null,
    headroom7d: null,
    headroomUnbounded: false,
    horizonDays: 44,
    flaggedToday: false,
    returns: null,
    returnsIfLifted: null,
    points: [
      { date: '2026-11-26', orders: 100, interventions: 2, rate: 0.02, threshold: 0.1, flagged: false, level: 'none', policyVersion: '2026.11-default' },
    ],
    categoryComparable: true,
    minPeerShops: 5,
    ...overrides,
  };
}

describe('forecast sentences (item 5)', () => {
  it('an unbounded headroom is said in words, never as a number like 1048575', async () => {
    stubFetch(() => ({ body: forecast({ headroomUnbounded: true }) }));
    renderWithClient(<ForecastChart shopId="S1" date="2026-11-25" />);
    const headroom = await screen.findByTestId('forecast-headroom');
    expect(headroom.textContent).toContain('No number of new intervention orders in the next 7 days would flag the shop');
    expect(screen.getByTestId('forecast-facts').textContent).not.toMatch(/\d{6,}/);
    // Not flagged: one sentence that says only that.
    expect(screen.getByTestId('forecast-below').textContent).toBe('Not flagged on this day.');
  });

  it('a flagged shop that stays over says so for the days projected (zh)', async () => {
    stubFetch(() => ({ body: forecast({ flaggedToday: true, headroom7d: null }) }));
    renderWithClient(<ForecastChart shopId="S1" date="2026-11-25" />, 'zh');
    expect((await screen.findByTestId('forecast-below')).textContent).toBe('按当前情况，未来 44 天内仍高于超标线。');
    expect(screen.getByTestId('forecast-headroom').textContent).toBe('即使没有新增介入订单，未来 7 天仍会超标。');
  });

  it('a number of new intervention orders when there is one', async () => {
    stubFetch(() => ({ body: forecast({ headroom7d: 3 }) }));
    renderWithClient(<ForecastChart shopId="S1" date="2026-11-25" />);
    expect((await screen.findByTestId('forecast-headroom')).textContent).toBe(
      'The next 7 days can take at most 3 new intervention orders without being flagged.',
    );
  });
});

describe('restrictions return (item 2)', () => {
  it('after an early lift, with no restriction in force: when they come back, in date order (en and zh)', async () => {
    const metrics = shopMetrics('S1', { restrictions: [], level: 'warning', flagged: true });
    stubFetch(() => ({ body: forecast({ flaggedToday: true, returns: { restrictedOn: '2026-12-06', severeOn: '2026-12-13' } }) }));
    const { unmount } = renderWithClient(<RestrictionsPanel metrics={metrics} policy={DEFAULT_POLICY} />);
    const lines = await screen.findByTestId('returns');
    expect(lines.textContent).toContain('Restricted again on Dec 6, 2026');
    expect(lines.textContent).toContain('Severe on Dec 13, 2026');
    expect(screen.getByTestId('returns-notice').textContent).toContain('The shop is still flagged');
    expect(screen.getByTestId('returns-notice').textContent).toContain('Unless the intervention rate falls under the threshold');
    unmount();
    renderWithClient(<RestrictionsPanel metrics={metrics} policy={DEFAULT_POLICY} />, 'zh');
    expect((await screen.findByTestId('returns')).textContent).toContain('2026年12月6日 再次受限');
  });

  it('under an exemption: severe first when it comes first', async () => {
    const metrics = shopMetrics('S1', {
      restrictions: [{ code: 'remove_resource_slots', since: '2026-11-17', exemptUntil: '2026-11-30' }],
      level: 'restricted',
    });
    stubFetch(() => ({ body: forecast({ flaggedToday: true, returns: { restrictedOn: '2026-12-01', severeOn: '2026-11-24' } }) }));
    renderWithClient(<RestrictionsPanel metrics={metrics} policy={DEFAULT_POLICY} />);
    const items = within(await screen.findByTestId('returns')).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      'Severe on Nov 24, 2026: ads removed and no new listings as well.',
      'Restricted again on Dec 1, 2026: removed from and barred from promotion slots.',
    ]);
  });
});

function appeal(overrides: Partial<Appeal> = {}): Appeal {
  return {
    id: 7,
    shopId: 'S1',
    episodeStart: '2026-11-03',
    level: 'severe',
    text: 'The cases came from a courier strike.',
    state: 'accepted',
    createdBy: 'seller:S1',
    createdAt: '2026-11-20T02:00:00Z',
    answeredBy: 'reviewer:zhao',
    answeredAt: '2026-11-21T03:00:00Z',
    answerReason: 'Courier strike confirmed',
    ...overrides,
  };
}

function history(overrides: Partial<History> = {}): History {
  return {
    shopId: 'S1',
    periods: [],
    episodes: [
      {
        level: 'restricted',
        codes: [],
        start: '2026-11-03',
        end: '2026-11-20',
        orders: 100,
        interventions: 10,
        rate: 0.1,
        categoryMean: 0.01,
        ratio: 10,
        flaggedDays: 7,
        policyVersion: 'v',
      },
    ],
    decisions: [],
    ...overrides,
  };
}

describe('the appeal outcome (item 2)', () => {
  it('accepted and lifted: who, when, why and the day it lifted', async () => {
    const lifted = history({
      decisions: [
        {
          id: 1,
          shopId: 'S1',
          action: 'lift_early',
          reason: 'appeal 7 accepted: Courier strike confirmed',
          until: null,
          episodeStart: '2026-11-03',
          actor: 'reviewer:zhao',
          at: '',
        },
      ],
    });
    stubFetch((path) => (path === '/api/appeals' ? { body: { items: [appeal()] } } : { body: lifted }));
    renderWithClient(<AppealPanel shopId="S1" canFile={false} />);
    const item = await screen.findByTestId('appeal-item');
    expect(item.textContent).toContain('Accepted by reviewer:zhao on');
    expect(item.textContent).toContain('Reason: Courier strike confirmed');
    expect((await within(item).findByTestId('appeal-effect')).textContent).toBe('The restrictions of this episode were lifted on Nov 20, 2026.');
  });

  it('accepted after its episode had ended: lifted nothing, said plainly (zh)', async () => {
    stubFetch((path) => (path === '/api/appeals' ? { body: { items: [appeal()] } } : { body: history() }));
    renderWithClient(<AppealPanel shopId="S1" canFile={false} />, 'zh');
    const item = await screen.findByTestId('appeal-item');
    expect((await within(item).findByTestId('appeal-effect')).textContent).toBe('该限制在答复之前已于 2026年11月20日 结束：通过该申诉没有解除任何限制。');
    expect(appealEffect(appeal(), history()).kind).toBe('nothing');
  });

  it('rejected: who, when, why, and that the restrictions stay; the history stays after the restrictions are gone', async () => {
    stubFetch(() => ({ body: { items: [appeal({ state: 'rejected', answerReason: 'Cases were the seller’s' })] } }));
    renderWithClient(<AppealPanel shopId="S1" canFile={false} />);
    const item = await screen.findByTestId('appeal-item');
    expect(item.textContent).toContain('Rejected by reviewer:zhao on');
    expect(item.textContent).toContain('Reason: Cases were the seller’s');
    expect(item.textContent).toContain('The restrictions stay as they are.');
  });
});

function caseRow(id: string, overrides: Partial<Cases['cases'][number]> = {}): Cases['cases'][number] {
  return {
    caseId: id,
    orderId: `O-${id}`,
    kind: 'intervention',
    reason: 'quality',
    openedAt: '2026-11-01T10:00:00Z',
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

describe('the cases table (item 4)', () => {
  const cases: Cases = {
    shopId: 'S1',
    date: '2026-11-25',
    window: { from: '2026-10-27', to: '2026-11-25' },
    countBasis: 'case_opened',
    cases: [
      caseRow('C1'),
      caseRow('C2', { orderId: 'O-C1', openedDay: '2026-11-05', status: 'open', outcome: null }), // same order: counts once
      caseRow('C3', { outcome: 'withdrawn', reason: 'not_received' }),
      caseRow('C4', { kind: 'complaint', reason: 'not_received' }),
      caseRow('C5', { excluded: true, counted: false, exclusionReason: 'force_majeure', notCountedBecause: 'excluded' }),
    ],
  };

  it('adds up: distinct intervention orders = the headline, cases by kind, not counted with why', async () => {
    expect(summarize(cases.cases)).toEqual({
      interventionOrders: 2,
      interventionCases: 3,
      complaintOrders: 1,
      complaintCases: 1,
      excluded: 1,
      orderMissing: 0,
    });
    stubFetch(() => ({ body: cases }));
    renderWithClient(<CasesTable shopId="S1" date="2026-11-25" headline={2} />);
    const summary = await screen.findByTestId('cases-summary');
    expect(summary.getAttribute('data-intervention-orders')).toBe('2');
    expect(screen.getByTestId('cases-matches-headline').textContent).toContain('= the headline');
    expect(summary.textContent).toContain('from 3 cases');
    const help = screen.getByTestId('cases-help').textContent;
    expect(help).toContain('whatever its status (open or closed) and outcome (seller responsible, buyer responsible, withdrawn');
    expect(help).toContain('Complaints are counted separately and never enter the intervention rate.');
    const table = screen.getByTestId('cases-table');
    expect(within(table).getByText('same order as C1: counted once', { exact: false })).not.toBeNull();
    expect(within(table).getAllByText('Yes: in the rate').length).toBe(3);
    fireEvent.click(screen.getByTestId('cases-show-all'));
    expect(within(screen.getByTestId('cases-table')).getByText('Yes: in the complaints (not the rate)')).not.toBeNull();
  });

  it('filters by kind, by counted and by reason, in the address', async () => {
    stubFetch(() => ({ body: cases }));
    renderWithClient(<CasesTable shopId="S1" date="2026-11-25" headline={2} />);
    const table = await screen.findByTestId('cases-table');
    const ids = () =>
      within(screen.getByTestId('cases-table'))
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.getAttribute('data-case-id'));
    // By default: the counted intervention cases.
    expect(ids().sort()).toEqual(['C1', 'C2', 'C3']);
    fireEvent.click(screen.getByTestId('cases-show-all'));
    expect(ids().sort()).toEqual(['C1', 'C2', 'C3', 'C4', 'C5']);
    fireEvent.click(screen.getByTestId('cases-show-all'));
    fireEvent.change(screen.getByTestId('cases-filter-counted'), { target: { value: 'no' } });
    expect(ids()).toEqual(['C5']);
    expect(within(screen.getByTestId('cases-table')).getByText('Excluded: Force majeure')).not.toBeNull();
    expect(window.location.search).toContain('caseCounted=no');
    fireEvent.change(screen.getByTestId('cases-filter-counted'), { target: { value: 'all' } });
    fireEvent.change(screen.getByTestId('cases-filter-kind'), { target: { value: 'complaint' } });
    expect(ids()).toEqual(['C4']);
    fireEvent.change(screen.getByTestId('cases-filter-kind'), { target: { value: 'all' } });
    fireEvent.change(screen.getByTestId('cases-filter-reason'), { target: { value: 'not_received' } });
    expect(ids().sort()).toEqual(['C3', 'C4']);
    expect(table).not.toBeNull();
  });

  it('in Chinese', async () => {
    stubFetch(() => ({ body: cases }));
    renderWithClient(<CasesTable shopId="S1" date="2026-11-25" headline={3} />, 'zh');
    expect((await screen.findByTestId('cases-matches-headline')).textContent).toContain('核心指标为 3');
    expect(screen.getByTestId('cases-help').textContent).toContain('投诉单独统计，从不计入介入率。');
  });
});

describe('category names and no jargon (item 11)', () => {
  it('a ratio near the threshold gets a second decimal, so it agrees with the rate and mean beside it', () => {
    // Rate 7.69 %, mean 1.54 % (as shown) divide to 4.99…: "4.9×" would disagree, "5.0×" would claim the threshold.
    expect(formatRatio(4.996, 'en', 5)).toBe('4.99×');
    expect(formatRatio(5.04, 'zh', 5)).toBe('5.04×');
    expect(formatRatio(5, 'en', 5)).toBe('5.00×');
    expect(formatRatio(6.619, 'en', 5)).toBe('6.6×');
    expect(formatRatio(4.996, 'en')).toBe('4.9×');
  });

  it('the headline names the category and explains the mean instead of "pooled"', () => {
    renderWithClient(<HeadlineCards metrics={shopMetrics('S1', { categoryName: '生鲜水果' })} policy={DEFAULT_POLICY} />);
    const note = screen.getByTestId('headline-category-mean').parentElement!.textContent;
    expect(note).toContain('生鲜水果: all its shops’ intervention orders over all their orders');
    expect(note).not.toContain('pooled');
    expect(note).not.toContain('1001');
  });
});

describe('dates (item 12)', () => {
  const health = { status: 'ok' as const, dataFrom: '2026-08-28', dataThrough: '2026-11-25' };

  it('a date outside the data is corrected: what was asked, what is shown', () => {
    expect(dateCorrection('2027-01-01', health)).toEqual({ requested: '2027-01-01', shown: '2026-11-25' });
    expect(dateCorrection('2026-01-01', health)).toEqual({ requested: '2026-01-01', shown: '2026-08-28' });
    expect(dateCorrection('nonsense', health)).toEqual({ requested: 'nonsense', shown: '2026-11-25' });
    expect(dateCorrection('2026-11-01', health)).toBeNull();
    expect(dateCorrection(undefined, health)).toBeNull();
  });

  for (const lang of ['en', 'zh'] as const) {
    it(`the page says so and the address is corrected (${lang})`, async () => {
      window.history.replaceState(null, '', `/?token=${token({ role: 'seller', shops: ['S1'], exp: 9_999_999_999 })}&lang=${lang}&date=2026-01-01`);
      captureToken();
      stubFetch((path) =>
        path === '/api/health'
          ? { body: health }
          : path === '/api/me'
            ? { body: { role: 'seller', shops: ['S1'], subject: 'seller:S1' } }
            : { status: 404, body: { error: 'not_found', message: 'x' } },
      );
      renderWithClient(<App />, lang);
      const notice = await screen.findByTestId('date-corrected');
      expect(notice.textContent).toContain(lang === 'en' ? 'There is no data for Jan 1, 2026' : '2026年1月1日 没有数据');
      expect(notice.textContent).toContain(lang === 'en' ? 'Showing Aug 28, 2026 instead' : '现显示 2026年8月28日');
      expect(new URLSearchParams(window.location.search).get('date')).toBe('2026-08-28');
    });
  }
});

describe('the trend range (item 12)', () => {
  function trend(from: string, days: number): Trend {
    const points = Array.from({ length: days }, (_, i) => {
      const date = new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
      return {
        date,
        orders: 100,
        interventions: 2,
        complaints: 0,
        rate: 0.02,
        categoryMean: 0.01,
        threshold: 0.05,
        ratio: 2,
        judged: true,
        flagged: false,
        level: 'none' as const,
      };
    });
    return { shopId: 'S1', from, to: points[points.length - 1].date, flagRatio: 5, points, categoryComparable: true, minPeerShops: 5 };
  }

  it('180 days asked, 60 days of data: says it shows fewer, and marks the days before the first complete window', async () => {
    window.history.replaceState(null, '', '/?range=180');
    const { calls } = stubFetch(() => ({ body: trend('2026-09-27', 60) }));
    renderWithClient(<TrendChart shopId="S1" date="2026-11-25" dataFrom="2026-09-27" />);
    expect((await screen.findByTestId('trend-fewer-days')).textContent).toBe('Showing 60 days, not 180: the data starts on Sep 27, 2026.');
    expect(screen.getByTestId('trend-incomplete').textContent).toContain('Before Oct 26, 2026 the 30-day window reaches back before the data’s first day');
    expect(calls.find((c) => c.pathname.endsWith('/trend'))!.searchParams.get('from')).toBe('2026-09-27');
  });

  it('in Chinese; and nothing is said when the range is whole', async () => {
    window.history.replaceState(null, '', '/?range=180');
    stubFetch(() => ({ body: trend('2026-09-27', 60) }));
    const { unmount } = renderWithClient(<TrendChart shopId="S1" date="2026-11-25" dataFrom="2026-09-27" />, 'zh');
    expect((await screen.findByTestId('trend-fewer-days')).textContent).toBe('显示 60 天，而非 180 天：数据从 2026年9月27日 开始。');
    unmount();
    window.history.replaceState(null, '', '/?range=30');
    stubFetch(() => ({ body: trend('2026-10-27', 30) }));
    renderWithClient(<TrendChart shopId="S1" date="2026-11-25" dataFrom="2026-01-01" />);
    await screen.findByTestId('trend-chart');
    expect(screen.queryByTestId('trend-fewer-days')).toBeNull();
    expect(screen.queryByTestId('trend-incomplete')).toBeNull();
  });
});

describe('sign-in (item 7)', () => {
  it('an expired link: what happened and what to do, for the user; the commands folded away (en, zh)', () => {
    const { unmount } = renderWithClient(<SignInPage reason="expired" message="the token has expired" />);
    expect(screen.getByTestId('signin-what').textContent).toContain('Your sign-in has expired');
    expect(screen.getByTestId('signin-todo').textContent).toContain('Ask the person who sent you the link');
    expect(screen.getByText('For whoever runs the server: how to make a sign-in link').closest('details')!.open).toBe(false);
    unmount();
    renderWithClient(<SignInPage reason="rejected" message="the token is not valid" />, 'zh');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('登录链接已失效');
    expect(screen.getByTestId('signin-todo').textContent).toContain('请从原消息中重新打开完整链接');
  });

  it('a 401 for a token whose time has passed is "expired"; another 401 is "rejected"', () => {
    window.history.replaceState(null, '', `/?token=${token({ role: 'seller', shops: ['S1'], exp: 1000 })}`);
    captureToken();
    expect(tokenExpiresAt(token({ exp: 1000 }))).toBe(1_000_000);
    signOut('the token is not valid');
    renderWithClient(<App />);
    expect(screen.getByTestId('signin-page').getAttribute('data-reason')).toBe('expired');
    cleanup();
    window.history.replaceState(null, '', `/?token=${token({ role: 'seller', shops: ['S1'], exp: 9_999_999_999 })}`);
    captureToken();
    signOut('the token is not valid');
    renderWithClient(<App />);
    expect(screen.getByTestId('signin-page').getAttribute('data-reason')).toBe('rejected');
  });

  it('warns 10 minutes before the end, counts down, and signs out with "expired" at the end (en, zh)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const now = Date.parse('2026-11-30T08:00:00Z');
    vi.setSystemTime(now);
    const t = token({ role: 'seller', shops: ['S1'], exp: now / 1000 + 15 * 60 });
    window.history.replaceState(null, '', `/?token=${t}`);
    captureToken();
    const { unmount } = renderWithClient(<ExpiryBanner token={t} />);
    expect(screen.queryByTestId('expiry-banner')).toBeNull();
    await act(async () => vi.advanceTimersByTimeAsync(5 * 60_000 + 1));
    expect(screen.getByTestId('expiry-banner').textContent).toContain('Your sign-in ends in 10 minutes');
    // The banner wakes every 15 s (each wake schedules the next after React renders).
    for (let i = 0; i < 36; i++) await act(async () => vi.advanceTimersByTimeAsync(15_000));
    expect(screen.getByTestId('expiry-banner').textContent).toContain('Your sign-in ends in 1 minute ');
    unmount();
    renderWithClient(<ExpiryBanner token={t} />, 'zh');
    expect(screen.getByTestId('expiry-banner').textContent).toContain('您的登录将在 1 分钟后');
    for (let i = 0; i < 5; i++) await act(async () => vi.advanceTimersByTimeAsync(15_000));
    cleanup();
    renderWithClient(<App />);
    expect(screen.getByTestId('signin-page').getAttribute('data-reason')).toBe('expired');
  });
});
