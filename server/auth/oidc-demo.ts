// What `npm start` does about sign-in with an identity provider: the organisation's (OIDC_ISSUER), or the
// built-in demo provider mounted at /oidc — by default only while the database holds nothing but the demo
// data set (DEMO_OIDC=1 forces it, DEMO_OIDC=0 turns it off), so that a server on real data never has a
// password-less sign-in page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { queryOne, type Database } from '../db/database.js';
import type { OidcSettings } from './oidc.js';

export const DEMO_CLIENT_ID = 'intervention-watch-dashboard';
export const DEMO_AUDIENCE = 'urn:intervention-watch:api';
export const DEMO_PATH = '/oidc';

export interface ServerOidc {
  /** For createApp: the provider's tokens are accepted, and the demo provider served. */
  app: {
    oidc?: OidcSettings;
    oidcProvider?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => unknown };
  };
  /** Lines for the start banner. */
  lines: string[];
}

/** True when every batch in the database is the built-in demo's (and there is one). */
async function demoDataOnly(db: Database): Promise<boolean> {
  const row = await db.read((conn) =>
    queryOne<{ demo: number; other: number }>(
      conn,
      "SELECT count(*) FILTER (WHERE source = 'demo') AS demo, count(*) FILTER (WHERE source <> 'demo') AS other FROM ingest_batches",
    ),
  );
  return Number(row?.demo ?? 0) > 0 && Number(row?.other ?? 0) === 0;
}

/** The demo seller's shop: the most severe on the last day (as the printed seller link). */
async function demoSellerShop(db: Database): Promise<string | null> {
  const row = await db.read((conn) =>
    queryOne<{ shop_id: string }>(
      conn,
      `SELECT shop_id FROM shop_day WHERE day = (SELECT last_day FROM data_range)
       ORDER BY CASE level WHEN 'severe' THEN 0 WHEN 'restricted' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, ratio DESC NULLS LAST, shop_id LIMIT 1`,
    ),
  );
  return row?.shop_id ?? null;
}

export async function oidcForServer(
  db: Database,
  env: { settings: OidcSettings | null; demo: 'auto' | 'on' | 'off' },
  options: { port: number; dataDir: string },
): Promise<ServerOidc> {
  if (env.settings) return { app: { oidc: env.settings }, lines: [`  or sign in with ${env.settings.displayName} (OIDC, ${env.settings.issuer})`] };
  if (env.demo === 'off') return { app: {}, lines: [] };
  if (env.demo === 'auto' && !(await demoDataOnly(db))) return { app: {}, lines: [] };
  if (options.port === 0) return { app: {}, lines: ['  (the demo identity provider needs a fixed PORT; not started)'] };
  // Loaded only when used: oidc-provider says a word at import.
  const { createDemoProvider, demoAccounts, keptSigningKey } = await import('./oidc-provider.js');
  const base = `http://localhost:${options.port}`;
  const issuer = `${base}${DEMO_PATH}`;
  const accounts = demoAccounts(await demoSellerShop(db));
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
  };
  return {
    app: { oidc: settings, oidcProvider: { path: DEMO_PATH, handler: provider.callback() } },
    lines: [
      `  or open ${base} and "Sign in with Demo identity provider" (no password: pick the account):`,
      ...accounts.map((a) => `    ${a.email.padEnd(20)} ${a.name.padEnd(12)} ${a.role}${a.shops?.length ? ` of ${a.shops.join(', ')}` : ''}`),
    ],
  };
}
