// Sign-in through a locally run OpenID Connect provider, for the browser tests: the harness with the
// provider's tokens accepted, and `signInWithOidc(h, 'Alice Wang')` — a new browser context that opens the
// dashboard, presses "Sign in with …", picks the account on the provider's page, and comes back signed in.
// The demo accounts (server/auth/oidc-provider.ts): Alice Wang and Bob Li (reviewers), Carol Zhang (admin),
// Dave Chen (seller of the shop given).
import type { Page } from 'playwright-core';
import { demoAccounts } from '../../server/auth/oidc-provider.js';
import { OidcVerifier } from '../../server/auth/oidc.js';
import { startLocalProvider, type LocalProvider } from '../oidc-helpers.js';
import { mostSevereShop, startHarness, type Harness, type HarnessOptions } from './harness.js';

export interface OidcHarness extends Harness {
  idp: LocalProvider;
  /** The shop of the demo seller (Dave Chen): the most severe on the last day. */
  sellerShop: string;
}

/** startHarness, with a local OIDC provider whose tokens the app accepts (and its redirect URI the dashboard's origin). */
export async function startOidcHarness(options: HarnessOptions): Promise<OidcHarness> {
  const idp = await startLocalProvider();
  // No cooldown between JWKS fetches: a test may rotate the provider's key and use it at once.
  const oidc = new OidcVerifier(idp.settings, { jwksCooldownMs: 0 });
  let h: Harness;
  try {
    h = await startHarness({ ...options, app: { ...options.app, oidc } });
  } catch (error) {
    await idp.close();
    throw error;
  }
  const sellerShop = (await mostSevereShop(h.db)).shop_id;
  await idp.configure({ redirectUris: [`${h.base}/`], accounts: demoAccounts(sellerShop, { admin: true }) });
  return {
    ...h,
    idp,
    sellerShop,
    close: async () => {
      await h.close();
      await idp.close();
    },
  };
}

/**
 * A new browser context signed in as `account` (its name on the provider's page, e.g. 'Alice Wang'),
 * landing on `query` (e.g. 'tab=shop&shop=S00001'): the dashboard's address is kept through the sign-in.
 */
export async function signInWithOidc(
  h: Harness,
  account: string,
  options: {
    query?: string;
    lang?: 'en' | 'zh';
    width?: number;
    /** Off by default: the dashboard's own Content-Security-Policy must allow the provider (axe-core needs it on). */
    bypassCSP?: boolean;
    /** Runs on the dashboard's sign-in page before the button is pressed. */
    onSignInPage?: (page: Page) => Promise<void>;
  } = {},
): Promise<Page> {
  const lang = options.lang ?? 'en';
  const context = await h.browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
    bypassCSP: options.bypassCSP ?? false,
  });
  const page = await context.newPage();
  await page.goto(`${h.base}/?lang=${lang}${options.query ? `&${options.query}` : ''}`);
  const button = page.getByTestId('signin-oidc-button');
  await button.waitFor();
  await options.onSignInPage?.(page);
  await button.click();
  // The provider's page: one button per demo account.
  await page.getByRole('button', { name: account, exact: true }).click();
  await page.waitForURL((url) => url.href.startsWith(h.base) && !url.searchParams.has('code'));
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}
