// Tokens from the organisation's identity provider (OpenID Connect). A bearer token whose `iss` is
// OIDC_ISSUER is verified against the provider's published keys (its JWKS, found by discovery; an
// unknown `kid` fetches the JWKS again, so a rotated key works without a restart), for OIDC_AUDIENCE, and
// not expired; then configured claims give the role, the shops, the subject and the name. Every other
// token goes the HS256 way of tokens.ts, unchanged. Verified tokens are cached like TokenVerifier's
// (by token string, never past `exp`); failures never are.
import crypto from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AuthError, ROLES, TOKEN_CACHE_SIZE, TokenVerifier, type Principal, type Role } from './tokens.js';

export interface OidcSettings {
  /** The provider's issuer URL, exactly as its tokens carry it in `iss`. */
  issuer: string;
  /** The dashboard's client id at the provider (a public client using PKCE). */
  clientId: string;
  /** The `aud` the API requires (default: the client id). */
  audience: string;
  /** Scopes the dashboard asks for. */
  scopes: string;
  /** Which token the dashboard sends to the API: the access token (a JWT for `audience`) or the ID token. */
  apiToken: 'access_token' | 'id_token';
  /** Claim names (a dotted path reads a nested claim, e.g. realm_access.roles). */
  roleClaim: string;
  shopsClaim: string;
  /** The subject shown in decisions and the audit log: this claim, else `sub`. */
  subjectClaim: string;
  nameClaim: string;
  /** The name on the dashboard's button ("Sign in with …"). */
  displayName: string;
}

/** Asymmetric algorithms only: an HS256 token can never claim to come from the provider. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The identity provider could not be reached (discovery or JWKS): not the token's fault, so 503. */
export class ProviderUnavailableError extends Error {}

/** The value at a dotted path of the claims (`realm_access.roles`); a claim whose own name has dots wins. */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The role from a claim holding one role or a list (the highest of admin > reviewer > seller wins; other values are ignored). */
export function roleFrom(value: unknown): Role | null {
  const values = Array.isArray(value) ? value : [value];
  for (const role of ['admin', 'reviewer', 'seller'] as const) if (values.includes(role)) return role;
  return null;
}

/** Shops from a list or a comma- or space-separated string. */
export function shopsFrom(value: unknown): string[] | null {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.split(/[\s,]+/) : value;
  if (!Array.isArray(list) || list.length > 1000) return null;
  const shops = list.filter((s): s is string => typeof s === 'string' && s.length > 0 && s.length <= 128);
  return shops.length === list.filter((s) => s !== '').length ? shops : null;
}

/** The principal the claims describe (AuthError when they do not say who or in which role). */
export function principalFromClaims(payload: JWTPayload, settings: OidcSettings): Principal {
  const role = roleFrom(claimAt(payload, settings.roleClaim));
  if (!role) throw new AuthError(`the identity provider's token carries no role: claim ${settings.roleClaim} must be one of ${ROLES.join(', ')}`);
  const shops = shopsFrom(claimAt(payload, settings.shopsClaim));
  if (shops === null) throw new AuthError(`the identity provider's token has a bad ${settings.shopsClaim} claim: expected a list of shop ids`);
  if (role === 'seller' && shops.length === 0) throw new AuthError(`a seller's token needs at least one shop in claim ${settings.shopsClaim}`);
  // An address the provider says it has not verified does not name the person (anyone could type alice's): `sub` then.
  const unverified = settings.subjectClaim === 'email' && payload.email_verified === false;
  const preferred = unverified ? undefined : claimAt(payload, settings.subjectClaim);
  const subject = typeof preferred === 'string' && preferred.trim() ? preferred.trim() : payload.sub;
  if (!subject) throw new AuthError(`the identity provider's token names nobody: neither ${settings.subjectClaim} nor sub`);
  const name = claimAt(payload, settings.nameClaim);
  return {
    subject: subject.slice(0, 320),
    role,
    shops: role === 'seller' ? shops : [],
    ...(typeof name === 'string' && name.trim() ? { name: name.trim().slice(0, 200) } : {}),
  };
}

export interface OidcVerifierOptions {
  /** The JWKS address (default: jwks_uri from the issuer's discovery document). */
  jwksUri?: string;
  /** Least time between two JWKS fetches for an unknown key (default 30 s, jose's; tests use 0). */
  jwksCooldownMs?: number;
  fetchTimeoutMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/** Verifies the provider's tokens, with a cache of successes by token string (never past `exp`). */
export class OidcVerifier {
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  private jwksLoading: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  private readonly cache = new Map<string, { principal: Principal; expiresAtMs: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    readonly settings: OidcSettings,
    private readonly options: OidcVerifierOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? TOKEN_CACHE_SIZE;
    this.now = options.now ?? Date.now;
  }

  /** The key set, from the discovery document the first time it is needed (the provider may start after us). */
  private async keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    this.jwksLoading ??= (async () => {
      let uri = this.options.jwksUri;
      if (!uri) {
        const discovery = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
        let doc: { issuer?: unknown; jwks_uri?: unknown };
        try {
          const res = await fetch(discovery, { signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 5000), headers: { accept: 'application/json' } });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          doc = (await res.json()) as typeof doc;
        } catch (error) {
          throw new ProviderUnavailableError(`the identity provider's discovery document (${discovery}) could not be read: ${(error as Error).message}`);
        }
        if (doc.issuer !== this.settings.issuer)
          throw new ProviderUnavailableError(`the discovery document names issuer ${String(doc.issuer)}, not OIDC_ISSUER ${this.settings.issuer}`);
        if (typeof doc.jwks_uri !== 'string') throw new ProviderUnavailableError('the discovery document has no jwks_uri');
        uri = doc.jwks_uri;
      }
      return createRemoteJWKSet(new URL(uri), {
        cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
        timeoutDuration: this.options.fetchTimeoutMs ?? 5000,
      });
    })();
    try {
      this.jwks = await this.jwksLoading;
      return this.jwks;
    } finally {
      this.jwksLoading = null;
    }
  }

  async verify(token: string): Promise<Principal> {
    const hit = this.cache.get(token);
    if (hit) {
      if (this.now() < hit.expiresAtMs) return hit.principal;
      this.cache.delete(token);
    }
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      throw this.explain(error);
    }
    const principal = principalFromClaims(payload, this.settings);
    const shared = Object.freeze({ ...principal, shops: Object.freeze([...principal.shops]) as string[] });
    if (this.maxEntries > 0 && typeof payload.exp === 'number') {
      if (this.cache.size >= this.maxEntries) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
      this.cache.set(token, { principal: shared, expiresAtMs: payload.exp * 1000 });
    }
    return shared;
  }

  /** A failure in words for the person (never the token itself). */
  private explain(error: unknown): Error {
    if (error instanceof joseErrors.JWTExpired) return new AuthError('the token has expired: sign in again');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === 'aud') return new AuthError(`the identity provider's token is for another audience (this API accepts ${this.settings.audience})`);
      if (error.claim === 'nbf') return new AuthError('the token is not valid yet');
      return new AuthError(`the identity provider's token has a bad ${error.claim} claim`);
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey)
      return new AuthError('the token is signed with a key the identity provider does not publish (unknown kid): sign in again');
    if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return new AuthError('the token names no key the identity provider publishes unambiguously');
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      return new AuthError("the token's signature does not verify with the identity provider's keys");
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return new AuthError("the token's algorithm is not accepted for the identity provider's tokens");
    if (error instanceof joseErrors.JWKSTimeout || (error instanceof joseErrors.JOSEError && /JWKS|fetch/i.test(error.message)))
      return new ProviderUnavailableError(`the identity provider's keys could not be fetched: ${error.message}`);
    if (error instanceof TypeError || (error as Error)?.name === 'AbortError')
      return new ProviderUnavailableError(`the identity provider's keys could not be fetched: ${(error as Error).message}`);
    return new AuthError('the token is not valid');
  }
}

/** The unverified `iss` of a JWT (to route it), or null when it is not one. */
function issuerOf(token: string): string | null {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

function algorithmOf(token: string): string | null {
  try {
    return decodeProtectedHeader(token).alg ?? null;
  } catch {
    return null;
  }
}

/**
 * The bearer tokens the API accepts: the provider's (routed by `iss`) when OIDC is configured, and ours
 * (HS256, `npm run token`, sign-in links) always.
 */
export class BearerVerifier {
  private readonly ours: TokenVerifier;
  readonly oidc: OidcVerifier | null;

  constructor(secret: Uint8Array | crypto.KeyObject, oidc: OidcSettings | OidcVerifier | null = null) {
    this.ours = new TokenVerifier(secret);
    this.oidc = oidc === null ? null : oidc instanceof OidcVerifier ? oidc : new OidcVerifier(oidc);
  }

  async verify(token: string): Promise<Principal> {
    if (!this.oidc) return this.ours.verify(token);
    const iss = issuerOf(token);
    if (iss === this.oidc.settings.issuer) return this.oidc.verify(token);
    try {
      return await this.ours.verify(token);
    } catch (error) {
      // A provider-style token from somewhere else: say so, rather than "not valid".
      const alg = error instanceof AuthError && iss !== 'intervention-watch' ? algorithmOf(token) : null;
      if (alg !== null && alg !== 'HS256')
        throw new AuthError(`the token's issuer is not accepted: this server accepts tokens from ${this.oidc.settings.issuer} and its own`);
      throw error;
    }
  }
}
