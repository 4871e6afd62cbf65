// Issue 13 in a real browser: the seller subscribes a json webhook for the shop (a receiver on 127.0.0.1,
// allowed by the app's webhookAllowHosts), sees it listed with the secret shown once; an answered appeal
// makes a delivery, the worker sends it, and the delivery log in the page says it was delivered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import { DeliveryWorker } from '../../server/alerts/worker.js';
import { axeViolations, mostSevereShop, openPage, SHOTS, startHarness, type Harness } from './harness.js';

const secret = new TextEncoder().encode('subscriptions-browser-test-secret-0123456789');
let h: Harness;
let receiver: http.Server;
let receiverBase: string;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let shopId: string;
let sellerToken: string;
let reviewerToken: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startHarness({
    name: 'subscriptions',
    secret,
    demo: { shops: 200, days: 60, seed: 7, end: '2026-11-20' },
    app: { webhookAllowHosts: ['127.0.0.1'] },
  });
  shopId = (await mostSevereShop(h.db)).shop_id;
  sellerToken = await signToken(secret, { role: 'seller', shops: [shopId], subject: 'seller@example.com' });
  reviewerToken = await signToken(secret, { role: 'reviewer', subject: 'reviewer:zhao' });
});

afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function api(token: string, method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${h.base}/api${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${route}`).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

describe('alerts in the seller view', () => {
  let page: Page;

  it('subscribes a json webhook, lists it, and shows the secret once', async () => {
    page = await openPage(h, sellerToken);
    const panel = page.getByTestId('alerts-panel');
    await panel.waitFor();
    // A private address that is not allowed is refused, under the URL field.
    await panel.getByLabel('Address that receives the alerts (URL)').fill('http://10.1.2.3/hook');
    await panel.getByLabel('an appeal is answered').check();
    await panel.getByRole('button', { name: 'Set up the alert' }).click();
    await expect.poll(() => panel.getByTestId('alert-error-url').textContent()).toContain('Refused: ');

    await panel.getByLabel('Address that receives the alerts (URL)').fill(`${receiverBase}/hook`);
    await panel.getByRole('button', { name: 'Set up the alert' }).click();
    const shownSecret = await panel.getByTestId('alert-secret').locator('code').textContent();
    expect(shownSecret).toMatch(/^[0-9a-f]{48}$/);
    const item = panel.getByTestId('alert-subscription');
    await item.waitFor();
    expect(await item.getByTestId('alert-url').textContent()).toContain('127.0.0.1');
    expect(await item.textContent()).toContain('an appeal is answered');
    expect(await panel.getByTestId('alert-error-url').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'seller-alerts-en.png'), fullPage: true });
  });

  it('an answered appeal is delivered, and the delivery log says so', async () => {
    const appeal = await api(sellerToken, 'POST', `/shops/${encodeURIComponent(shopId)}/appeals`, { text: 'The cases were caused by a carrier strike.' });
    await api(reviewerToken, 'POST', `/appeals/${appeal.id as number}/answer`, { decision: 'reject', reason: 'The cases are the shop’s own.' });
    const worker = new DeliveryWorker(h.db, { allowHosts: () => ['127.0.0.1'], timeoutMs: 3000 });
    expect(await worker.deliverDue()).toMatchObject({ delivered: 1, failed: 0 });
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body)).toMatchObject({ event: 'appeal.answered' });

    const item = page.getByTestId('alert-subscription');
    await item.getByRole('button', { name: 'Show deliveries' }).click();
    const row = item.getByTestId('alert-delivery');
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('delivered');
    expect(await row.textContent()).toContain('Delivered');
    expect(await row.textContent()).toContain('200');
    await page.screenshot({ path: path.join(SHOTS, 'seller-alerts-delivered-en.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });
});
