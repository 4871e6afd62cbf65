import { z } from 'zod';
import { HealthSchema } from '../../contracts/metrics.js';
import { dataRange } from '../../read/queries.js';
import { openApiDocument, type ApiRegistry } from '../registry.js';
import type { AppContext } from '../context.js';

export function systemRoutes(api: ApiRegistry, ctx: AppContext): void {
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
    response: z.object({ subject: z.string(), role: z.enum(['seller', 'reviewer', 'admin']), shops: z.array(z.string()) }),
    handler: ({ who }) => ({ subject: who!.subject, role: who!.role, shops: who!.shops }),
  });
}
