// Every setting the server and the command-line tools read from the environment, with its default.
// The README's "Configuration" table mirrors this file.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OidcSettings } from './auth/oidc.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A real calendar day written YYYY-MM-DD. */
function dayFromEnv(name: string, fallback: string): string {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const d = m ? new Date(0) : null;
  if (m && d) d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (!m || !d || d.toISOString().slice(0, 10) !== raw) throw new Error(`${name}=${raw}: expected a real day as YYYY-MM-DD, e.g. ${fallback}`);
  return raw;
}

/**
 * EARLIEST_DAY (default 2000-01-01): the ingest rejects a timestamp whose calendar day in the platform
 * time zone is before it (placeholders such as 1970-01-01 00:00:00 or 0001-01-01).
 */
export function earliestDayFromEnv(): string {
  return dayFromEnv('EARLIEST_DAY', '2000-01-01');
}

function memoryFromEnv(name: string, fallback: string): string {
  const raw = process.env[name] || fallback;
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(raw)) throw new Error(`${name}=${raw}: expected a size such as 1GB or 512MB`);
  return raw;
}

export interface Config {
  port: number;
  dbPath: string;
  dataDir: string;
  authSecret: string | undefined;
  poolSize: number;
  /** DuckDB's worker threads (DB_THREADS; undefined: DuckDB's default, one per core). */
  threads: number | undefined;
  /** DuckDB's memory limit (its buffer manager spills to disk past it). */
  memoryLimit: string;
  logLevel: string;
  demo: { enabled: boolean; shops: number; days: number; seed: number };
  clientDir: string;
  /** Other shops with orders in the category's window that a seller needs to see category figures (DESIGN §3). */
  minPeerShops: number;
  /** The ingest's earliest accepted day (EARLIEST_DAY), YYYY-MM-DD in the platform time zone. */
  earliestDay: string;
  /** Webhook hosts allowed on private or loopback addresses (WEBHOOK_ALLOW_HOSTS, comma-separated), and the per-request timeout. */
  webhooks: { allowHosts: string[]; timeoutMs: number };
}

/** MIN_PEER_SHOPS (default 5): below it a seller sees that the category is too small to compare; 0 turns the rule off. */
export function minPeerShopsFromEnv(): number {
  return intFromEnv('MIN_PEER_SHOPS', 5, 0, 1_000_000);
}

/** QUEUE_SERVICE_DAYS (default 3): a queued shop not decided this many days after it entered the queue is marked past its service time. */
export function queueServiceDaysFromEnv(): number {
  return intFromEnv('QUEUE_SERVICE_DAYS', 3, 1, 365);
}

/**
 * Sign-in with the organisation's identity provider (README "Sign-in with your identity provider (OIDC)").
 * `settings` is null without OIDC_ISSUER. `demo`: DEMO_OIDC — `on` (1) runs the built-in demo provider at
 * /oidc, `off` (0) never, `auto` (unset) only while the database holds nothing but the demo data set.
 */
export function oidcFromEnv(env: NodeJS.ProcessEnv = process.env): { settings: OidcSettings | null; demo: 'auto' | 'on' | 'off' } {
  const raw = (env.DEMO_OIDC ?? '').trim().toLowerCase();
  const demo = raw === '' || raw === 'auto' ? 'auto' : /^(1|on|true|yes)$/.test(raw) ? 'on' : /^(0|off|false|no)$/.test(raw) ? 'off' : null;
  if (demo === null) throw new Error(`DEMO_OIDC=${env.DEMO_OIDC}: expected 1 (on), 0 (off) or nothing (auto: only on the demo data set)`);
  const issuer = (env.OIDC_ISSUER ?? '').trim();
  if (!issuer) return { settings: null, demo };
  if (demo === 'on') throw new Error('DEMO_OIDC=1 and OIDC_ISSUER are both set: use your identity provider or the demo one, not both');
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`OIDC_ISSUER=${issuer}: expected the provider's issuer URL, e.g. https://login.example.com/realms/governance`);
  }
  if (url.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))
    throw new Error(`OIDC_ISSUER=${issuer}: an identity provider must be reached over https (http only on localhost)`);
  const clientId = (env.OIDC_CLIENT_ID ?? '').trim();
  if (!clientId) throw new Error('OIDC_CLIENT_ID is not set: the client id of the dashboard registered at the identity provider (OIDC_ISSUER is set)');
  const apiToken = (env.OIDC_API_TOKEN ?? 'access_token').trim();
  if (apiToken !== 'access_token' && apiToken !== 'id_token') throw new Error(`OIDC_API_TOKEN=${apiToken}: expected access_token or id_token`);
  const setting = (name: string, fallback: string) => (env[name] ?? '').trim() || fallback;
  // A shops claim given as one string is one shop id, unless a separator is named (whitespace: any run of it).
  const separator = env.OIDC_SHOPS_SEPARATOR ?? '';
  if (separator.length > 8) throw new Error(`OIDC_SHOPS_SEPARATOR=${separator}: expected the few characters between shop ids, e.g. , or a space`);
  const requireAtJwt = (env.OIDC_REQUIRE_AT_JWT ?? '').trim().toLowerCase();
  if (requireAtJwt !== '' && !/^(1|on|true|yes|0|off|false|no)$/.test(requireAtJwt))
    throw new Error(`OIDC_REQUIRE_AT_JWT=${env.OIDC_REQUIRE_AT_JWT}: expected 1 or 0`);
  return {
    demo,
    settings: {
      issuer,
      clientId,
      audience: setting('OIDC_AUDIENCE', clientId),
      scopes: setting('OIDC_SCOPES', 'openid email profile'),
      apiToken,
      roleClaim: setting('OIDC_ROLE_CLAIM', 'iw_role'),
      shopsClaim: setting('OIDC_SHOPS_CLAIM', 'iw_shops'),
      ...(separator ? { shopsSeparator: separator.trim() || ' ' } : {}),
      subjectClaim: setting('OIDC_SUBJECT_CLAIM', 'email'),
      nameClaim: setting('OIDC_NAME_CLAIM', 'name'),
      displayName: setting('OIDC_DISPLAY_NAME', url.host),
      requireAtJwt: /^(1|on|true|yes)$/.test(requireAtJwt),
    },
  };
}

export function loadConfig(): Config {
  const dataDir = path.resolve(process.env.DATA_DIR || path.join(PROJECT_ROOT, 'data'));
  return {
    port: intFromEnv('PORT', 3000, 0, 65535),
    dbPath: process.env.DB_PATH || path.join(dataDir, 'intervention.duckdb'),
    dataDir,
    authSecret: process.env.AUTH_SECRET || undefined,
    poolSize: intFromEnv('DB_POOL_SIZE', 4, 1, 64),
    threads: process.env.DB_THREADS ? intFromEnv('DB_THREADS', 1, 1, 256) : undefined,
    memoryLimit: memoryFromEnv('DB_MEMORY_LIMIT', '1GB'),
    logLevel: process.env.LOG_LEVEL || 'info',
    demo: {
      enabled: process.env.DEMO !== 'off',
      shops: intFromEnv('DEMO_SHOPS', 2000, 1, 1_000_000),
      days: intFromEnv('DEMO_DAYS', 120, 1, 3650),
      seed: intFromEnv('DEMO_SEED', 42, 0, 2 ** 31 - 1),
    },
    clientDir: path.join(PROJECT_ROOT, 'dist', 'client'),
    minPeerShops: minPeerShopsFromEnv(),
    earliestDay: earliestDayFromEnv(),
    webhooks: {
      allowHosts: (process.env.WEBHOOK_ALLOW_HOSTS ?? '')
        .split(',')
        .map((h) =>
          h
            .trim()
            .toLowerCase()
            .replace(/^\[(.*)\]$/, '$1'),
        )
        .filter(Boolean),
      timeoutMs: intFromEnv('WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000),
    },
  };
}
