// What every browser test file sets up: the dashboard built from the sources now (the production build
// that `npm run build` serves, into a folder of the file's own so that concurrent builds do not collide),
// a generated demo data set loaded into a temp database, the app on a free port, and Debian's Chromium
// driven by playwright-core (found as `npm test` found it: CHROMIUM_PATH first).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { createApp, type AppOptions } from '../../server/api/app.js';
import { PROJECT_ROOT } from '../../server/config.js';
import { queryRows, type Database } from '../../server/db/database.js';
import { generateDemo } from '../../server/generate/demo.js';
import { ingest, openTempDb, tempDir } from '../helpers.js';
import { chromiumMissingMessage, findChromium } from '../setup/chromium.js';

const run = promisify(execFile);

export const SHOTS = path.join(PROJECT_ROOT, 'test-results', 'screenshots');

export interface Harness {
  db: Database;
  server: Server;
  base: string;
  browser: Browser;
  close: () => Promise<void>;
}

export interface HarnessOptions {
  /** Names the build folder (test-results/build-NAME) and the temp folders. */
  name: string;
  secret: Uint8Array;
  demo: { shops: number; days: number; seed: number; end: string };
  /** More options for createApp (e.g. webhookAllowHosts); db, secret and clientDir are the harness's. */
  app?: Partial<Omit<AppOptions, 'db' | 'secret' | 'clientDir'>>;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(chromiumMissingMessage());
  const outDir = path.join(PROJECT_ROOT, 'test-results', `build-${options.name}`);
  // Vitest sets NODE_ENV=test, which the build would inherit and ship React's development build
  // (StrictMode's double effects, 550 kB instead of 330 kB) — not what `npm run build` serves.
  await run(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error', '--outDir', outDir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const demo = tempDir(`iw-${options.name}-`);
  await generateDemo({ ...options.demo, out: demo });
  const { db } = await openTempDb();
  expect((await ingest(db, [demo])).exitCode).toBe(0);
  const app = createApp({ ...options.app, db, secret: options.secret, clientDir: outDir });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const browser = await chromium.launch({
    executablePath,
    // The flags Chromium needs here: as root, no GPU, and no background traffic to a closed network.
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
  return {
    db,
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    browser,
    close: async () => {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}

/** The most severe shop on the last day (highest ratio), with its name and that day. */
export async function mostSevereShop(db: Database): Promise<{ shop_id: string; shop_name: string; day: string }> {
  const rows = await db.read((conn) =>
    queryRows<{ shop_id: string; shop_name: string; day: string }>(
      conn,
      `SELECT d.shop_id, s.shop_name, strftime(d.day, '%Y-%m-%d') AS day FROM shop_day d JOIN shops s USING (shop_id)
       WHERE d.day = (SELECT last_day FROM data_range) AND d.level = 'severe' ORDER BY d.ratio DESC, d.shop_id LIMIT 1`,
    ),
  );
  expect(rows.length).toBe(1);
  return rows[0];
}

/** A new browser context signed in with the token; `lang` sets the browser's locale (and the address's lang when asked). */
export async function openPage(
  h: Harness,
  token: string,
  options: { query?: string; lang?: 'en' | 'zh'; width?: number; langInAddress?: boolean } = {},
): Promise<Page> {
  const lang = options.lang ?? 'en';
  const context = await h.browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
    bypassCSP: true,
  });
  const page = await context.newPage();
  const langParam = options.langInAddress === false ? '' : `&lang=${lang}`;
  await page.goto(`${h.base}/?token=${token}${langParam}${options.query ? `&${options.query}` : ''}`);
  return page;
}

/** The WCAG 2 A and AA violations axe-core finds on the page. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
  await page.addScriptTag({ path: path.join(PROJECT_ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
}
