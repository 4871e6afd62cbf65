// @vitest-environment jsdom
// Issue 13: the seller's alerts — subscribe a webhook for the shop (format explained, events in plain words,
// the server's refusals shown under the field they name, a made secret shown once), the shop's subscriptions
// (masked URL, delete after a confirmation) and each one's delivery log on demand, in English and Chinese.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { AlertsPanel, fieldErrors } from '../../client/features/seller/AlertsPanel';
import type { Delivery, Subscription } from '../../client/lib/queries';
import { renderWithClient } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: 1,
    shopId: 'S1',
    url: 'https://hooks.example.com/alerts?token=***',
    format: 'json',
    events: ['level.changed', 'restriction.lifted'],
    horizonDays: 7,
    hasSecret: true,
    createdBy: 'seller-1',
    createdAt: '2026-11-25T08:00:00Z',
    active: true,
    ...overrides,
  };
}

const delivered: Delivery = {
  id: 5,
  eventId: 3,
  event: 'level.changed',
  shopId: 'S1',
  date: '2026-11-25',
  status: 'delivered',
  attempts: 1,
  nextAttemptAt: null,
  lastAttemptAt: '2026-11-25T09:00:00Z',
  lastStatus: 200,
  lastError: null,
  deliveredAt: '2026-11-25T09:00:00Z',
  createdAt: '2026-11-25T08:59:00Z',
  payload: {},
};

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** A fetch stub that sees the method and the body. */
function stubApi(route: (call: Call) => { status?: number; body: unknown }) {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input, 'http://localhost');
      const call = { method: init?.method ?? 'GET', path: url.pathname, body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined };
      calls.push(call);
      const { status = 200, body } = route(call);
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return calls;
}

describe('fieldErrors', () => {
  it('puts each message under the field it names', () => {
    expect(fieldErrors('url: refused: 10.0.0.1 is a private address; events.0: Invalid option; shopId: is empty')).toEqual({
      fields: { url: 'refused: 10.0.0.1 is a private address', events: 'Invalid option' },
      other: ['shopId: is empty'],
    });
  });
});

describe('AlertsPanel', () => {
  it('lists the shop’s subscriptions only, with the masked URL, format, events and who made it (en)', async () => {
    stubApi(() => ({ body: { items: [subscription(), subscription({ id: 2, shopId: 'S2', url: 'https://other.example.com/x' })] } }));
    renderWithClient(<AlertsPanel shopId="S1" />);
    const item = await screen.findByTestId('alert-subscription');
    expect(screen.getAllByTestId('alert-subscription')).toHaveLength(1);
    expect(within(item).getByTestId('alert-url').textContent).toBe('https://hooks.example.com/alerts?token=***');
    expect(item.textContent).toContain('JSON (your own system)');
    expect(item.textContent).toContain('the shop’s level changes, a restriction is lifted');
    expect(item.textContent).toContain('set up by seller-1');
  });

  it('explains the chosen format and sends the form; a made secret is shown once', async () => {
    const calls = stubApi(({ method }) =>
      method === 'POST' ? { body: subscription({ id: 9, url: 'https://hooks.example.com/in', secret: 'abcdef0123456789' }) } : { body: { items: [] } },
    );
    renderWithClient(<AlertsPanel shopId="S1" />);
    await screen.findByTestId('alert-none');
    expect(screen.getByTestId('alert-format-hint').textContent).toContain('HMAC-SHA256');
    fireEvent.change(screen.getByLabelText('Format'), { target: { value: 'dingtalk' } });
    expect(screen.getByTestId('alert-format-hint').textContent).toContain('DingTalk group');
    fireEvent.change(screen.getByLabelText('Format'), { target: { value: 'wecom' } });
    // WeCom robots have no signing: no secret field.
    expect(screen.queryByLabelText('Signing secret (optional)')).toBeNull();
    fireEvent.change(screen.getByLabelText('Format'), { target: { value: 'json' } });
    fireEvent.change(screen.getByLabelText('Address that receives the alerts (URL)'), { target: { value: ' https://hooks.example.com/in ' } });
    fireEvent.click(screen.getByLabelText('the forecast says the shop will soon be flagged or restricted'));
    fireEvent.change(screen.getByLabelText('Warn this many days ahead (1–30)'), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set up the alert' }));
    expect((await screen.findByTestId('alert-secret')).textContent).toContain('abcdef0123456789');
    const post = calls.find((c) => c.method === 'POST');
    expect(post).toEqual({
      method: 'POST',
      path: '/api/subscriptions',
      body: {
        shopId: 'S1',
        url: 'https://hooks.example.com/in',
        format: 'json',
        events: ['level.changed', 'restriction.lifted', 'forecast.crossing'],
        horizonDays: 10,
      },
    });
    // The list is asked again after the creation.
    await waitFor(() => expect(calls.filter((c) => c.method === 'GET' && c.path === '/api/subscriptions').length).toBe(2));
  });

  it('shows the server’s refusal under the field it names (zh)', async () => {
    stubApi(({ method }) =>
      method === 'POST'
        ? { status: 400, body: { error: 'bad_request', message: 'url: refused: 192.168.1.5 is a private or loopback address' } }
        : { body: { items: [] } },
    );
    renderWithClient(<AlertsPanel shopId="S1" />, 'zh');
    await screen.findByTestId('alert-none');
    expect(screen.getByRole('heading', { name: '提醒' })).toBeTruthy();
    expect(screen.getByTestId('alert-format-hint').textContent).toContain('X-Signature');
    const url = screen.getByLabelText('接收提醒的地址（URL）');
    fireEvent.change(url, { target: { value: 'http://192.168.1.5/hook' } });
    fireEvent.click(screen.getByRole('button', { name: '设置提醒' }));
    const error = await screen.findByTestId('alert-error-url');
    expect(error.textContent).toBe('未通过：refused: 192.168.1.5 is a private or loopback address');
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-describedby')).toBe(error.id);
    expect(screen.queryByTestId('alert-error')).toBeNull();
  });

  it('shows the delivery log on demand, and deletes after a confirmation (en)', async () => {
    let deleted = false;
    const calls = stubApi(({ method, path }) => {
      if (path === '/api/subscriptions/1/deliveries')
        return {
          body: {
            subscriptionId: 1,
            items: [delivered, { ...delivered, id: 6, status: 'failed', attempts: 5, lastStatus: 500, lastError: 'HTTP 500', deliveredAt: null }],
          },
        };
      if (method === 'DELETE') {
        deleted = true;
        return { body: subscription({ active: false }) };
      }
      return { body: { items: deleted ? [] : [subscription()] } };
    });
    renderWithClient(<AlertsPanel shopId="S1" />);
    const item = await screen.findByTestId('alert-subscription');
    expect(calls.some((c) => c.path.endsWith('/deliveries'))).toBe(false);
    fireEvent.click(within(item).getByRole('button', { name: 'Show deliveries' }));
    const rows = await screen.findAllByTestId('alert-delivery');
    expect(rows.map((r) => r.dataset.status)).toEqual(['delivered', 'failed']);
    expect(rows[0].textContent).toContain('Delivered');
    expect(rows[0].textContent).toContain('200');
    expect(rows[1].textContent).toContain('Failed');
    expect(rows[1].textContent).toContain('HTTP 500');

    fireEvent.click(within(item).getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete this alert?' });
    expect(dialog.textContent).toContain('https://hooks.example.com/alerts?token=***');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await screen.findByTestId('alert-none');
    expect(calls.find((c) => c.method === 'DELETE')?.path).toBe('/api/subscriptions/1');
  });

  it('shows the delivery log in Chinese', async () => {
    stubApi(({ path }) => (path.endsWith('/deliveries') ? { body: { subscriptionId: 1, items: [delivered] } } : { body: { items: [subscription()] } }));
    renderWithClient(<AlertsPanel shopId="S1" />, 'zh');
    const item = await screen.findByTestId('alert-subscription');
    expect(item.textContent).toContain('店铺等级变化');
    fireEvent.click(within(item).getByRole('button', { name: '查看发送记录' }));
    const row = await screen.findByTestId('alert-delivery');
    expect(row.textContent).toContain('已送达');
  });
});
