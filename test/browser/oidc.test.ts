// Sign-in with the organisation's identity provider in a real Chromium: a locally run OpenID Connect
// provider (oidc-provider, the demo's accounts), the authorization code flow with PKCE from the built
// dashboard. Two reviewers sign in by name in two browser contexts; one of them exempts the most severe
// shop and finds her e-mail address in the audit log; signing out signs out at the provider too.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, mostSevereShop, SHOTS } from './harness.js';
import { signInWithOidc, startOidcHarness, type OidcHarness } from './oidc-helpers.js';

const secret = new TextEncoder().encode('browser-oidc-secret-0123456789abcdef');

let h: OidcHarness;
let shop: string;

beforeAll(async () => {
  h = await startOidcHarness({ name: 'oidc', secret, demo: { shops: 200, days: 60, seed: 5, end: '2026-11-20' } });
  shop = (await mostSevereShop(h.db)).shop_id;
}, 180_000);

afterAll(async () => {
  await h?.close();
});

describe('sign-in with the identity provider', () => {
  it('Alice and Bob sign in by name in two browser contexts; each sees their own name', async () => {
    const alice = await signInWithOidc(h, 'Alice Wang', {
      bypassCSP: true, // for axe-core; the other tests sign in under the dashboard's real CSP
      onSignInPage: async (page) => {
        expect(await page.getByTestId('signin-oidc-button').innerText()).toBe('Sign in with Test identity provider');
        expect(await axeViolations(page)).toEqual([]);
        await page.screenshot({ path: path.join(SHOTS, 'signin-oidc-en.png') });
      },
    });
    const bob = await signInWithOidc(h, 'Bob Li');
    expect(await alice.getByTestId('signed-in-as').innerText()).toContain('Alice Wang');
    expect(await alice.getByTestId('signed-in-as').innerText()).toContain('alice@example.com');
    expect(await bob.getByTestId('signed-in-as').innerText()).toContain('Bob Li');
    expect(await bob.getByTestId('signed-in-as').innerText()).toContain('bob@example.com');
    // Nothing of the flow stays in the address; the token the API takes is a provider's JWT for the API.
    expect(alice.url()).not.toMatch(/code=|state=/);
    const token = await alice.evaluate(() => localStorage.getItem('intervention-watch.token'));
    const claims = JSON.parse(Buffer.from(token!.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ iss: h.idp.issuer, aud: 'urn:intervention-watch:api', email: 'alice@example.com', iw_role: 'reviewer' });
    await alice.getByTestId('flagged-table').waitFor();
    await alice.screenshot({ path: path.join(SHOTS, 'governance-oidc-alice-en.png') });
    await alice.context().close();
    await bob.context().close();
  });

  it('as Alice, exempts the most severe shop (landing on it through the sign-in) and finds alice@example.com in the audit log', async () => {
    const page = await signInWithOidc(h, 'Alice Wang', { query: `tab=shop&shop=${shop}` });
    // The address asked for before the sign-in is where she lands.
    expect(new URL(page.url()).searchParams.get('shop')).toBe(shop);
    const form = page.getByTestId('decision-form');
    await form.waitFor();
    await form.getByLabel('Action').selectOption('exempt');
    await form.getByLabel('Exempt until').fill('2026-12-31');
    await form.getByLabel('Reason').fill('Flood in the region, confirmed by logistics');
    await form.getByRole('button', { name: 'Record decision…' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('decision-saved').waitFor();
    await page.getByTestId('tab-audit').click();
    const audit = page.getByTestId('audit-table');
    await audit.waitFor();
    await expect.poll(() => audit.innerText()).toContain('Flood in the region');
    expect(await audit.innerText()).toContain('alice@example.com');
    await page.context().close();
  });

  it('signing out ends the session at the provider too: the next sign-in asks which account again', async () => {
    const page = await signInWithOidc(h, 'Bob Li');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('signin-page').waitFor();
    await expect.poll(() => page.getByTestId('signin-page').getAttribute('data-reason')).toBe('signed_out');
    expect(await page.evaluate(() => localStorage.getItem('intervention-watch.token'))).toBeNull();
    await page.getByTestId('signin-oidc-button').click();
    await page.getByRole('button', { name: 'Alice Wang', exact: true }).click();
    await page.getByTestId('signed-in-name').waitFor();
    expect(await page.getByTestId('signed-in-as').innerText()).toContain('alice@example.com');
    await page.context().close();
  });

  it('a provider key rotated while the server runs: the next sign-in works without a restart', async () => {
    await h.idp.rotate({ keepOld: false });
    const page = await signInWithOidc(h, 'Bob Li');
    await page.getByTestId('flagged-table').waitFor();
    expect(await page.getByTestId('signed-in-as').innerText()).toContain('Bob Li');
    await page.context().close();
  });
});
