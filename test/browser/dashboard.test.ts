// The built dashboard in a real Chromium (Debian's, driven by playwright-core): what a seller and a
// reviewer see. `npm test` first finds or installs a Chromium (test/setup/ensure-tools.ts); this file
// looks it up the same way (CHROMIUM_PATH first), and fails rather than skips without a browser.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/api/app.js';
import { signToken } from '../../server/auth/tokens.js';
import { PROJECT_ROOT } from '../../server/config.js';
import type { Database } from '../../server/db/database.js';
import { queryRows } from '../../server/db/database.js';
import { generateDemo } from '../../server/generate/demo.js';
import { ingest, openTempDb, tempDir } from '../helpers.js';
import { chromiumMissingMessage, findChromium } from '../setup/chromium.js';

const run = promisify(execFile);
const CHROMIUM = findChromium();
const SHOTS = path.join(PROJECT_ROOT, 'test-results', 'screenshots');
const secret = new TextEncoder().encode('browser-test-secret-0123456789abcd');

let db: Database;
let server: Server;
let base: string;
let browser: Browser;
let sellerShop: string;
let sellerToken: string;
let reviewerToken: string;
let adminToken: string;
let lastDay: string;

beforeAll(async () => {
  if (!CHROMIUM) throw new Error(chromiumMissingMessage());
  // Always test what the sources build to now.
  // Vitest sets NODE_ENV=test; the build must be the production build that `npm run build` serves.
  await run(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const demo = tempDir('iw-browser-');
  await generateDemo({ shops: 400, days: 75, seed: 3, end: '2026-11-20', out: demo });
  ({ db } = await openTempDb());
  expect((await ingest(db, [demo])).exitCode).toBe(0);
  const app = createApp({ db, secret, clientDir: path.join(PROJECT_ROOT, 'dist', 'client') });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const severe = await db.read((conn) =>
    queryRows<{ shop_id: string; day: string }>(
      conn,
      "SELECT shop_id, strftime(day, '%Y-%m-%d') AS day FROM shop_day WHERE day = (SELECT last_day FROM data_range) AND level = 'severe' ORDER BY ratio DESC, shop_id LIMIT 1",
    ),
  );
  expect(severe.length).toBe(1);
  sellerShop = severe[0].shop_id;
  lastDay = severe[0].day;
  sellerToken = await signToken(secret, { role: 'seller', shops: [sellerShop] });
  reviewerToken = await signToken(secret, { role: 'reviewer', subject: 'reviewer:zhao' });
  adminToken = await signToken(secret, { role: 'admin', subject: 'admin:qian' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  fs.mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
});

async function open(token: string, query = '', lang = 'en', width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, locale: lang === 'zh' ? 'zh-CN' : 'en-US', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/?token=${token}${query ? `&${query}` : ''}`);
  return page;
}

async function api<T>(token: string, route: string): Promise<T> {
  const res = await fetch(`${base}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status, route).toBe(200);
  return (await res.json()) as T;
}

async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
  await page.addScriptTag({ path: path.join(PROJECT_ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
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
    await page.getByTestId('filter-category').selectOption(category);
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
