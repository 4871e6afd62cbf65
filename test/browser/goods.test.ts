// The seller's "what drives my rate" panel in a real Chromium: the top goods of the most severe demo
// shop, with its intervention orders and the what-if, equal to what GET /api/shops/:id/goods answers.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import { mostSevereShop, openPage, SHOTS, startHarness, type Harness } from './harness.js';

const secret = new TextEncoder().encode('goods-browser-secret-0123456789abcdef');
let h: Harness;
let shopId: string;
let sellerToken: string;

interface GoodsItem {
  goodsId: string;
  goodsName: string;
  orders: number;
  interventions: number;
  withoutIt: { rate: number | null; ratio: number | null; flagged: boolean };
}

beforeAll(async () => {
  h = await startHarness({ name: 'goods', secret, demo: { shops: 300, days: 70, seed: 5, end: '2026-11-20' } });
  shopId = (await mostSevereShop(h.db)).shop_id;
  sellerToken = await signToken(secret, { role: 'seller', shops: [shopId], subject: 'seller@example.com' });
}, 240_000);
afterAll(async () => h?.close());

describe('what drives my rate', () => {
  for (const lang of ['en', 'zh'] as const) {
    it(`shows the top goods and their what-if as the API answers them (${lang})`, async () => {
      const res = await fetch(`${h.base}/api/shops/${shopId}/goods`, { headers: { Authorization: `Bearer ${sellerToken}` } });
      expect(res.status).toBe(200);
      const goods = (await res.json()) as { items: GoodsItem[] };
      const top = goods.items[0];
      expect(top.interventions).toBeGreaterThan(0);
      const page = await openPage(h, sellerToken, { lang });
      const row = page.getByTestId(`goods-row-${top.goodsId}`);
      await row.waitFor({ timeout: 30_000 });
      const text = await row.innerText();
      expect(text).toContain(top.goodsName);
      expect(text).toContain(String(top.interventions));
      const without = await row.getByTestId('goods-without').innerText();
      if (lang === 'en') expect(without).toMatch(top.withoutIt.flagged ? /still flagged/ : /not flagged/);
      else expect(without).toMatch(top.withoutIt.flagged ? /仍会被标记/ : /不会被标记/);
      // Its cases: the link filters the case list to this goods' orders (every kind, counted or not).
      const cases = (await (await fetch(`${h.base}/api/shops/${shopId}/cases`, { headers: { Authorization: `Bearer ${sellerToken}` } })).json()) as {
        cases: { goodsId?: string | null }[];
      };
      const ofGoods = cases.cases.filter((c) => c.goodsId === top.goodsId).length;
      expect(ofGoods).toBeGreaterThanOrEqual(top.interventions);
      await page.getByTestId(`goods-cases-${top.goodsId}`).click();
      await page.getByTestId('cases-goods-filter').waitFor();
      expect(await page.getByTestId('cases-shown').getAttribute('data-shown')).toBe(String(ofGoods));
      expect(new URL(page.url()).searchParams.get('caseGoods')).toBe(top.goodsId);
      // The charts above load after the headline: let the page settle before taking the picture.
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      await page.getByTestId('goods-table').screenshot({ path: path.join(SHOTS, `seller-goods-${lang}.png`) });
      await page.close();
    });
  }
});
