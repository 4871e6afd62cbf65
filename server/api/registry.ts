// Every API route is declared once: its path, who may call it, and the schemas of its parameters,
// body and answer. The declaration registers the Express handler (parse → authorize → handler →
// JSON) and is the source of the OpenAPI document, so the two cannot drift apart.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Principal } from '../auth/tokens.js';
import { forbidden, parse, principal, requireShop } from './http.js';

/**
 * public: no token. any: any valid token. shop: a seller of that :shopId, a reviewer or an admin.
 * seller-shop: only a seller of that :shopId. reviewer: reviewer or admin. admin: admin only.
 */
export type Access = 'public' | 'any' | 'shop' | 'seller-shop' | 'reviewer' | 'admin';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  /** delete: no body; answers 200 with the JSON of what was deleted. */
  method: 'get' | 'post' | 'delete';
  /** Express path, e.g. /shops/:shopId/metrics (under /api). */
  path: string;
  summary: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The JSON answer's schema (undefined for non-JSON answers). */
  response?: z.ZodType;
  /** Other content types the route can answer with (e.g. text/csv). */
  produces?: string[];
  /** The success status (default: 201 for POST, 200 for GET). */
  status?: 200 | 201;
  /** Runs after authorization and before the body is parsed (e.g. a multipart reader). */
  middleware?: RequestHandler[];
  /** Documents a request body that is not JSON (e.g. multipart/form-data). */
  requestContent?: Record<string, unknown>;
  handler: (input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; who: Principal | null; req: Request; res: Response }) => unknown;
}

export interface RegisteredRoute {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  produces?: string[];
  requestContent?: Record<string, unknown>;
  status?: 200 | 201;
}

const NoInput = z.object({}).strict();

export class ApiRegistry {
  readonly routes: RegisteredRoute[] = [];

  constructor(
    private readonly publicRouter: Router,
    private readonly privateRouter: Router,
  ) {}

  add<P extends z.ZodType = typeof NoInput, Q extends z.ZodType = typeof NoInput, B extends z.ZodType = typeof NoInput>(spec: RouteSpec<P, Q, B>): void {
    const { handler, middleware, ...declared } = spec;
    this.routes.push(declared);
    const router = spec.access === 'public' ? this.publicRouter : this.privateRouter;
    // Path parameters are checked and the caller authorized before anything else is read.
    const gate: RequestHandler = (req, _res, next) => {
      const params = parse(spec.params ?? NoInput, req.params, 'path');
      if (spec.access !== 'public') authorize(req, spec.access, params as Record<string, unknown>);
      next();
    };
    router[spec.method](spec.path, gate, ...(middleware ?? []), async (req: Request, res: Response) => {
      const params = parse(spec.params ?? NoInput, req.params, 'path') as z.infer<P>;
      const who = spec.access === 'public' ? null : (req.principal ?? null);
      const query = parse(spec.query ?? NoInput, req.query, 'query') as z.infer<Q>;
      const body = spec.method === 'post' ? (parse(spec.body ?? NoInput, req.body, 'body') as z.infer<B>) : ({} as z.infer<B>);
      const result = await handler({ params, query, body, who, req, res });
      if (!res.headersSent) res.status(spec.status ?? (spec.method === 'post' ? 201 : 200)).json(result);
    });
  }
}

function authorize(req: Request, access: Access, params: Record<string, unknown>): Principal {
  const who = principal(req);
  switch (access) {
    case 'any':
      return who;
    case 'shop':
      return requireShop(req, String(params.shopId));
    case 'seller-shop':
      if (who.role !== 'seller') throw forbidden('only the shop’s seller may do this');
      return requireShop(req, String(params.shopId));
    case 'reviewer':
      if (who.role === 'reviewer' || who.role === 'admin') return who;
      throw forbidden('this needs the role reviewer');
    case 'admin':
      if (who.role === 'admin') return who;
      throw forbidden('this needs the role admin');
    default:
      return who;
  }
}

/** The OpenAPI 3.1 document of the registered routes, from the same zod schemas. */
export function openApiDocument(routes: RegisteredRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  for (const route of routes) {
    const oaPath = '/api' + route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const shape = json(schema) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(shape.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (shape.required ?? []).includes(name), schema: s });
      }
    }
    const responses: Record<string, unknown> = {
      [String(route.status ?? (route.method === 'post' ? 201 : 200))]: {
        description: 'OK',
        content: {
          ...(route.response ? { 'application/json': { schema: z.toJSONSchema(route.response, { io: 'output', unrepresentable: 'any' }) } } : {}),
          ...Object.fromEntries((route.produces ?? []).map((type) => [type, { schema: { type: 'string' } }])),
        },
      },
      '400': { $ref: '#/components/responses/BadRequest' },
    };
    if (route.access !== 'public') {
      responses['401'] = { $ref: '#/components/responses/Unauthorized' };
      responses['403'] = { $ref: '#/components/responses/Forbidden' };
    }
    paths[oaPath] ??= {};
    paths[oaPath][route.method] = {
      summary: route.summary,
      'x-access': route.access,
      ...(route.access === 'public' ? { security: [] } : {}),
      parameters,
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(route.body) } } } } : {}),
      ...(route.requestContent ? { requestBody: { required: true, content: route.requestContent } } : {}),
      responses,
    };
  }
  const errorSchema = {
    type: 'object',
    properties: { error: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
    required: ['error', 'message'],
  };
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Intervention Watch API (介入率看板)',
      version: '1.0.0',
      description: 'Platform intervention rates per shop and category, policy levels, restrictions and governance.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      responses: {
        BadRequest: errorResponse('A parameter is wrong; the message names it'),
        Unauthorized: errorResponse('Missing, expired or invalid token'),
        Forbidden: errorResponse('The token may not do this'),
      },
    },
    paths,
  };
}
