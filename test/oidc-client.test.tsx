// @vitest-environment jsdom
// The dashboard's side of sign-in with the identity provider (jsdom): the button appears only when the
// server has a provider; a return with the wrong state is refused (and the code leaves the address); a
// return keeps no older token; the expiry banner offers to sign in again with the provider.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
import { captureToken, getToken, oidcSession, signInWithProvider, signOut } from '../client/app/auth';
import { SignInPage } from '../client/app/SignInPage';
import { ExpiryBanner } from '../client/app/ExpiryBanner';
import type { OidcConfig } from '../client/app/oidc-config';
import { renderWithClient } from './client/helpers';

const ISSUER = 'https://login.example.com/realms/governance';
const config: OidcConfig = {
  issuer: ISSUER,
  clientId: 'intervention-watch',
  scopes: 'openid email profile',
  resource: null,
  apiToken: 'id_token',
  displayName: 'Example SSO',
};

/** A JWT-shaped token (unsigned: the dashboard reads only its exp; the server checks it). */
const token = (claims: Record<string, unknown>) =>
  `${btoa(JSON.stringify({ alg: 'RS256' }))}.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;

function stubServer(oidc: OidcConfig | null) {
  const fetchMock = vi.fn((input: RequestInfo | URL) => {
    const url = new URL(input instanceof Request ? input.url : input, 'http://localhost');
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
    if (url.pathname === '/api/auth/config') return Promise.resolve(json({ oidc }));
    if (url.href === `${ISSUER}/.well-known/openid-configuration`)
      return Promise.resolve(
        json({
          issuer: ISSUER,
          authorization_endpoint: `${ISSUER}/auth`,
          token_endpoint: `${ISSUER}/token`,
          jwks_uri: `${ISSUER}/jwks`,
          authorization_response_iss_parameter_supported: true,
        }),
      );
    return Promise.resolve(new Response('{}', { status: 404 }));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

beforeEach(() => {
  window.localStorage.clear();
  window.sessionStorage.clear();
  window.history.replaceState(null, '', '/');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  signOut('test over');
});

describe('the sign-in page', () => {
  it('offers "Sign in with …" when the server has an identity provider', async () => {
    stubServer(config);
    captureToken();
    renderWithClient(<SignInPage reason="missing" message={null} />);
    expect((await screen.findByTestId('signin-oidc-button')).textContent).toBe('Sign in with Example SSO');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Sign in');
  });

  it('refuses a return whose state is not the one this tab sent, and takes the code out of the address', async () => {
    const fetchMock = stubServer(config);
    window.sessionStorage.setItem(
      'intervention-watch.oidc-pending',
      JSON.stringify({ issuer: ISSUER, state: 'the-state-we-sent', nonce: 'n', verifier: 'v'.repeat(43), returnTo: '/?tab=audit' }),
    );
    window.localStorage.setItem('intervention-watch.token', 'an-older-token');
    window.history.replaceState(null, '', `/?code=stolen-code&state=another-state&iss=${encodeURIComponent(ISSUER)}`);
    // A return from the provider does not sign in with whatever was kept before.
    expect(captureToken()).toBeNull();
    renderWithClient(<SignInPage reason="missing" message={null} />);
    expect((await screen.findByTestId('signin-oidc-error')).textContent).toMatch(/state/i);
    expect(window.location.search).toBe('?tab=audit');
    expect(getToken()).toBeNull();
    // The code never reached the token endpoint.
    expect(fetchMock.mock.calls.some(([input]) => String(input instanceof Request ? input.url : input).includes('/token'))).toBe(false);
  });
});

describe('a session signed in with the provider', () => {
  it('is kept with its provider; the expiry banner offers to sign in again there; signing out forgets both', async () => {
    stubServer(config);
    const exp = Math.floor(Date.now() / 1000) + 5 * 60;
    await act(async () => signInWithProvider(token({ exp, sub: 'u1' }), { config, idToken: 'id', endSession: null }));
    expect(oidcSession()?.config.displayName).toBe('Example SSO');
    renderWithClient(<ExpiryBanner token={getToken()!} />);
    const banner = screen.getByTestId('expiry-banner');
    expect(banner.textContent).toContain('sign in again with Example SSO');
    expect(screen.getByRole('button', { name: 'Sign in again now' })).not.toBeNull();
    act(() => signOut());
    expect(getToken()).toBeNull();
    expect(window.localStorage.getItem('intervention-watch.oidc-session')).toBeNull();
  });
});
