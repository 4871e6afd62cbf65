// What `npm start` does about sign-in with an identity provider: the organisation's (OIDC_ISSUER), or the
// built-in demo provider mounted at /oidc. The demo provider asks no password (anyone who reaches it can be
// any of its accounts), so:
// - by default (DEMO_OIDC unset, "auto") it starts only when the database holds nothing but the demo data
//   set (DEMO_OIDC=1 starts it anyway; DEMO_OIDC=0 never), and either way it ends for good once a batch that
//   is not the demo's is loaded while it runs: after every committed write the database is checked again,
//   and from then on /oidc answers 410 and its tokens are refused (401);
// - by default it answers only requests from this machine (loopback), not through a proxy; DEMO_OIDC=1 lets
//   any address in;
// - its admin account (Carol Zhang) is offered only when the admin sign-in link would be printed
//   (PRINT_ADMIN_LINK=1 or `npm start -- --admin-link`, main.ts wantsAdminLink).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { queryOne, type Database } from '../db/database.js';
import { OidcVerifier, type OidcSettings } from './oidc.js';

export const DEMO_CLIENT_ID = 'intervention-watch-dashboard';
export const DEMO_AUDIENCE = 'urn:intervention-watch:api';
export const DEMO_PATH = '/oidc';

/** Why the demo provider's tokens are refused and /oidc is gone once real data is loaded. */
export const DEMO_ENDED =
  "the demo sign-in ended because real data was loaded: the password-less demo identity provider never runs in front of real data; sign in with a sign-in link (npm run token) or your organisation's identity provider (OIDC_ISSUER)";

export interface ServerOidc {
  /** For createApp: the provider's tokens are accepted, and the demo provider served. */
  app: {
    oidc?: OidcSettings | OidcVerifier;
    oidcProvider?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => unknown };
  };
  /** Lines for the start banner. */
  lines: string[];
  /** The demo provider's state, when it runs. */
  gate?: DemoGate;
}

/** The batches in the database: the built-in demo's and every other (uploads, npm run ingest). */
async function batchCounts(db: Database): Promise<{ demo: number; other: number }> {
  const row = await db.read((conn) =>
    queryOne<{ demo: number; other: number }>(
      conn,
      "SELECT count(*) FILTER (WHERE source = 'demo') AS demo, count(*) FILTER (WHERE source <> 'demo') AS other FROM ingest_batches",
    ),
  );
  return { demo: Number(row?.demo ?? 0), other: Number(row?.other ?? 0) };
}

/**
 * Whether the demo provider may still answer. In auto mode the database is checked again after every
 * committed write (db.onCommit); once it holds a batch that is not the demo's, the demo has ended for good
 * (loading the demo again does not bring it back). A question asked while a check is under way waits for it,
 * so no request slips through between a commit and its check.
 */
export class DemoGate {
  private endedBecause: string | null = null;
  private checking: Promise<void> | null = null;

  /** `otherAtStart`: the batches not from the demo when it started (0 in auto mode; DEMO_OIDC=1 may start on more). */
  constructor(
    db: Database,
    readonly mode: 'auto' | 'on',
    otherAtStart: number,
  ) {
    db.onCommit(() => {
      if (this.endedBecause) return; // for good
      const check = batchCounts(db).then(
        ({ other }) => {
          if (other > otherAtStart) this.endedBecause = DEMO_ENDED;
        },
        () => {
          // The database could not be read (closing): fail closed.
          this.endedBecause = DEMO_ENDED;
        },
      );
      this.checking = check;
      void check.then(() => {
        if (this.checking === check) this.checking = null;
      });
    });
  }

  /** Null while the demo provider may answer; otherwise why not. */
  async ended(): Promise<string | null> {
    if (this.endedBecause) return this.endedBecause;
    while (this.checking) await this.checking;
    return this.endedBecause;
  }

  /** True for a request from this machine: the loopback addresses, IPv4 or IPv6, and nothing forwarded by a proxy. */
  static fromThisMachine(req: IncomingMessage): boolean {
    const address = req.socket.remoteAddress ?? '';
    const loopback = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/i.test(address);
    // A proxy on this machine makes every client look local: its forwarding headers say they are not.
    const forwarded = ['forwarded', 'x-forwarded-for', 'x-real-ip'].some((h) => req.headers[h] !== undefined);
    return loopback && !forwarded;
  }

  /** The provider's handler behind the gate: 410 once the demo has ended, 403 from another machine in auto mode. */
  guard(handler: (req: IncomingMessage, res: ServerResponse) => unknown): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
    return async (req, res) => {
      const ended = await this.ended();
      if (ended) return refuse(req, res, 410, 'gone', `The demo identity provider is gone: ${ended}.`);
      if (this.mode === 'auto' && !DemoGate.fromThisMachine(req))
        return refuse(
          req,
          res,
          403,
          'forbidden',
          'The demo identity provider answers only on this machine (http://localhost or 127.0.0.1, not through a proxy): it asks no password. Set DEMO_OIDC=1 to expose it to other machines, knowing that anyone who reaches it can sign in as any of its accounts.',
        );
      await handler(req, res);
    };
  }
}

/** A refusal a browser shows as a page and a program reads as JSON. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  if (/text\/html/.test(req.headers.accept ?? '')) {
    const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo sign-in unavailable</title></head><body><main><h1>Demo sign-in unavailable</h1><p>${text}</p></main></body></html>`,
    );
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: code, message }));
}

/** The demo seller's shop: the most severe on the last day (as the printed seller link). */
async function demoSellerShop(db: Database): Promise<string | null> {
  const row = await db.read((conn) =>
    queryOne<{ shop_id: string }>(
      conn,
      `SELECT shop_id FROM shop_days_on((SELECT last_day FROM data_range))
       ORDER BY CASE level WHEN 'severe' THEN 0 WHEN 'restricted' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, ratio DESC NULLS LAST, shop_id LIMIT 1`,
    ),
  );
  return row?.shop_id ?? null;
}

export async function oidcForServer(
  db: Database,
  env: { settings: OidcSettings | null; demo: 'auto' | 'on' | 'off' },
  /** admin: whether the demo's admin account is offered (main.ts wantsAdminLink: as the admin sign-in link). */
  options: { port: number; dataDir: string; admin: boolean },
): Promise<ServerOidc> {
  if (env.settings) return { app: { oidc: env.settings }, lines: [`  or sign in with ${env.settings.displayName} (OIDC, ${env.settings.issuer})`] };
  if (env.demo === 'off') return { app: {}, lines: ['  (the demo identity provider is off: DEMO_OIDC=0)'] };
  const { demo, other } = await batchCounts(db);
  if (env.demo === 'auto') {
    if (other > 0)
      return {
        app: {},
        lines: [
          "  (the demo identity provider is off: the database holds data other than the built-in demo's, and it asks no password; DEMO_OIDC=1 runs it anyway)",
        ],
      };
    if (demo === 0) return { app: {}, lines: ['  (the demo identity provider is off: the database holds no demo data; DEMO_OIDC=1 runs it anyway)'] };
  }
  if (options.port === 0) return { app: {}, lines: ['  (the demo identity provider needs a fixed PORT; not started)'] };
  // Loaded only when used: oidc-provider says a word at import.
  const { createDemoProvider, demoAccounts, keptSigningKey } = await import('./oidc-provider.js');
  const base = `http://localhost:${options.port}`;
  const issuer = `${base}${DEMO_PATH}`;
  const accounts = demoAccounts(await demoSellerShop(db), { admin: options.admin });
  const provider = createDemoProvider({
    issuer,
    clientId: DEMO_CLIENT_ID,
    audience: DEMO_AUDIENCE,
    redirectUris: [`${base}/`, `http://127.0.0.1:${options.port}/`],
    accounts,
    keys: [await keptSigningKey(options.dataDir)],
  });
  const settings: OidcSettings = {
    issuer,
    clientId: DEMO_CLIENT_ID,
    audience: DEMO_AUDIENCE,
    scopes: 'openid email profile',
    apiToken: 'access_token',
    roleClaim: 'iw_role',
    shopsClaim: 'iw_shops',
    subjectClaim: 'email',
    nameClaim: 'name',
    displayName: 'Demo identity provider',
    // oidc-provider types its JWT access tokens at+jwt (RFC 9068): nothing else is the API's token.
    requireAtJwt: true,
  };
  const gate = new DemoGate(db, env.demo, other);
  const verifier = new OidcVerifier(settings, { closedBecause: () => gate.ended() });
  return {
    app: { oidc: verifier, oidcProvider: { path: DEMO_PATH, handler: gate.guard(provider.callback()) } },
    gate,
    lines: [
      `  or open ${base} and "Sign in with Demo identity provider" (no password: pick the account):`,
      ...accounts.map((a) => `    ${a.email.padEnd(20)} ${a.name.padEnd(12)} ${a.role}${a.shops?.length ? ` of ${a.shops.join(', ')}` : ''}`),
      ...(options.admin ? [] : ['    (no admin account: PRINT_ADMIN_LINK=1 npm start, or npm start -- --admin-link, offers Carol Zhang, admin)']),
      env.demo === 'auto'
        ? '    (only from this machine, and only until real data is loaded; DEMO_OIDC=1 lets other machines in and starts it whatever the data)'
        : '    (DEMO_OIDC=1: open to every address that reaches this server, until more data is loaded)',
    ],
  };
}
