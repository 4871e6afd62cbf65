// Every API route is declared once: its path, who may call it, and the schemas of its parameters,
// body and answer. The declaration registers the Express handler (parse → authorize → handler →
// JSON) and is the source of the OpenAPI document, so the two cannot drift apart.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Principal } from '../auth/tokens.js';
import { forbidden, parse, principal, requireShop } from './http.js';

/**
 * Answers kept for one committed generation of the database (Database.generation): a GET route declared
 * with `cache` answers a repeated request (same route, parameters, query and caller) from memory until the
 * next committed write, and identical requests that arrive while one is being answered share its answer.
 *
 * Why a kept answer is the answer of one snapshot, and the one a fresh request would get: the generation (g)
 * is read BEFORE the handler asks for its transaction (Database.read), and again AFTER it answered; the answer
 * is kept only when both are g. Database.write increments the generation right after its COMMIT, and a
 * query's result reaches JavaScript only after the increment of any COMMIT its snapshot followed (libuv
 * hands completions back in order; see server/read/generation-cache.ts), so such an answer was read from the
 * state of generation g exactly, however many reads the handler ran. A request uses a kept answer only when
 * the generation is still the one it was kept for; a request that shares one in flight uses it only when the
 * generation is the same when that answer is ready as when the request arrived. A client that sees its own
 * write answered (the write's answer is sent after the increment) never gets an answer kept before it.
 *
 * Only answers the handler returned are kept (never an error, nor an answer it sent itself or with headers
 * of its own), as the exact JSON text `res.json` would send.
 */
export class AnswerCache {
  private generation = -1;
  private readonly answers = new Map<string, string>();
  private readonly inFlight = new Map<string, { generation: number; work: Promise<{ body: string; generation: number } | null> }>();
  private bytes = 0;

  constructor(
    private readonly db: { readonly generation: number },
    /** Characters kept at most per generation (past it, answers are still computed, not kept). */
    private readonly maxChars = 64 * 1024 * 1024,
  ) {}

  /** The answer kept for key in the current generation, if any. */
  get(key: string): string | undefined {
    this.sync();
    return this.answers.get(key);
  }

  /**
   * The answer for key: kept, shared with an identical request in flight, or computed by `compute` (which
   * answers null when its result may not be kept or shared; the caller then has sent it itself).
   */
  async answer(key: string, compute: () => Promise<string | null>): Promise<{ body: string } | null> {
    const arrived = this.db.generation;
    const kept = this.get(key);
    if (kept !== undefined) return { body: kept };
    const shared = this.inFlight.get(key);
    if (shared && shared.generation === arrived) {
      const result = await shared.work.catch(() => null);
      if (result && result.generation === arrived && this.db.generation === arrived) return { body: result.body };
      // Not usable (a write committed meanwhile, or no JSON answer): this request answers for itself.
      const own = await compute();
      return own === null ? null : { body: own };
    }
    // The first request of this generation: identical ones arriving while it runs wait for it (one begun
    // in an earlier generation is not waited for).
    const work = (async () => {
      const body = await compute();
      if (body === null) return null;
      if (this.db.generation !== arrived) return { body, generation: -1 };
      this.sync();
      if (this.bytes + body.length <= this.maxChars) {
        this.answers.set(key, body);
        this.bytes += body.length;
      }
      return { body, generation: arrived };
    })();
    const entry = { generation: arrived, work };
    this.inFlight.set(key, entry);
    try {
      const result = await work;
      return result === null ? null : { body: result.body };
    } finally {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    }
  }

  /** Answers kept for the current generation (tests). */
  get size(): number {
    this.sync();
    return this.answers.size;
  }

  private sync(): void {
    if (this.generation === this.db.generation) return;
    this.generation = this.db.generation;
    this.answers.clear();
    this.bytes = 0;
  }
}

/** What a cached answer may depend on besides the route's parameters, query and the committed data. */
function callerKey(who: Principal | null, cache: 'caller' | 'route'): string {
  if (cache === 'route' || who === null) return '';
  return JSON.stringify([who.role, who.subject, who.name ?? null, [...who.shops].sort()]);
}

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
  /**
   * GET only: keep the JSON answer until the next committed write (AnswerCache). Only for a handler whose
   * answer depends on nothing but its parameters, its query, the caller and the committed data (no clock,
   * no headers of the request). 'caller': one answer per caller (role, subject, name and shops of the token);
   * 'route': one answer for every caller the route admits (the answer does not depend on who asks).
   */
  cache?: 'caller' | 'route';
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
    /** Where routes declared with `cache` keep their answers (none: they are never cached). */
    private readonly answers: AnswerCache | null = null,
  ) {}

  add<P extends z.ZodType = typeof NoInput, Q extends z.ZodType = typeof NoInput, B extends z.ZodType = typeof NoInput>(spec: RouteSpec<P, Q, B>): void {
    const { handler, middleware, cache, ...declared } = spec;
    if (cache && spec.method !== 'get') throw new Error(`${spec.method} ${spec.path}: only GET answers can be cached`);
    this.routes.push(declared);
    const answers = cache ? this.answers : null;
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
      const status = spec.status ?? (spec.method === 'post' ? 201 : 200);
      if (answers && cache) {
        const key = JSON.stringify([spec.path, params, query, callerKey(who, cache)]);
        const answer = await answers.answer(key, async () => {
          const headers = res.getHeaderNames().length;
          const result = await handler({ params, query, body, who, req, res });
          if (res.headersSent) return null;
          const text: unknown = JSON.stringify(result);
          // An answer the handler shaped itself (a header of its own, no JSON) is sent as it is, never kept.
          if (typeof text !== 'string' || res.getHeaderNames().length !== headers || res.statusCode !== 200) {
            res.status(status).json(result);
            return null;
          }
          return text;
        });
        // As res.json sends it: the JSON text, Content-Type application/json (charset added by res.send).
        if (answer !== null && !res.headersSent) {
          if (!res.get('Content-Type')) res.set('Content-Type', 'application/json');
          res.status(status).send(answer.body);
        }
        return;
      }
      const result = await handler({ params, query, body, who, req, res });
      if (!res.headersSent) res.status(status).json(result);
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
