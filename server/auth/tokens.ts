// Bearer tokens: JWTs signed with HS256 (jose). A seller's token carries the shop ids it may read.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';

export const ROLES = ['seller', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
  /** For sellers: the shops they may read. Reviewers and admins read every shop. */
  shops: string[];
}

const Claims = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  shops: z.array(z.string().min(1).max(128)).max(1000).default([]),
});

const ISSUER = 'intervention-watch';
const ALGORITHM = 'HS256';

/** AUTH_SECRET, or a random secret kept in the data folder (made on first use, readable by its owner only). */
export function resolveSecret(authSecret: string | undefined, dataDir: string): Uint8Array {
  if (authSecret) return new TextEncoder().encode(authSecret);
  const file = path.join(dataDir, '.auth-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process made it first
    }
  }
  return new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim());
}

export async function signToken(secret: Uint8Array, principal: { role: Role; shops?: string[]; subject?: string }, expiresIn = '30d'): Promise<string> {
  if (principal.role === 'seller' && !(principal.shops && principal.shops.length > 0)) throw new Error('a seller token needs at least one shop');
  return new SignJWT({ role: principal.role, shops: principal.role === 'seller' ? principal.shops : [] })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(principal.subject ?? (principal.role === 'seller' ? `seller:${principal.shops!.join(',')}` : principal.role))
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret);
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
    return { subject: claims.sub, role: claims.role, shops: claims.shops };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new AuthError('the token has expired');
    if (error instanceof AuthError) throw error;
    throw new AuthError('the token is not valid');
  }
}

export function canReadShop(principal: Principal, shopId: string): boolean {
  return principal.role !== 'seller' || principal.shops.includes(shopId);
}
