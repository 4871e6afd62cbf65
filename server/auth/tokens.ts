// Bearer tokens: JWTs signed with HS256 (jose). A seller's token carries the shop ids it may read.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';

export const ROLES = ['seller', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** Who acts (an e-mail address or a login): shown in decisions, appeals and the audit log. */
  subject: string;
  /** The person's display name, when the token carries one. */
  name?: string;
  role: Role;
  /** For sellers: the shops they may read. Reviewers and admins read every shop. */
  shops: string[];
}

const Claims = z.object({
  sub: z.string().min(1),
  name: z.string().min(1).max(200).optional(),
  role: z.enum(ROLES),
  shops: z.array(z.string().min(1).max(128)).max(1000).default([]),
});

const ISSUER = 'intervention-watch';
const ALGORITHM = 'HS256';

/** The shortest secret accepted: 32 bytes, the size of an HS256 key (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

/** Refuses a secret shorter than MIN_SECRET_BYTES, naming where it came from. */
function checkSecretLength(secret: string, where: string): void {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    throw new Error(`${where} is ${bytes} bytes long; it must be at least ${MIN_SECRET_BYTES} bytes (for example the output of \`openssl rand -hex 32\`)`);
  }
}

/**
 * AUTH_SECRET, or a random secret kept in the data folder (made on first use, readable by its owner only).
 * A secret shorter than 32 bytes is refused with an error that names it.
 */
export function resolveSecret(authSecret: string | undefined, dataDir: string): Uint8Array {
  if (authSecret) {
    checkSecretLength(authSecret, 'AUTH_SECRET');
    return new TextEncoder().encode(authSecret);
  }
  const file = path.join(dataDir, '.auth-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process made it first
    }
  }
  const kept = fs.readFileSync(file, 'utf8').trim();
  checkSecretLength(kept, `the secret in ${file} (used because AUTH_SECRET is not set)`);
  return new TextEncoder().encode(kept);
}

/**
 * Signs a token. `subject` is the person who acts; a seller's defaults to `seller:SHOP,…` and a reviewer's
 * or admin's to the role name (only code calls it without one: `npm run token` and `npm start` always name
 * a person). `name` is an optional display name.
 */
export async function signToken(
  secret: Uint8Array,
  principal: { role: Role; shops?: string[]; subject?: string; name?: string },
  expiresIn = '30d',
): Promise<string> {
  if (principal.role === 'seller' && !(principal.shops && principal.shops.length > 0)) throw new Error('a seller token needs at least one shop');
  if (principal.subject !== undefined && principal.subject.trim() === '') throw new Error('subject: must not be empty');
  if (principal.name !== undefined && (principal.name.trim() === '' || principal.name.length > 200)) throw new Error('name: must be 1 to 200 characters');
  const claims: Record<string, unknown> = { role: principal.role, shops: principal.role === 'seller' ? principal.shops : [] };
  if (principal.name !== undefined) claims.name = principal.name.trim();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(principal.subject?.trim() ?? defaultSubject(principal.role, principal.shops))
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret);
}

/** The subject a token gets when none is given: `seller:SHOP,…` for a seller, the role name otherwise. */
export function defaultSubject(role: Role, shops: string[] = []): string {
  return role === 'seller' ? `seller:${shops.join(',')}` : role;
}

export class AuthError extends Error {}

/** The secret as a key object, imported once (jose would import raw bytes again on every verify). */
export function verificationKey(secret: Uint8Array): crypto.KeyObject {
  return crypto.createSecretKey(secret);
}

export async function verifyToken(secret: Uint8Array | crypto.KeyObject, token: string): Promise<Principal> {
  try {
    // Only HS256 is accepted: 'none' and every other algorithm fail here.
    const { payload } = await jwtVerify(token, secret, { algorithms: [ALGORITHM], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
    const claims = Claims.parse(payload);
    if (claims.role === 'seller' && claims.shops.length === 0) throw new AuthError('a seller token without shops');
    return { subject: claims.sub, role: claims.role, shops: claims.shops, ...(claims.name ? { name: claims.name } : {}) };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new AuthError('the token has expired');
    if (error instanceof AuthError) throw error;
    throw new AuthError('the token is not valid');
  }
}

/** How many verified tokens a TokenVerifier keeps (the oldest is dropped first). */
export const TOKEN_CACHE_SIZE = 10_000;

/**
 * verifyToken with a cache of the tokens it verified, by token string: a token seen before is not
 * verified again until its `exp` (never longer), and at most `maxEntries` are kept, the oldest dropped
 * first. Only successes are kept; a failure is verified (and refused) every time.
 */
export class TokenVerifier {
  private readonly key: crypto.KeyObject;
  private readonly cache = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(
    secret: Uint8Array | crypto.KeyObject,
    private readonly maxEntries = TOKEN_CACHE_SIZE,
    private readonly now: () => number = Date.now,
  ) {
    this.key = secret instanceof Uint8Array ? verificationKey(secret) : secret;
  }

  get size(): number {
    return this.cache.size;
  }

  async verify(token: string): Promise<Principal> {
    const hit = this.cache.get(token);
    if (hit) {
      // jose refuses a token when exp <= now (in whole seconds); a cached one lives until the same instant.
      if (this.now() < hit.expiresAtMs) return hit.principal;
      this.cache.delete(token);
    }
    const principal = await verifyToken(this.key, token);
    const exp = expiryOf(token);
    if (exp !== null && this.maxEntries > 0) {
      if (this.cache.size >= this.maxEntries) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
      // Frozen: every request with this token shares the one object.
      const shared = Object.freeze({ ...principal, shops: Object.freeze([...principal.shops]) as string[] });
      this.cache.set(token, { principal: shared, expiresAtMs: exp * 1000 });
      return shared;
    }
    return principal;
  }
}

/** The `exp` claim (seconds) of a token already verified, or null when it cannot be read. */
function expiryOf(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp : null;
  } catch {
    return null;
  }
}

export function canReadShop(principal: Principal, shopId: string): boolean {
  return principal.role !== 'seller' || principal.shops.includes(shopId);
}
