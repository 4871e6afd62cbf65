// Tokens from the organisation's identity provider (OpenID Connect). A bearer token whose `iss` is
// OIDC_ISSUER is verified against the provider's published keys (its JWKS, found by discovery and fetched
// by us: any failure to fetch or read them is 503, remembered for 30 s; an unknown `kid` fetches the JWKS
// again at most every 30 s, so a rotated key works without a restart), for OIDC_AUDIENCE, not expired, and
// (with OIDC_API_TOKEN=access_token) not an ID token; then configured claims give the role, the shops, the
// subject and the name. Every other token goes the HS256 way of tokens.ts, unchanged. Verified tokens are
// cached like TokenVerifier's (by token string, never past `exp`); failures never are.
//
// Subjects: a provider's person and one of our tokens with the same subject are the same person to the
// queue's "mine" and claims (who holds a shop in review), by design: `npm run token -- --subject
// alice@example.com` is Alice. Only holders of AUTH_SECRET make our tokens and choose their subjects; a
// provider's subject is its verified e-mail address or its own `sub`, never a claim the person edits
// (README: OIDC_SUBJECT_CLAIM).
import crypto from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
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
  /**
   * How a shops claim given as one string is split (OIDC_SHOPS_SEPARATOR); unset, a string is one shop id.
   * Whitespace means any run of whitespace.
   */
  shopsSeparator?: string;
  /**
   * The subject shown in decisions and the audit log: this claim, else `sub`. For `email`, only an address
   * the provider says it verified (`email_verified: true`); otherwise `sub`.
   */
  subjectClaim: string;
  nameClaim: string;
  /** The name on the dashboard's button ("Sign in with …"). */
  displayName: string;
  /**
   * Access tokens must say `typ: at+jwt` in their header (RFC 9068; OIDC_REQUIRE_AT_JWT=1, and the demo
   * provider's). Without it an ID token is still refused as the API's token (isIdToken).
   */
  requireAtJwt?: boolean;
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

/**
 * Shops from a list; a single string is one shop id ("Shop A" is the shop "Shop A", never "Shop" and "A"),
 * split only with an explicit `separator` (OIDC_SHOPS_SEPARATOR; whitespace: any run of whitespace).
 */
export function shopsFrom(value: unknown, separator?: string): string[] | null {
  if (value === undefined || value === null) return [];
  let list = value;
  if (typeof value === 'string') {
    const parts = !separator ? [value] : separator.trim() === '' ? value.split(/\s+/) : value.split(separator);
    list = parts.map((part) => part.trim());
  }
  if (!Array.isArray(list) || list.length > 1000) return null;
  const shops = list.filter((s): s is string => typeof s === 'string' && s.length > 0 && s.length <= 128);
  return shops.length === list.filter((s) => s !== '').length ? shops : null;
}

/** The principal the claims describe (AuthError when they do not say who or in which role). */
export function principalFromClaims(payload: JWTPayload, settings: OidcSettings): Principal {
  const role = roleFrom(claimAt(payload, settings.roleClaim));
  if (!role) throw new AuthError(`the identity provider's token carries no role: claim ${settings.roleClaim} must be one of ${ROLES.join(', ')}`);
  const shops = shopsFrom(claimAt(payload, settings.shopsClaim), settings.shopsSeparator);
  if (shops === null) throw new AuthError(`the identity provider's token has a bad ${settings.shopsClaim} claim: expected a list of shop ids`);
  if (role === 'seller' && shops.length === 0) throw new AuthError(`a seller's token needs at least one shop in claim ${settings.shopsClaim}`);
  // Only an address the provider says it verified names the person (anyone could type alice's into a
  // profile): without `email_verified: true` (false, absent, "true" as a string), `sub` does.
  const unverified = settings.subjectClaim === 'email' && payload.email_verified !== true;
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
  /** Least time between two JWKS fetches for an unknown key (default 30 s; tests use 0). */
  jwksCooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again (default 10 minutes). */
  jwksMaxAgeMs?: number;
  /**
   * How long a failed fetch (discovery or JWKS: unreachable, not 200, not JSON, not a key set) is remembered:
   * meanwhile every token of the provider is answered 503 from memory, without another fetch (default 30 s).
   */
  failureTtlMs?: number;
  fetchTimeoutMs?: number;
  maxEntries?: number;
  now?: () => number;
  /**
   * When this says why (a sentence), every token of this issuer is refused with it, cached ones too: the demo
   * provider's sign-in ends when real data is loaded (oidc-demo.ts).
   */
  closedBecause?: () => Promise<string | null> | string | null;
}

/** The largest discovery document or JWKS read (a key set is a few kilobytes). */
const MAX_DOCUMENT_BYTES = 1_000_000;

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/**
 * The provider's keys, fetched by us (not by jose's remote set, whose failures could only be told apart by
 * their wording): every failure to fetch or read the discovery document or the JWKS is a
 * ProviderUnavailableError (503), remembered for `failureTtlMs` so that a provider that is down is not asked
 * again by every request; concurrent requests share one fetch; an unknown `kid` fetches again at most once
 * per `jwksCooldownMs`.
 */
class ProviderKeys {
  private jwksUri: string | null;
  private keys: { resolve: KeyResolver; fetchedAt: number } | null = null;
  private loading: Promise<KeyResolver> | null = null;
  private failure: { error: ProviderUnavailableError; until: number } | null = null;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  /** Outbound requests made (discovery and JWKS), for the tests. */
  fetches = 0;

  constructor(
    private readonly issuer: string,
    private readonly options: OidcVerifierOptions,
    private readonly now: () => number,
  ) {
    this.jwksUri = options.jwksUri ?? null;
  }

  /** The key set, fetched when there is none yet or it is older than its maximum age. */
  current(): Promise<KeyResolver> {
    if (this.keys && this.now() - this.keys.fetchedAt < (this.options.jwksMaxAgeMs ?? 600_000)) return Promise.resolve(this.keys.resolve);
    return this.load();
  }

  /** After an unknown `kid`: the key set fetched again, or null when it was fetched within the cooldown. */
  async refreshed(): Promise<KeyResolver | null> {
    if (this.loading) return this.loading;
    if (this.now() - this.lastFetchAt < (this.options.jwksCooldownMs ?? 30_000)) return null;
    return this.load();
  }

  private load(): Promise<KeyResolver> {
    if (this.loading) return this.loading;
    if (this.failure && this.now() < this.failure.until) return Promise.reject(this.failure.error);
    this.lastFetchAt = this.now();
    const loading = this.fetchKeys().then(
      (resolve) => {
        this.keys = { resolve, fetchedAt: this.now() };
        this.failure = null;
        return resolve;
      },
      (error: unknown) => {
        const ttl = this.options.failureTtlMs ?? 30_000;
        const cause = error instanceof ProviderUnavailableError ? error.message : `the identity provider could not be asked: ${(error as Error).message}`;
        const failure = new ProviderUnavailableError(`${cause} (not asked again for ${Math.ceil(ttl / 1000)} s)`);
        this.failure = { error: failure, until: this.now() + ttl };
        throw failure;
      },
    );
    this.loading = loading;
    void loading.then(
      () => (this.loading = null),
      () => (this.loading = null),
    );
    return loading;
  }

  /** One GET of a JSON document; any failure (network, timeout, status, size, not JSON) is a ProviderUnavailableError. */
  private async getJson(url: string, what: string): Promise<unknown> {
    this.fetches++;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 5000), headers: { accept: 'application/json' } });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      if (Number(res.headers.get('content-length') ?? 0) > MAX_DOCUMENT_BYTES) throw new Error(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
      const text = await res.text();
      if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ProviderUnavailableError(`the identity provider's ${what} (${url}) could not be read: ${(error as Error).message}`);
    }
  }

  private async fetchKeys(): Promise<KeyResolver> {
    if (!this.jwksUri) {
      const discovery = `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const doc = (await this.getJson(discovery, 'discovery document')) as { issuer?: unknown; jwks_uri?: unknown } | null;
      if (doc?.issuer !== this.issuer)
        throw new ProviderUnavailableError(`the discovery document names issuer ${String(doc?.issuer)}, not OIDC_ISSUER ${this.issuer}`);
      if (typeof doc.jwks_uri !== 'string') throw new ProviderUnavailableError('the discovery document has no jwks_uri');
      this.jwksUri = doc.jwks_uri;
    }
    const jwks = await this.getJson(this.jwksUri, 'key set (JWKS)');
    try {
      return createLocalJWKSet(jwks as JSONWebKeySet);
    } catch (error) {
      throw new ProviderUnavailableError(`the identity provider's key set (${this.jwksUri}) is not a JSON Web Key Set: ${(error as Error).message}`);
    }
  }
}

/** RFC 9068's media type of a JWT access token, in the `typ` header (with or without "application/"). */
function typedAsAccessToken(header: JWTHeaderParameters): boolean {
  return typeof header.typ === 'string' && /^(application\/)?at\+jwt$/i.test(header.typ);
}

/**
 * Whether a token that passed every check is an ID token rather than an access token (OIDC_API_TOKEN=access_token;
 * with the default audience, the client id, an ID token would pass the audience check). `at+jwt` in the header
 * (RFC 9068: oidc-provider, Auth0's profile, …) is an access token; Keycloak says which in its `typ` claim
 * (`ID` or `Bearer`); otherwise a token carrying what only ID tokens carry (`nonce`, which the dashboard
 * always sends, `at_hash`, `c_hash`, `s_hash`) is one. Azure AD / Entra ID and Okta access tokens carry
 * none of these.
 */
export function isIdToken(header: JWTHeaderParameters, payload: JWTPayload): boolean {
  if (typedAsAccessToken(header)) return false;
  if (payload.typ === 'ID') return true;
  if (payload.typ === 'Bearer') return false;
  return ['nonce', 'at_hash', 'c_hash', 's_hash'].some((claim) => claim in payload);
}

/** Verifies the provider's tokens, with a cache of successes by token string (never past `exp`). */
export class OidcVerifier {
  private readonly keys: ProviderKeys;
  private readonly cache = new Map<string, { principal: Principal; expiresAtMs: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    readonly settings: OidcSettings,
    private readonly options: OidcVerifierOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? TOKEN_CACHE_SIZE;
    this.now = options.now ?? Date.now;
    this.keys = new ProviderKeys(settings.issuer, options, this.now);
  }

  /** Outbound requests made for discovery and the JWKS so far. */
  get fetches(): number {
    return this.keys.fetches;
  }

  /** Why this issuer's tokens are refused now (the demo's sign-in ended), or null. */
  async closedBecause(): Promise<string | null> {
    return (await this.options.closedBecause?.()) ?? null;
  }

  /** The key for a token: from the key set, fetched again once for an unknown `kid` (not within the cooldown). */
  private readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const resolve = await this.keys.current();
    try {
      return await this.keyFrom(resolve, header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const fresh = await this.keys.refreshed();
      if (!fresh || fresh === resolve) throw error;
      return this.keyFrom(fresh, header, token);
    }
  };

  /** A key from a key set; a published key that cannot be read is the provider's problem (503), not the token's. */
  private async keyFrom(resolve: KeyResolver, header: JWSHeaderParameters, token: FlattenedJWSInput) {
    try {
      return await resolve(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) throw error;
      throw new ProviderUnavailableError(`a key the identity provider publishes could not be read: ${(error as Error).message}`);
    }
  }

  async verify(token: string): Promise<Principal> {
    const closed = await this.closedBecause();
    if (closed) throw new AuthError(closed);
    const hit = this.cache.get(token);
    if (hit) {
      if (this.now() < hit.expiresAtMs) return hit.principal;
      this.cache.delete(token);
    }
    let payload: JWTPayload;
    let header: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, this.getKey, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      throw this.explain(error);
    }
    if (this.settings.apiToken === 'access_token') {
      if (this.settings.requireAtJwt && !typedAsAccessToken(header))
        throw new AuthError(
          `the API accepts only access tokens typed at+jwt (RFC 9068) from this identity provider, not ${String(header.typ ?? 'an untyped JWT')}`,
        );
      if (isIdToken(header, payload))
        throw new AuthError('an ID token is not accepted by the API: it takes the access token (OIDC_API_TOKEN=access_token); sign in again');
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
    // Our own key fetching marks its failures: the provider's fault, 503 (never told apart by wording).
    if (error instanceof ProviderUnavailableError) return error;
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
