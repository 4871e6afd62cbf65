// The Express app factory: the database and the secret come in, so tests pass `:memory:` or a temp file.
import type { IncomingMessage, ServerResponse } from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Database } from '../db/database.js';
import { authenticate, errorHandler, HttpError, redactHeaders, redactUrl } from './http.js';
import { AnswerCache, ApiRegistry } from './registry.js';
import { systemRoutes } from './routes/system.js';
import { shopRoutes } from './routes/shops.js';
import { governanceRoutes } from './routes/governance.js';
import { policyRoutes } from './routes/policy.js';
import { ingestRoutes } from './routes/ingest.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import type { AppContext } from './context.js';
import { BearerVerifier, OidcVerifier, type OidcSettings } from '../auth/oidc.js';
import { LatestDay } from '../read/latest.js';
import { installAlerts } from '../alerts/events.js';

export interface AppOptions {
  db: Database;
  secret: Uint8Array;
  logger?: Logger;
  /** Built dashboard to serve (dist/client); omitted in API tests. */
  clientDir?: string;
  /** Failed authentications allowed per client address per minute. */
  authFailuresPerMinute?: number;
  /** True once the server is shutting down: answers then close their connection. */
  isStopping?: () => boolean;
  /** Other shops with orders a seller's category needs before any category figure is shown (default: MIN_PEER_SHOPS). */
  minPeerShops?: number;
  /** Webhook hosts allowed on private or loopback addresses (default: WEBHOOK_ALLOW_HOSTS). */
  webhookAllowHosts?: readonly string[];
  /** Sign-in with the organisation's identity provider: its tokens are accepted beside ours (README, OIDC). */
  oidc?: OidcSettings | OidcVerifier;
  /** An identity provider served by this app (the demo's, `oidc-provider`): mounted at `path`, before everything else. */
  oidcProvider?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => unknown };
}

export function createApp(options: AppOptions): Express {
  const logger = options.logger ?? pino({ level: 'silent' });
  const latest = new LatestDay(options.db);
  // Every write (an ingest's refresh, a decision, an answered appeal) stores the alert events it causes.
  installAlerts(options.db);
  void latest.rebuild();
  const ctx: AppContext = { db: options.db, secret: options.secret, latest, minPeerShops: options.minPeerShops };
  const app = express();
  app.disable('x-powered-by');
  const oidcVerifier = options.oidc === undefined ? null : options.oidc instanceof OidcVerifier ? options.oidc : new OidcVerifier(options.oidc);
  const oidcProvider = options.oidcProvider;
  // The demo provider answers its own requests (its pages, its JSON, its CORS), outside our security
  // headers and body parser; its sign-in pages are not the dashboard. Its handler comes guarded (oidc-demo.ts:
  // 410 once real data is loaded, 403 from another machine unless DEMO_OIDC=1).
  if (oidcProvider) app.use(oidcProvider.path, (req, res) => void oidcProvider.handler(req, res));
  app.use((_req, res, next) => {
    if (options.isStopping?.()) res.setHeader('Connection', 'close');
    next();
  });
  app.set('query parser', 'simple');
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : crypto.randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Tokens never reach the log: sign-in links carry ?token=, so secret query parameters, any JWT in the
      // URL, and the Authorization and Cookie headers are written as [redacted].
      serializers: {
        req: (req: IncomingMessage & { id?: unknown }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url ?? ''),
          headers: redactHeaders(req.headers),
        }),
        res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      // No upgrade-insecure-requests: the dashboard is often served over plain http on localhost.
      contentSecurityPolicy: {
        directives: {
          'img-src': ["'self'", 'data:'],
          'script-src': ["'self'"],
          // The dashboard talks to the identity provider (discovery, the token endpoint) from the browser.
          'connect-src': ["'self'", ...(oidcVerifier ? [new URL(oidcVerifier.settings.issuer).origin] : [])],
          'upgrade-insecure-requests': null,
        },
      },
      strictTransportSecurity: false,
    }),
  );
  app.use(express.json({ limit: '1mb' }));

  const api = express.Router();
  const publicRoutes = express.Router();
  const privateRoutes = express.Router();
  // GET routes declared with `cache` answer a repeated request from memory until the next committed write.
  const registry = new ApiRegistry(publicRoutes, privateRoutes, new AnswerCache(options.db));
  systemRoutes(registry, ctx, { oidc: oidcVerifier?.settings ?? null });
  shopRoutes(registry, ctx);
  governanceRoutes(registry, ctx);
  policyRoutes(registry, ctx);
  ingestRoutes(registry, ctx);
  const allowHosts = options.webhookAllowHosts;
  subscriptionRoutes(registry, ctx, allowHosts ? { allowHosts: () => allowHosts } : {});
  // A provider whose sign-in has ended (the demo's, once real data is loaded) is no longer offered to the dashboard.
  if (oidcVerifier)
    api.get('/auth/config', (_req, res, next) => {
      oidcVerifier.closedBecause().then((closed) => (closed ? void res.json({ oidc: null }) : next()), next);
    });
  api.use(publicRoutes);
  // Only failed authentications count (so honest heavy use is never throttled); an address past the
  // limit is locked out for the rest of the minute, whatever token it then shows.
  const limit = options.authFailuresPerMinute ?? 60;
  const clientKey = (req: express.Request) => ipKeyGenerator(req.ip ?? 'unknown');
  const tooMany = () => new HttpError(429, 'too_many_requests', 'too many failed authentications; wait a minute');
  const failures = rateLimit({
    windowMs: 60_000,
    limit,
    keyGenerator: clientKey,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(tooMany()),
  });
  api.use(
    authenticate(new BearerVerifier(options.secret, oidcVerifier), {
      lockedOut: async (req) => ((await failures.getKey(clientKey(req)))?.totalHits ?? 0) >= limit,
      countFailure: failures,
      tooMany,
    }),
  );
  api.use(privateRoutes);
  api.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} /api${req.path}`)));
  app.use('/api', api);

  if (options.clientDir) {
    const clientDir = options.clientDir;
    app.use(express.static(clientDir, { index: false, maxAge: '1h' }));
    // The dashboard's own routes all load index.html (the app reads the URL).
    app.get(/^(?!\/api\/).*/, (_req, res, next) => {
      const index = path.join(clientDir, 'index.html');
      if (!fs.existsSync(index)) return next(new HttpError(503, 'not_built', 'the dashboard is still being built; reload in a moment'));
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  }
  app.use(errorHandler((error, req) => logger.error({ err: error, reqId: req.id }, 'request failed')));
  return app;
}
