// Issue 14's acceptance test for the governance workbench, in a real Chromium on the built dashboard, everybody
// signed in through a locally run OpenID Connect provider (oidc-provider, the demo's accounts):
// - Alice Wang and Bob Li, reviewers, in two browser contexts. Bob has the queue open; Alice claims the most
//   severe shop; Bob's own claim (his screen still says "new") is refused with a message naming her, and his
//   queue then says, and after a reload still says, that Alice has it.
// - Alice selects three restricted shops in the queue and exempts them with one reason: the audit log shows exactly
//   three new exemption entries, one per shop, each naming alice@example.com (on the screen and in the API).
// - Carol Zhang, admin, activates a policy version from 2026-11-10; the platform's "Over time" charts mark that
//   version on that day: the mark's label names it, and the tooltip at the mark's position is that day.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../server/db/database.js';
import { axeViolations, SHOTS } from './harness.js';
import { signInWithOidc, startOidcHarness, type OidcHarness } from './oidc-helpers.js';

const secret = new TextEncoder().encode('workbench-browser-secret-0123456789abcdef');
const LAST_DAY = '2026-11-20';
const EFFECTIVE = '2026-11-10';
const VERSION = 'v-workbench-1110';
const REASON = 'Typhoon in Fujian: couriers stopped for a week';

let h: OidcHarness;
/** The restricted and severe shops on the last day, in the queue's default order (severe first, then by ratio). */
let severe: string[];

beforeAll(async () => {
  h = await startOidcHarness({ name: 'workbench', secret, demo: { shops: 300, days: 70, seed: 5, end: LAST_DAY } });
  severe = (
    await h.db.read((conn) =>
      queryRows<{ shop_id: string }>(
        conn,
        `SELECT shop_id FROM shop_day WHERE day = (SELECT last_day FROM data_range) AND level IN ('severe', 'restricted')
         ORDER BY level = 'severe' DESC, ratio DESC NULLS LAST, shop_id`,
      ),
    )
  ).map((r) => r.shop_id);
  expect(severe.length).toBeGreaterThanOrEqual(4);
}, 240_000);
afterAll(async () => h?.close());

/** The bearer token the dashboard holds for the signed-in person (the provider's access token). */
const tokenOf = async (page: Page) => (await page.evaluate(() => localStorage.getItem('intervention-watch.token')))!;

async function api<T>(token: string, url: string): Promise<T> {
  const res = await fetch(`${h.base}${url}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

type AuditList = { total: number; items: { actor: string; role: string; action: string; shopId: string | null; details: Record<string, unknown> }[] };

describe('the governance workbench, signed in through the identity provider', () => {
  it('Alice claims a shop and Bob sees it is hers; Alice exempts three shops at once; Carol activates a version the platform chart marks', async () => {
    const health = await api<{ dataThrough: string }>(await signInAndToken(), '/api/health');
    expect(health.dataThrough).toBe(LAST_DAY);
    const [claimed, ...rest] = severe;
    const exempted = rest.slice(0, 3);

    // Bob has the queue open first: the shop is new, nobody has it.
    const bob = await signInWithOidc(h, 'Bob Li', { query: 'tab=queue' });
    expect(await bob.getByTestId('signed-in-as').innerText()).toBe('Reviewer · Bob Li bob@example.com');
    const rowB = bob.locator(`[data-testid="flagged-table"] tr[data-shop-id="${claimed}"]`);
    await rowB.waitFor({ timeout: 30_000 });
    expect(await rowB.getByTestId('review-state').innerText()).toBe('New');

    // Alice (under axe: the page is checked for WCAG A/AA) claims it from the queue.
    const alice = await signInWithOidc(h, 'Alice Wang', { query: 'tab=queue', bypassCSP: true });
    expect(await alice.getByTestId('signed-in-as').innerText()).toBe('Reviewer · Alice Wang alice@example.com');
    const rowA = alice.locator(`[data-testid="flagged-table"] tr[data-shop-id="${claimed}"]`);
    await rowA.waitFor({ timeout: 30_000 });
    await rowA.getByRole('button', { name: `Claim ${claimed}`, exact: true }).click();
    await expect.poll(() => rowA.getByTestId('review-state').innerText()).toBe('In review claimed by you');
    expect(await rowA.getByRole('button', { name: `Release ${claimed}`, exact: true }).count()).toBe(1);
    expect(await axeViolations(alice)).toEqual([]);

    // Bob presses Claim on what his screen still shows as new: refused, naming Alice; then his row says she has it.
    await rowB.getByRole('button', { name: `Claim ${claimed}`, exact: true }).click();
    const refusal = rowB.getByTestId('review-error');
    await refusal.waitFor();
    expect((await refusal.innerText()).trim()).toMatch(
      new RegExp(
        `^shop ${claimed} is in review by alice@example\\.com since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ; to take it over, claim it with reassign$`,
      ),
    );
    await expect.poll(() => rowB.getByTestId('review-state').innerText()).toBe('In review claimed by alice@example.com');
    // After a reload too; the only action left to him is to take it over from her, by name.
    await bob.reload();
    await rowB.waitFor({ timeout: 30_000 });
    await expect.poll(() => rowB.getByTestId('review-state').innerText()).toBe('In review claimed by alice@example.com');
    expect(await rowB.getByRole('button', { name: `Take over ${claimed} from alice@example.com`, exact: true }).count()).toBe(1);
    expect(await rowB.getByRole('button', { name: `Claim ${claimed}`, exact: true }).count()).toBe(0);
    await bob.screenshot({ path: path.join(SHOTS, 'workbench-bob-sees-alice-en.png') });
    // The API says the same, to Bob's provider token.
    const review = await api<{ review: { state: string; assignee: string } }>(await tokenOf(bob), `/api/shops/${claimed}/review`);
    expect([review.review.state, review.review.assignee]).toEqual(['in_review', 'alice@example.com']);
    await bob.context().close();

    // Alice selects three shops and exempts them with one reason.
    const aliceToken = await tokenOf(alice);
    const before = await api<AuditList>(aliceToken, '/api/audit?action=decision.exempt');
    expect(before.total).toBe(0);
    for (const shopId of exempted) await alice.getByRole('checkbox', { name: `Select shop ${shopId}`, exact: true }).check();
    const bar = alice.getByTestId('bulk-bar');
    expect(await bar.locator('strong').first().innerText()).toBe('3 shops selected');
    await bar.getByLabel('Action').selectOption('exempt');
    await bar.getByLabel('Exempt until').fill('2026-12-31');
    await bar.getByLabel('Reason').fill(REASON);
    await bar.getByRole('button', { name: 'Decide for 3 shops…' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Record this decision for 3 shops?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(exempted.join(', '));
    await dialog.getByRole('button', { name: 'Decide for 3 shops…' }).click();
    await expect.poll(() => alice.getByTestId('bulk-done').innerText()).toBe('3 decisions recorded.');
    expect(await alice.getByTestId('bulk-bar').count()).toBe(0);
    // The queue marks them exempted.
    for (const shopId of exempted)
      await expect
        .poll(() => alice.locator(`[data-testid="flagged-table"] tr[data-shop-id="${shopId}"] .pill-exempt`).first().innerText())
        .toContain('exempted');

    // The audit log, on the screen: exactly three exemption entries, one per shop, each naming Alice.
    await alice.getByTestId('tab-audit').click();
    await alice.getByTestId('audit-filter-action').selectOption({ label: 'Decision: exempted' });
    await alice.getByRole('button', { name: 'Apply' }).click();
    await alice.waitForURL(/action=decision\.exempt/);
    const rows = alice.locator('[data-testid="audit-table"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    expect(texts.map((t) => exempted.find((s) => t.includes(`alice@example.com exempted ${s} from its restrictions until Dec 31, 2026.`))).sort()).toEqual(
      [...exempted].sort(),
    );
    for (const text of texts) {
      expect(text).toContain('alice@example.com (Reviewer)');
      expect(text).toContain(REASON);
    }
    await alice.screenshot({ path: path.join(SHOTS, 'workbench-audit-bulk-exempt-en.png'), fullPage: true });
    expect(await axeViolations(alice)).toEqual([]);
    // And in the API: three entries, one per shop, each Alice's, each with the one reason.
    const after = await api<AuditList>(aliceToken, '/api/audit?action=decision.exempt');
    expect(after.total).toBe(3);
    expect(after.items.map((e) => [e.shopId, e.actor, e.role, e.action]).sort()).toEqual(
      [...exempted].sort().map((s) => [s, 'alice@example.com', 'reviewer', 'decision.exempt']),
    );
    for (const e of after.items) expect(JSON.stringify(e.details)).toContain(REASON);
    await alice.context().close();

    // Carol, admin: a policy version (flag ratio 4) from 2026-11-10, activated from the simulator.
    const carol = await signInWithOidc(h, 'Carol Zhang', { query: 'tab=simulator' });
    expect(await carol.getByTestId('signed-in-as').innerText()).toBe('Admin · Carol Zhang carol@example.com');
    await carol.getByTestId('simulation-totals').waitFor({ timeout: 30_000 });
    await carol.getByTestId('sim-flagRatio').fill('4');
    await carol.getByTestId('sim-effectiveFrom').fill(EFFECTIVE);
    await carol.getByTestId('simulation-entering').waitFor({ timeout: 30_000 });
    await carol.getByLabel('New version name').fill(VERSION);
    const activate = carol.getByTestId('activate-policy');
    await expect.poll(() => activate.isEnabled(), { timeout: 30_000 }).toBe(true);
    await activate.click();
    const confirm = carol.getByRole('dialog');
    expect(await confirm.getByTestId('confirm-effective-from').innerText()).toContain('Nov 10, 2026');
    await confirm.getByRole('button').last().click();
    await carol.getByTestId('activation-report').waitFor({ timeout: 60_000 });
    expect(await carol.getByTestId('activation-done').innerText()).toContain(VERSION);

    // The platform over time: the summary names the version and its day; both charts draw the mark, labelled.
    await carol.getByTestId('tab-platform').click();
    const summary = carol.getByTestId('platform-summary');
    await summary.waitFor({ timeout: 30_000 });
    expect(await summary.innerText()).toContain(`Policy version ${VERSION} (Nov 10, 2026) took effect in this period (marked on the charts).`);
    const levels = carol.getByTestId('platform-levels-chart');
    const moves = carol.getByTestId('platform-moves-chart');
    for (const chart of [levels, moves]) {
      // One dashed line, and beside it (5 px from it, at the top; to its left this near the right edge) the label
      // naming the version, wholly inside the chart.
      const line = chart.locator('.recharts-reference-line line');
      await expect.poll(() => line.count(), { timeout: 30_000 }).toBe(1);
      const label = chart.locator('text.recharts-label');
      expect(await label.count()).toBe(1);
      expect(await label.textContent()).toBe(`policy ${VERSION}`);
      expect(await label.getAttribute('text-anchor')).toBe('end');
      expect(Number(await label.getAttribute('x'))).toBeCloseTo(Number(await line.getAttribute('x1')) - 5, 6);
      const box = (await label.boundingBox())!;
      const svg = (await chart.locator('.recharts-wrapper > svg.recharts-surface').boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(svg.x);
      expect(box.x + box.width).toBeLessThanOrEqual(svg.x + svg.width);
    }
    const marks = levels.locator('.recharts-reference-line');
    // The mark stands on 2026-11-10: the chart's tooltip at the mark's position is that day.
    const line = (await marks.locator('line').boundingBox())!;
    const plot = (await levels.locator('.recharts-cartesian-grid').boundingBox())!;
    await carol.mouse.move(line.x + line.width / 2, plot.y + plot.height / 2);
    const tooltipLabel = levels.locator('.recharts-tooltip-label');
    await expect.poll(() => tooltipLabel.textContent()).toBe('Nov 10, 2026');
    // A day's width to the right is the next day (so the check above can fail).
    const step = plot.width / 69;
    await carol.mouse.move(line.x + line.width / 2 + step, plot.y + plot.height / 2);
    await expect.poll(() => tooltipLabel.textContent()).toBe('Nov 11, 2026');
    await carol.screenshot({ path: path.join(SHOTS, 'workbench-platform-policy-mark-en.png'), fullPage: true });
    // The API the chart draws from says the same.
    const platform = await api<{ policyVersions: { version: string; effectiveFrom: string }[] }>(await tokenOf(carol), '/api/platform');
    expect(platform.policyVersions).toEqual([{ version: VERSION, effectiveFrom: EFFECTIVE }]);
    await carol.context().close();
  }, 300_000);
});

/** A reviewer's provider token, signed in through the provider in a context of its own (for API checks before the story starts). */
async function signInAndToken(): Promise<string> {
  const page = await signInWithOidc(h, 'Bob Li');
  const token = await tokenOf(page);
  await page.context().close();
  return token;
}
