// @vitest-environment jsdom
// Sign-in by link, the sign-in page, the state in the address, and the headline cards.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { captureToken, getToken, signOut } from '../../client/app/auth';
import { App, effectiveDate } from '../../client/app/App';
import { navigate, patchedUrl } from '../../client/lib/url-state';
import { HeadlineCards } from '../../client/features/seller/HeadlineCards';
import { NotEnoughData } from '../../client/features/seller/NotEnoughData';
import { DEFAULT_POLICY } from '../../client/lib/policy';
import type { ShopMetrics } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

const metrics: ShopMetrics = shopMetrics('S00141', { shopName: '杭州清风衣橱专营店' });

beforeEach(() => {
  window.localStorage.clear();
  window.history.replaceState(null, '', '/');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  signOut();
});

describe('sign-in by link', () => {
  it('takes the token from the address, keeps it, and removes it from the address', () => {
    window.history.replaceState(null, '', '/?token=abc.def.ghi&lang=en&tab=queue');
    expect(captureToken()).toBe('abc.def.ghi');
    expect(window.location.search).toBe('?lang=en&tab=queue');
    expect(window.localStorage.getItem('intervention-watch.token')).toBe('abc.def.ghi');
    // A reload (no token in the address) keeps the session.
    expect(captureToken()).toBe('abc.def.ghi');
    signOut();
    expect(getToken()).toBeNull();
    expect(window.localStorage.getItem('intervention-watch.token')).toBeNull();
  });

  it('shows the sign-in page with the commands when there is no token', () => {
    captureToken();
    renderWithClient(<App />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Sign in with your link');
    expect(screen.getByText('npm start')).not.toBeNull();
    expect(screen.getByText(/npm run token -- --role seller --shop SHOP_ID/)).not.toBeNull();
  });

  it('signs out and says why when the server rejects the token (401)', async () => {
    window.history.replaceState(null, '', '/?token=expired');
    captureToken();
    stubFetch((path) =>
      path === '/api/health'
        ? { body: { status: 'ok', dataThrough: '2026-11-25' } }
        : { status: 401, body: { error: 'unauthorized', message: 'the token has expired', requestId: 'r' } },
    );
    renderWithClient(<App />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Your sign-in link no longer works' })).not.toBeNull();
    expect(screen.getByRole('alert').textContent).toContain('the token has expired');
    expect(window.localStorage.getItem('intervention-watch.token')).toBeNull();
  });

  it('sends the token as a bearer header', async () => {
    window.history.replaceState(null, '', '/?token=tok123&lang=en');
    captureToken();
    const { fetchMock } = stubFetch((path) =>
      path === '/api/me'
        ? { body: { role: 'seller', shops: ['S00141'], subject: 'seller:S00141' } }
        : path === '/api/health'
          ? { body: { status: 'ok', dataThrough: '2026-11-25' } }
          : { status: 404, body: { error: 'not_found', message: 'x' } },
    );
    renderWithClient(<App />);
    expect((await screen.findByTestId('signed-in-as')).textContent).toContain('seller:S00141');
    const init = fetchMock.mock.calls[0][1]!;
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok123');
  });
});

describe('state in the address', () => {
  it('pushes a history entry per change, replaces on request, and drops empty values', () => {
    const before = window.history.length;
    navigate({ tab: 'queue', level: 'severe' });
    expect(window.location.search).toBe('?tab=queue&level=severe');
    expect(window.history.length).toBe(before + 1);
    navigate({ level: null, page: 2 }, { replace: true });
    expect(window.location.search).toBe('?tab=queue&page=2');
    expect(window.history.length).toBe(before + 1);
    expect(patchedUrl('?a=1&b=2', { b: '', c: 3 })).toBe('/?a=1&c=3');
  });

  it('picks the stat date: the requested one inside the data, else the latest day', () => {
    const health = { status: 'ok' as const, dataThrough: '2026-11-25', dataFrom: '2026-08-28' };
    expect(effectiveDate('2026-11-01', health)).toBe('2026-11-01');
    expect(effectiveDate(undefined, health)).toBe('2026-11-25');
    expect(effectiveDate('2027-01-01', health)).toBe('2026-11-25');
    expect(effectiveDate('2026-02-30', health)).toBe('2026-11-25');
    expect(effectiveDate('2026-01-01', health)).toBe('2026-08-28');
    expect(effectiveDate('2026-11-01', { status: 'ok', dataFrom: null, dataThrough: null })).toBeNull();
  });

  it('switches the language with the toggle and records it in the address', async () => {
    window.history.replaceState(null, '', '/?lang=en');
    captureToken();
    renderWithClient(<App />, 'en');
    const toggle = screen.getByTestId('lang-toggle');
    expect(toggle.textContent).toBe('中文');
    await act(async () => fireEvent.click(toggle));
    expect(new URLSearchParams(window.location.search).get('lang')).toBe('zh');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('请使用登录链接');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(screen.getByTestId('lang-toggle').textContent).toBe('English');
  });
});

describe('headline cards', () => {
  it('show the formatted numbers and carry the raw API values', () => {
    renderWithClient(<HeadlineCards metrics={metrics} policy={DEFAULT_POLICY} />);
    const value = (id: string) => screen.getByTestId(id);
    expect(value('headline-interventions').textContent).toBe('11');
    expect(value('headline-interventions').dataset.value).toBe('11');
    expect(value('headline-rate').textContent).toBe('10.19%');
    expect(Number(value('headline-rate').dataset.value)).toBe(metrics.rate);
    expect(value('headline-category-mean').textContent).toBe('1.54%');
    expect(value('headline-ratio').textContent).toBe('6.6×');
    expect(Number(value('headline-ratio').dataset.value)).toBe(metrics.ratio);
    expect(value('headline-level').dataset.value).toBe('severe');
    expect(within(value('headline-level')).getByText('Severe')).not.toBeNull();
    expect(value('headline-days-flagged').textContent).toBe('14');
  });

  it('show a dash and an empty raw value for an undefined rate, in Chinese', () => {
    renderWithClient(
      <HeadlineCards
        metrics={{ ...metrics, orders: 0, interventions: 0, rate: null, ratio: null, level: 'none', flagged: false, consecutiveFlaggedDays: 0 }}
        policy={DEFAULT_POLICY}
      />,
      'zh',
    );
    expect(screen.getByTestId('headline-rate').textContent).toBe('—');
    expect(screen.getByTestId('headline-rate').dataset.value).toBe('');
    expect(screen.getByText('平台介入率')).not.toBeNull();
    expect(within(screen.getByTestId('headline-level')).getByText('正常')).not.toBeNull();
  });

  it('say which floor is missing when the shop is not judged', () => {
    renderWithClient(<NotEnoughData metrics={{ ...metrics, judged: false, orders: 12, interventions: 1 }} policy={DEFAULT_POLICY} />);
    const note = screen.getByTestId('not-enough-data');
    expect(note.textContent).toContain('needs 30 orders in the window, has 12');
    expect(note.textContent).toContain('needs 3 intervention orders, has 1');
  });

  it('name only the missing floor', () => {
    renderWithClient(<NotEnoughData metrics={{ ...metrics, judged: false, orders: 240, interventions: 2 }} policy={DEFAULT_POLICY} />, 'zh');
    const note = screen.getByTestId('not-enough-data');
    expect(note.textContent).toContain('需要 3 笔介入订单，当前 2 笔');
    expect(note.textContent).not.toContain('订单，当前 240');
  });
});
