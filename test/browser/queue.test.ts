// The shared queue and the evidence in a real Chromium on the built dashboard: reviewer Anna claims the most
// severe demo shop from the queue; reviewer Bo, in a second browser context, sees it claimed by Anna after a
// reload (queue and shop page), and his own claim is refused naming her; Anna opens a case of the shop in the case
// drawer (the order and why it counts), downloads the shop's case file as CSV, which names her claim, and opens
// its printable page. Then Bo decides the shop Anna has: refused naming her, he takes it over and decides; the
// queue (asked at GET /api/queue, never at DESIGN §4's GET /api/flagged) says he decided it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../server/auth/tokens.js';
import { axeViolations, mostSevereShop, openPage, SHOTS, startHarness, type Harness } from './harness.js';

const secret = new TextEncoder().encode('queue-browser-secret-0123456789abcdef');
let h: Harness;
let shopId: string;
let anna: string;
let bo: string;

beforeAll(async () => {
  h = await startHarness({ name: 'queue', secret, demo: { shops: 300, days: 70, seed: 5, end: '2026-11-20' } });
  shopId = (await mostSevereShop(h.db)).shop_id;
  anna = await signToken(secret, { role: 'reviewer', subject: 'anna@example.com', name: 'Anna' });
  bo = await signToken(secret, { role: 'reviewer', subject: 'bo@example.com', name: 'Bo' });
}, 240_000);
afterAll(async () => h?.close());

describe('the shared queue and the evidence', () => {
  it('Anna claims a shop; Bo sees it claimed by Anna; the case drawer and the case file CSV', async () => {
    // Anna: the queue, most severe first; she claims the shop.
    const a = await openPage(h, anna, { query: 'tab=queue' });
    const rowA = a.locator(`[data-testid="flagged-table"] tr[data-shop-id="${shopId}"]`);
    await rowA.waitFor({ timeout: 30_000 });
    expect(await rowA.getAttribute('data-review-state')).toBe('new');
    await rowA.getByRole('button', { name: `Claim ${shopId}` }).click();
    await expect.poll(() => rowA.getAttribute('data-review-state')).toBe('in_review');
    expect(await rowA.getByTestId('review-state').innerText()).toBe('In review claimed by you');
    // The age in the queue is shown, and a shop past the service time says so in words.
    const age = rowA.getByTestId('review-age');
    const ageDays = Number(await age.getAttribute('data-age-days'));
    expect(ageDays).toBeGreaterThanOrEqual(0);
    if (ageDays >= 3) {
      expect(await age.innerText()).toContain('⚠ Overdue');
      expect(await age.getByTestId('past-service').getAttribute('aria-label')).toBe('Past the 3-day service time');
    }
    await a.screenshot({ path: path.join(SHOTS, 'governance-queue-claimed-en.png') });

    // Bo, in another browser context: after a reload the queue says Anna has it, and so does the shop page.
    const b = await openPage(h, bo, { query: 'tab=queue' });
    await b.reload();
    const rowB = b.locator(`[data-testid="flagged-table"] tr[data-shop-id="${shopId}"]`);
    await rowB.waitFor({ timeout: 30_000 });
    await expect.poll(() => rowB.getByTestId('review-state').innerText()).toBe('In review claimed by anna@example.com');
    // The review filter "in review" keeps it, in the address.
    await b.getByTestId('filter-review').selectOption('in_review');
    await b.waitForURL(/review=in_review/);
    await expect.poll(() => b.locator('[data-testid="flagged-table"] tbody tr[data-shop-id]').count()).toBe(1);
    await b.goto(`${h.base}/?tab=shop&shop=${shopId}&lang=en`);
    const bar = b.getByTestId('review-bar');
    await bar.waitFor({ timeout: 30_000 });
    expect(await bar.getAttribute('data-state')).toBe('in_review');
    expect(await bar.getByTestId('review-line').innerText()).toMatch(/^In review by anna@example\.com since /);
    // A plain claim by Bo would be refused naming Anna: the button offers to take it over instead.
    expect(await bar.getByRole('button', { name: `Take over ${shopId} from anna@example.com` }).count()).toBe(1);
    const refused = await fetch(`${h.base}/api/shops/${shopId}/review`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bo}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'claim' }),
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^shop \S+ is in review by anna@example\.com since /);
    await b.close();

    // Anna opens a counted case of the shop: the drawer shows the order and why it counts.
    await a.goto(`${h.base}/?tab=shop&shop=${shopId}&lang=en`);
    const firstCase = a.locator('[data-testid="cases-table"] tbody tr[data-counted="true"] button').first();
    await firstCase.waitFor({ timeout: 30_000 });
    const caseId = (await firstCase.innerText()).trim();
    await firstCase.click();
    const drawer = a.getByRole('dialog', { name: `Case ${caseId}` });
    await drawer.waitFor();
    const why = drawer.getByTestId('case-why');
    await why.waitFor();
    expect(['counted', 'same_order_counted']).toContain(await why.getAttribute('data-why'));
    expect(await drawer.getByTestId('case-order').innerText()).toMatch(/¥\d/);
    expect(await drawer.getByTestId('case-timeline').innerText()).toContain('Case opened');
    expect(await axeViolations(a)).toEqual([]);
    await drawer.screenshot({ path: path.join(SHOTS, 'governance-case-drawer-en.png') });
    await a.keyboard.press('Escape');
    await expect.poll(() => drawer.count()).toBe(0);

    // The case file as CSV: a download that names Anna's claim and the case.
    const [download] = await Promise.all([a.waitForEvent('download'), a.getByTestId('case-file-csv').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^case-file-${shopId}-\\d{4}-\\d\\d-\\d\\d\\.csv$`));
    const file = path.join(SHOTS, '..', `case-file-${shopId}.csv`);
    await download.saveAs(file);
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv.startsWith('\ufeffsection,id,date,field,value,detail\n')).toBe(true);
    expect(csv).toMatch(new RegExp(`\\nreview,${shopId},\\d{4}-\\d\\d-\\d\\d,in_review,anna@example\\.com,`));
    expect(csv).toContain(`\ncase,${caseId},`);
    expect(csv).toMatch(/\naudit,\d+,[^,]+,review\.claim,anna@example\.com,/);
    // The printable case file opens in a new tab (fetched with the token, shown as a page of its own).
    const [printable] = await Promise.all([a.context().waitForEvent('page'), a.getByTestId('case-file-print').click()]);
    await printable.waitForURL(/^blob:/);
    await printable.locator('h1').waitFor();
    expect(await printable.locator('h1').innerText()).toContain(`(${shopId})`);
    expect(await printable.locator('body').innerText()).toContain(caseId);
    await printable.screenshot({ path: path.join(SHOTS, 'governance-case-file-en.png') });
    await a.close();
  });
  it('Bo decides the shop Anna has: refused naming her, he takes it over and decides; the queue says he decided it', async () => {
    const b = await openPage(h, bo, { query: `tab=shop&shop=${shopId}` });
    const form = b.getByTestId('decision-form');
    await form.waitFor({ timeout: 30_000 });
    await form.getByLabel('Reason').fill('orders checked with the seller');
    await form.getByRole('button', { name: 'Record decision…' }).click();
    await b.getByRole('dialog').getByRole('button', { name: 'Confirm', exact: true }).click();
    const error = form.getByTestId('decision-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.innerText()).toMatch(new RegExp(`^shop ${shopId} is in review by anna@example\\.com since `));
    await error.getByRole('button', { name: 'Take over and decide' }).click();
    await form.getByTestId('decision-saved').waitFor({ timeout: 30_000 });
    const bar = b.getByTestId('review-bar');
    await expect.poll(() => bar.getAttribute('data-state')).toBe('decided');
    expect(await bar.getByTestId('review-line').innerText()).toMatch(/^Decided by you on /);
    // The queue is the shared queue's endpoint: its row says decided by Bo.
    const asked: string[] = [];
    b.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await b.goto(`${h.base}/?tab=queue&lang=en`);
    const row = b.locator(`[data-testid="flagged-table"] tr[data-shop-id="${shopId}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.getAttribute('data-review-state')).toBe('decided');
    expect(await row.getByTestId('review-state').innerText()).toBe('Decided decided by you');
    expect(asked).toContain('/api/queue');
    expect(asked).not.toContain('/api/flagged');
    await b.close();
  });
});
