// Issue 11 "Nobody is misled", the governance items, in a real Chromium on the built dashboard, in English
// and in Chinese: shop search with suggestions and one message for a miss; the shop page's decisions at
// hand with the policy version of each restriction; the queue's exempted shops apart and its notes;
// activation set beside its simulation (they agree); the audit log as sentences with a policy diff; tables
// at 768 px. Same setup as dashboard.test.ts, but the dashboard is built into its own folder
// (test-results/build-governance) so that concurrent builds do not collide.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import type { Database } from '../../server/db/database.js';
import { axeViolations, mostSevereShop, openPage, SHOTS, startHarness, type Harness } from './harness.js';

const secret = new TextEncoder().encode('governance-clarity-secret-0123456789');

let h: Harness;
let db: Database;
let base: string;
let severeShop: { shop_id: string; shop_name: string };
let reviewerToken: string;
let adminToken: string;
let lastDay: string;

beforeAll(async () => {
  h = await startHarness({ name: 'governance', secret, demo: { shops: 400, days: 75, seed: 3, end: '2026-11-20' } });
  ({ db, base } = h);
  const severe = await mostSevereShop(db);
  severeShop = severe;
  lastDay = severe.day;
  reviewerToken = await signToken(secret, { role: 'reviewer', subject: 'reviewer:zhao' });
  adminToken = await signToken(secret, { role: 'admin', subject: 'admin:qian' });
}, 240_000);

afterAll(async () => {
  await h?.close();
});

async function open(token: string, query = '', lang: 'en' | 'zh' = 'en', width = 1280): Promise<Page> {
  return openPage(h, token, { query, lang, width });
}

async function api<T>(token: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, route).toBeLessThan(300);
  return (await res.json()) as T;
}

function daysBefore(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
}

describe('10. search a shop by id (any case) or name', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`suggests shops, opens one with the decisions at hand, and says one thing for a miss (${lang})`, async () => {
      const page = await open(reviewerToken, 'tab=shop', lang);
      const input = page.getByTestId('open-shop-input');
      await input.waitFor();
      // Part of the id in lower case: suggestions, the shop among them.
      await input.fill(severeShop.shop_id.toLowerCase().slice(0, -1));
      const suggestions = page.getByTestId('shop-suggestions');
      await suggestions.waitFor();
      await suggestions.locator(`button[data-shop-id="${severeShop.shop_id}"]`).click();
      await page.waitForURL(new RegExp(`shop=${severeShop.shop_id}`));
      // 9. The decisions are at hand: the action bar and the decision form are in the first screen.
      const bar = page.getByTestId('shop-action-bar');
      await bar.waitFor();
      expect((await bar.boundingBox())!.y).toBeLessThan(400);
      const form = page.getByTestId('decision-form');
      expect((await form.boundingBox())!.y).toBeLessThan(900);
      // 3. Each restriction names the policy version that made it.
      const versions = page.getByTestId('restriction-versions');
      await versions.waitFor();
      const m = await api<{ restrictions: { policyVersion: string }[] }>(reviewerToken, `/api/shops/${severeShop.shop_id}/metrics`);
      expect(m.restrictions.length).toBeGreaterThan(0);
      expect(await versions.innerText()).toContain(m.restrictions[0].policyVersion);
      // The exact id in any case opens the shop at once.
      await input.fill(severeShop.shop_id.toLowerCase());
      await input.press('Enter');
      await expect.poll(() => input.inputValue()).toBe(severeShop.shop_id);
      await page.waitForURL(new RegExp(`shop=${severeShop.shop_id}`));
      // A name: the shop is suggested.
      await input.fill(severeShop.shop_name.slice(0, 3));
      await suggestions.waitFor();
      await expect.poll(() => suggestions.innerText()).toContain(severeShop.shop_name);
      // A miss: one clear message.
      await input.fill('zz-no-such-shop');
      const miss = page.getByTestId('shop-search-miss');
      await miss.waitFor();
      expect(await miss.innerText()).toBe(
        lang === 'en'
          ? 'No shop matches “zz-no-such-shop”. Check the id (any case) or type part of the name.'
          : '没有与“zz-no-such-shop”匹配的店铺。请核对店铺 ID（不区分大小写）或输入名称的一部分。',
      );
      await page.screenshot({ path: path.join(SHOTS, `governance-search-${lang}.png`) });
      if (lang === 'en') expect(await axeViolations(page)).toEqual([]);
      await page.close();
    });
  }
});

describe('8. the queue: exempted shops apart, notes that say why', () => {
  it('marks an exempted shop and filters the exempted only or hides them', async () => {
    await api(reviewerToken, `/api/shops/${severeShop.shop_id}/decisions`, { action: 'exempt', reason: 'regional flood', until: '2026-12-31' });
    const page = await open(reviewerToken, 'tab=queue');
    const table = page.getByTestId('flagged-table');
    await table.waitFor();
    await page.getByTestId('filter-exempt').selectOption('only');
    await page.waitForURL(/exempt=only/);
    await expect
      .poll(() => table.locator('tbody tr[data-shop-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-shop-id'))))
      .toEqual([severeShop.shop_id]);
    expect(await table.locator(`tr[data-shop-id="${severeShop.shop_id}"] [data-note="exempt"]`).innerText()).toBe('Exempted until Dec 31, 2026');
    await page.getByTestId('filter-exempt').selectOption('hide');
    await page.waitForURL(/exempt=hide/);
    await expect.poll(() => table.locator(`tr[data-shop-id="${severeShop.shop_id}"]`).count()).toBe(0);
    await page.close();
  });

  it('at 768 px every column is readable or the table visibly scrolls', async () => {
    const page = await open(reviewerToken, 'tab=queue', 'en', 768);
    const table = page.getByTestId('flagged-table');
    await table.waitFor();
    const pageOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(pageOverflow).toBeLessThanOrEqual(0);
    const layout = await table.evaluate((el) => {
      const scroller = el.closest('.table-scroll') as HTMLElement;
      const headers = [...el.querySelectorAll('thead th')].map((th) => {
        const box = th.getBoundingClientRect();
        // A header is readable when no word is broken over lines: it is one line high.
        const lineHeight = parseFloat(getComputedStyle(th).lineHeight) || 20;
        return { text: (th as HTMLElement).innerText, height: box.height, lineHeight };
      });
      return { scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth, overflowX: getComputedStyle(scroller).overflowX, headers };
    });
    expect(layout.overflowX).toBe('auto');
    expect(layout.scrollWidth).toBeGreaterThan(layout.clientWidth); // it scrolls rather than squeezing columns
    for (const h of layout.headers) expect(h.height, h.text).toBeLessThan(h.lineHeight * 2 + 20);
    await page.screenshot({ path: path.join(SHOTS, 'governance-queue-768.png') });
    await page.close();
    // The shop page (the seller's tables, the timeline, the audit entries) does not overflow the page either:
    // each wide table scrolls inside its own box.
    const shop = await open(reviewerToken, `tab=shop&shop=${severeShop.shop_id}`, 'en', 768);
    await shop.getByTestId('level-changes').waitFor({ timeout: 30_000 });
    await shop.getByTestId('audit-table').waitFor();
    await shop.waitForTimeout(500);
    expect(await shop.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    const boxes = await shop.locator('.table-scroll').evaluateAll((els) =>
      els.map((el) => ({
        fits: el.scrollWidth <= el.clientWidth + 1,
        scrolls: getComputedStyle(el).overflowX === 'auto',
        right: el.getBoundingClientRect().right,
      })),
    );
    expect(boxes.length).toBeGreaterThan(2);
    for (const b of boxes) {
      expect(b.fits || b.scrolls).toBe(true);
      expect(b.right).toBeLessThanOrEqual(768);
    }
    await shop.close();
  });
});

describe('1. activation does what the simulation predicted; 6. the audit log reads as sentences', () => {
  for (const [lang, ratio, version] of [
    ['en', '4', 'v-browser-en'],
    ['zh', '3.5', 'v-browser-zh'],
  ] as const) {
    it(`activates the simulated candidate and shows the result beside the prediction (${lang})`, async () => {
      const page = await open(adminToken, 'tab=simulator', lang);
      const totals = page.getByTestId('simulation-totals');
      await totals.waitFor({ timeout: 30_000 });
      await page.getByTestId('sim-flagRatio').fill(ratio);
      // The English one from ten days back (a day before the data's last), the Chinese one from the last day, after it.
      if (lang === 'en') await page.getByTestId('sim-effectiveFrom').fill(daysBefore(lastDay, 10));
      await page.getByTestId('simulation-entering').waitFor();
      await page.getByLabel(lang === 'en' ? 'New version name' : '新版本名称').fill(version);
      const button = page.getByTestId('activate-policy');
      await expect.poll(() => button.isEnabled(), { timeout: 30_000 }).toBe(true);
      const predicted = await page.getByTestId('simulation-table').locator('tbody tr').count();
      expect(predicted).toBeGreaterThan(0);
      await button.click();
      await page.getByRole('dialog').getByRole('button').last().click();
      const report = page.getByTestId('activation-report');
      await report.waitFor({ timeout: 60_000 });
      // They agree: no alert, the words say so, and the moved shops are listed.
      expect(await report.getByRole('alert').count()).toBe(0);
      const agrees = await report.getByTestId('activation-agrees').innerText();
      expect(agrees).toMatch(lang === 'en' ? /^Activation did what the simulation predicted on / : /^启用结果与模拟预测一致/);
      expect(await report.getByTestId('activation-done').innerText()).toContain(version);
      // The report stays while the form starts again from the new active version.
      await expect.poll(() => page.getByTestId('policy-simulator').innerText(), { timeout: 30_000 }).toContain(version);
      if (lang === 'en') expect(await report.getByTestId('activation-done').innerText()).toContain(daysBefore(lastDay, 10).slice(0, 4));
      expect(await report.isVisible()).toBe(true);
      await page.screenshot({ path: path.join(SHOTS, `governance-activation-${lang}.png`), fullPage: true });
      if (lang === 'en') expect(await axeViolations(page)).toEqual([]);

      // 6. The audit log: the activation as a sentence with the settings that changed; no raw JSON.
      await page.getByTestId('tab-audit').click();
      const audit = page.getByTestId('audit-table');
      await audit.waitFor();
      await page.getByTestId('audit-filter-action').selectOption({ label: lang === 'en' ? 'Policy activated' : '启用规则' });
      await page.getByRole('button', { name: lang === 'en' ? 'Apply' : '应用' }).click();
      await page.waitForURL(/action=policy\.activated/);
      const first = audit.locator('tbody tr').first();
      await expect
        .poll(() => first.innerText())
        .toContain(lang === 'en' ? `admin:qian activated policy version ${version} from` : `admin:qian 启用了规则版本 ${version}，自`);
      const diff = first.getByTestId('policy-diff');
      expect(await diff.innerText()).toContain(lang === 'en' ? 'Flag ratio (× category mean)' : '超标倍数（× 类目均值）');
      expect(await diff.innerText()).toContain(`${ratio}×`);
      expect(await audit.innerText()).not.toMatch(/[{}]|"version"/);
      await page.screenshot({ path: path.join(SHOTS, `governance-audit-${lang}.png`), fullPage: true });
      if (lang === 'en') expect(await axeViolations(page)).toEqual([]);
      await page.close();
    });
  }

  it('the exemption reads as a sentence too, and the shop timeline lists its level changes', async () => {
    const page = await open(reviewerToken, `tab=shop&shop=${severeShop.shop_id}`);
    const timeline = page.getByTestId('level-changes');
    await timeline.waitFor({ timeout: 30_000 });
    const history = await api<{ periods: { level: string; from: string }[] }>(reviewerToken, `/api/shops/${severeShop.shop_id}/history`);
    expect(await timeline.locator('li').count()).toBe(history.periods.length - 1);
    expect(await timeline.innerText()).toContain('(automatic)');
    await page.close();
    const audit = await open(reviewerToken, `tab=audit&auditShop=${severeShop.shop_id}`);
    const table = audit.getByTestId('audit-table');
    await table.waitFor();
    await expect.poll(() => table.innerText()).toContain(`reviewer:zhao exempted ${severeShop.shop_id} from its restrictions until Dec 31, 2026.`);
    expect(await table.innerText()).toContain('regional flood');
    await audit.close();
  });
});
