// The built dashboard in a real Chromium (Debian's, driven by playwright-core): what a seller and a
// reviewer see. `npm test` first finds or installs a Chromium (test/setup/ensure-tools.ts); this file
// looks it up the same way (CHROMIUM_PATH first), and fails rather than skips without a browser.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import type { Database } from '../../server/db/database.js';
import { axeViolations, mostSevereShop, openPage, SHOTS, startHarness, type Harness } from './harness.js';

const secret = new TextEncoder().encode('browser-test-secret-0123456789abcd');

let h: Harness;
let db: Database;
let base: string;
let browser: Browser;
let sellerShop: string;
let sellerToken: string;
let reviewerToken: string;
let adminToken: string;
let lastDay: string;

beforeAll(async () => {
  h = await startHarness({ name: 'dashboard', secret, demo: { shops: 400, days: 75, seed: 3, end: '2026-11-20' } });
  ({ db, base, browser } = h);
  const severe = await mostSevereShop(db);
  sellerShop = severe.shop_id;
  lastDay = severe.day;
  sellerToken = await signToken(secret, { role: 'seller', shops: [sellerShop] });
  reviewerToken = await signToken(secret, { role: 'reviewer', subject: 'reviewer:zhao' });
  adminToken = await signToken(secret, { role: 'admin', subject: 'admin:qian' });
}, 180_000);

afterAll(async () => {
  await h?.close();
});

async function open(token: string, query = '', lang: 'en' | 'zh' = 'en', width = 1280): Promise<Page> {
  return openPage(h, token, { query, lang, width, langInAddress: false });
}

async function api<T>(token: string, route: string): Promise<T> {
  const res = await fetch(`${base}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status, route).toBe(200);
  return (await res.json()) as T;
}

describe('seller view', () => {
  it('signs in from the link, drops the token from the address, and shows the API’s headline numbers', async () => {
    const page = await open(sellerToken);
    await page.getByTestId('headline-interventions').waitFor();
    expect(page.url()).not.toContain('token=');
    const m = await api<{ interventions: number; rate: number; categoryMean: number; ratio: number; level: string; consecutiveFlaggedDays: number }>(
      sellerToken,
      `/api/shops/${sellerShop}/metrics`,
    );
    const value = (id: string) => page.getByTestId(id).getAttribute('data-value');
    expect(Number(await value('headline-interventions'))).toBe(m.interventions);
    expect(Number(await value('headline-rate'))).toBeCloseTo(m.rate, 12);
    expect(Number(await value('headline-category-mean'))).toBeCloseTo(m.categoryMean, 12);
    expect(Number(await value('headline-ratio'))).toBeCloseTo(m.ratio, 12);
    expect(await value('headline-level')).toBe(m.level);
    expect(Number(await value('headline-days-flagged'))).toBe(m.consecutiveFlaggedDays);
    // What a person reads: the rate as a percent and the ratio as N.N×.
    expect(await page.getByTestId('headline-rate').innerText()).toContain(`${(m.rate * 100).toFixed(2)}%`);
    expect(await page.getByTestId('headline-ratio').innerText()).toContain(`${(Math.trunc(m.ratio * 10 + 1e-9) / 10).toFixed(1)}×`);
    await page.close();
  });

  it('draws the trend chart with the threshold line, and passes an accessibility check', async () => {
    const page = await open(sellerToken);
    const threshold = page.locator('[data-testid="trend-chart"] .trend-threshold path').first();
    await threshold.waitFor({ timeout: 20_000 });
    const d = await threshold.getAttribute('d');
    expect(d && d.length).toBeGreaterThan(20);
    expect(await page.locator('[data-testid="trend-chart"] svg').count()).toBeGreaterThan(0);
    await page.getByTestId('cases-table').waitFor();
    await page.getByTestId('peers-chart').waitFor();
    await page.getByTestId('forecast-chart').waitFor();
    await page.waitForTimeout(500); // let the charts finish their animation before the picture
    await page.screenshot({ path: path.join(SHOTS, 'seller.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('shows Chinese labels after the language toggle', async () => {
    const page = await open(sellerToken);
    await page.getByTestId('headline-interventions').waitFor();
    await page.getByTestId('lang-toggle').click();
    await page.getByText('介入订单数').first().waitFor();
    await page.getByText('平台介入率').first().waitFor();
    await page.getByText('类目均值').first().waitFor();
    expect(page.url()).toContain('lang=zh');
    await page.getByTestId('trend-chart').waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'seller-zh.png'), fullPage: true });
    await page.close();
  });

  it('works at 768 px wide', async () => {
    const page = await open(sellerToken, '', 'en', 768);
    await page.getByTestId('headline-interventions').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
  });
});

describe('governance workbench', () => {
  it('filters the queue by category, opens a shop, exempts it with a reason, and finds it in the audit log', async () => {
    const page = await open(reviewerToken);
    const table = page.getByTestId('flagged-table');
    await table.waitFor();
    const category = (await api<{ items: { categoryId: string; shopId: string }[] }>(reviewerToken, `/api/flagged?date=${lastDay}&level=severe`)).items.find(
      (i) => i.shopId === sellerShop,
    )!.categoryId;
    // The category list loads after the queue: a person picks from it once it is there (a plain id box stands in until then).
    await page.locator('select[data-testid="filter-category"]').selectOption(category);
    await page.waitForURL(new RegExp(`category=${category}`));
    const expected = await api<{ total: number; items: { shopId: string }[] }>(reviewerToken, `/api/flagged?date=${lastDay}&categoryId=${category}&limit=1000`);
    await expect
      .poll(async () => (await table.locator('tbody tr[data-shop-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-shop-id')))).sort())
      .toEqual(
        expected.items
          .map((i) => i.shopId)
          .slice(0, 50)
          .sort(),
      );
    await page.screenshot({ path: path.join(SHOTS, 'governance-queue.png'), fullPage: true });
    // Open the shop from its row.
    await table.locator(`tr[data-shop-id="${sellerShop}"] a`).first().click();
    await page.getByTestId('decision-form').waitFor();
    const form = page.getByTestId('decision-form');
    await form.getByLabel('Action').selectOption('exempt');
    await form.getByLabel('Exempt until').fill('2026-12-31');
    await form.getByLabel('Reason').fill('Courier strike in the region, confirmed by logistics');
    await form.getByRole('button', { name: 'Record decision…' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('decision-saved').waitFor();
    // The API agrees: the restrictions are exempted until the end date.
    const m = await api<{ restrictions: { exemptUntil?: string }[] }>(reviewerToken, `/api/shops/${sellerShop}/metrics`);
    expect(m.restrictions.length).toBeGreaterThan(0);
    for (const r of m.restrictions) expect(r.exemptUntil).toBe('2026-12-31');
    await page.getByTestId('tab-audit').click();
    const audit = page.getByTestId('audit-table');
    await audit.waitFor();
    await expect.poll(() => audit.innerText()).toContain('Courier strike in the region');
    expect(await audit.innerText()).toContain('reviewer:zhao');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('the simulator’s counts change when the ratio changes', async () => {
    const page = await open(adminToken, 'tab=simulator');
    const totals = page.getByTestId('simulation-totals');
    await totals.waitFor({ timeout: 20_000 });
    const before = await totals.innerText();
    await page.getByTestId('sim-flagRatio').fill('2');
    await expect.poll(() => totals.innerText(), { timeout: 20_000 }).not.toBe(before);
    await page.getByTestId('simulation-entering').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'governance-simulator.png'), fullPage: true });
    await page.close();
  });

  it('shows the categories and the workbench in Chinese', async () => {
    const page = await open(reviewerToken, 'tab=categories', 'zh');
    await page.getByTestId('categories-table').waitFor();
    await page.getByText('超标队列').first().waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'governance-categories-zh.png'), fullPage: true });
    await page.close();
  });

  it('a missing or bad token gets a plain page that says how to sign in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/?token=not-a-token`);
    // For users: what happened and what to do; the commands for whoever runs the server are folded away.
    await expect.poll(() => page.locator('body').innerText(), { timeout: 15_000 }).toMatch(/Your sign-in link no longer works[\s\S]*What to do/);
    expect(await page.locator('details.signin-admin').textContent()).toMatch(/npm run token/);
    await context.close();
  });
});
