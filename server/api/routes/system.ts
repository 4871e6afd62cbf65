import { z } from 'zod';
import { HealthSchema } from '../../contracts/metrics.js';
import { dataRange } from '../../read/queries.js';
import { openApiDocument, type ApiRegistry } from '../registry.js';
import type { AppContext } from '../context.js';
import type { OidcSettings } from '../../auth/oidc.js';

/** What the dashboard needs to offer sign-in with the identity provider (nothing secret: a public client). */
export const AuthConfigSchema = z.object({
  oidc: z
    .object({
      issuer: z.string(),
      clientId: z.string(),
      scopes: z.string(),
      /** The resource (audience) the access token is asked for; null when the API takes the ID token. */
      resource: z.string().nullable(),
      apiToken: z.enum(['access_token', 'id_token']),
      displayName: z.string(),
    })
    .nullable(),
});

export function systemRoutes(api: ApiRegistry, ctx: AppContext, auth: { oidc: OidcSettings | null } = { oidc: null }): void {
  const oidc = auth.oidc;
  api.add({
    method: 'get',
    path: '/auth/config',
    access: 'public',
    summary: 'How to sign in: the identity provider (OpenID Connect, authorization code with PKCE), if one is configured',
    response: AuthConfigSchema,
    handler: () => ({
      oidc: oidc
        ? {
            issuer: oidc.issuer,
            clientId: oidc.clientId,
            scopes: oidc.scopes,
            resource: oidc.apiToken === 'access_token' && oidc.audience !== oidc.clientId ? oidc.audience : null,
            apiToken: oidc.apiToken,
            displayName: oidc.displayName,
          }
        : null,
    }),
  });
  api.add({
    method: 'get',
    path: '/health',
    access: 'public',
    summary: 'Liveness and the last day with data',
    response: HealthSchema,
    handler: async () => {
      const range = await ctx.db.read(dataRange);
      return { status: 'ok', dataFrom: range?.first ?? null, dataThrough: range?.last ?? null };
    },
  });
  api.add({
    method: 'get',
    path: '/openapi.json',
    access: 'public',
    summary: 'This document (OpenAPI 3.1)',
    handler: () => openApiDocument(api.routes),
  });
  api.add({
    method: 'get',
    path: '/me',
    access: 'any',
    summary: 'Who the token belongs to',
    response: z.object({ subject: z.string(), name: z.string().optional(), role: z.enum(['seller', 'reviewer', 'admin']), shops: z.array(z.string()) }),
    handler: ({ who }) => ({ subject: who!.subject, ...(who!.name ? { name: who!.name } : {}), role: who!.role, shops: who!.shops }),
  });
}
