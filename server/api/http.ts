// The small pieces every route uses: typed input parsing, authentication, JSON errors.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { AuthError, canReadShop, type Principal, type Role } from '../auth/tokens.js';
import { BearerVerifier, ProviderUnavailableError } from '../auth/oidc.js';

import { HttpError, badRequest, forbidden } from '../errors.js';

export { HttpError, badRequest, notFound, forbidden, conflict } from '../errors.js';

/** Parses one part of a request with a schema; a failure is a 400 that names the parameter and says why. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'query' | 'path' | 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const inside = issue.path.length ? ` in ${issue.path.join('.')}` : '';
      return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}unknown ${where} parameter(s)${inside}: ${issue.keys.join(', ')}`;
    }
    const name = issue.path.join('.') || where;
    return `${name}: ${issue.message}`;
  });
  throw badRequest(messages.join('; '));
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export interface FailedAuthLimit {
  lockedOut: (req: Request) => Promise<boolean>;
  /** Counts one failure (a limiter middleware: passes an error on past the limit). */
  countFailure: RequestHandler;
  tooMany: () => HttpError;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Requires a valid bearer token; 401 otherwise, each failure counted (429 past the limit). A token
 * verified once is taken from a bounded cache until its expiry (TokenVerifier, OidcVerifier), so a request
 * with a known token costs a Map lookup, not an HMAC or a signature check. Our HS256 tokens and, when OIDC
 * is configured, the identity provider's (told apart by `iss`) are accepted; when the provider cannot be
 * reached to check a token of its own, the answer is 503 (not counted as a failed authentication).
 */
export function authenticate(verifier: Uint8Array | BearerVerifier, limit: FailedAuthLimit): RequestHandler {
  const bearer = verifier instanceof BearerVerifier ? verifier : new BearerVerifier(verifier);
  return async (req, res, next) => {
    if (await limit.lockedOut(req)) return next(limit.tooMany());
    const fail = (message: string) => limit.countFailure(req, res, (error?: unknown) => next(error ?? new HttpError(401, 'unauthorized', message)));
    const header = req.headers.authorization ?? '';
    const match = BEARER.exec(header);
    if (!match) return fail('missing bearer token (Authorization: Bearer TOKEN)');
    try {
      req.principal = await bearer.verify(match[1]);
    } catch (error) {
      if (error instanceof ProviderUnavailableError) {
        // A failure is remembered for 30 s (OidcVerifier): asking sooner gets the same answer.
        res.setHeader('Retry-After', '30');
        return next(new HttpError(503, 'identity_provider_unavailable', error.message));
      }
      return fail(error instanceof AuthError ? error.message : 'the token is not valid');
    }
    next();
  };
}

export function principal(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthorized', 'missing bearer token');
  return req.principal;
}

export function requireRole(req: Request, ...roles: Role[]): Principal {
  const who = principal(req);
  // An admin may do everything a reviewer may.
  if (roles.includes(who.role) || (who.role === 'admin' && roles.includes('reviewer'))) return who;
  throw forbidden(`this needs the role ${roles.join(' or ')}`);
}

export function requireShop(req: Request, shopId: string): Principal {
  const who = principal(req);
  if (!canReadShop(who, shopId)) throw forbidden(`this token may not read shop ${shopId}`);
  return who;
}

export function errorHandler(logError: (error: unknown, req: Request) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '';
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: error.code, message: error.message, requestId });
      return;
    }
    const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Body parser errors and the like: say what, never how (no stack).
      const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
      res.status(status).json({ error: code, message: `body: ${(error as Error).message || 'bad request'}`, requestId });
      return;
    }
    logError(error, req);
    res.status(500).json({ error: 'internal', message: 'internal error; the request id is in the server log', requestId });
  };
}

// ---- Log redaction: no token, cookie or password reaches the request log. ----

export const REDACTED = '[redacted]';

/** Query parameters whose values are secrets: token, access_token, id_token, api_key, password, an OAuth code, … */
const SECRET_PARAM = /token|secret|passw|jwt|api[-_]?key|signature|^code$|code_verifier/i;
/** A JWT anywhere in a string (its header always begins with `{"`, base64url "eyJ"). */
const JWT_LIKE = /eyJ[\w-]*\.[\w-]+\.[\w-]*/g;
/** Headers whose values are credentials. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api[-_]?key/i;

/** `a=1&token=x` → `a=1&token=[redacted]`: the values of secret-named parameters replaced. */
function redactParams(params: string): string {
  return params
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replaceAll('+', ' '));
      } catch {
        // a malformed escape: match on the raw name
      }
      return SECRET_PARAM.test(name) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
}

/** The URL with the values of secret query (and fragment) parameters, and any JWT in it, replaced by [redacted]. */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const q = beforeHash.indexOf('?');
  let out = q === -1 ? beforeHash : `${beforeHash.slice(0, q)}?${redactParams(beforeHash.slice(q + 1))}`;
  if (hash !== -1) out += `#${redactParams(url.slice(hash + 1))}`;
  return out.replace(JWT_LIKE, REDACTED);
}

/** The request headers with credentials (Authorization, Cookie, …) replaced by [redacted], and URLs in them redacted. */
export function redactHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    if (SECRET_HEADER.test(name)) out[name] = REDACTED;
    else if (typeof value === 'string') out[name] = redactUrl(value);
    else if (Array.isArray(value)) out[name] = (value as unknown[]).map((v) => (typeof v === 'string' ? redactUrl(v) : v));
    else out[name] = value;
  }
  return out;
}
