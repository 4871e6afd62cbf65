// npm start: the dashboard and the API on one port. An empty database is first filled with the
// built-in demo data set. Wiring only: every piece lives in its own module.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { loadConfig, oidcFromEnv, PROJECT_ROOT } from './config.js';
import { Database, queryOne } from './db/database.js';
import { createApp } from './api/app.js';
import { resolveSecret, signToken } from './auth/tokens.js';
import { oidcForServer } from './auth/oidc-demo.js';
import { Cluster, clusterConfigFromEnv } from './cluster/clickhouse.js';
import { catchUp, ingestBatch } from './cluster/ingest.js';
import { generateDemo, defaultDemoEnd } from './generate/demo.js';
import { progressPrinter } from './cli/progress.js';
import { DeliveryWorker } from './alerts/worker.js';
import { refreshMetrics } from './pipeline/refresh.js';

// Read when the server starts (main), not on import: tests import signInLines without starting a server.
let config: ReturnType<typeof loadConfig>;
let logger: Logger;

/** Builds the dashboard in a child process when no build is there yet; the API does not wait for it. */
function buildClientIfMissing(): void {
  if (fs.existsSync(path.join(config.clientDir, 'index.html'))) return;
  logger.info('building the dashboard (vite build)…');
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code) => (code === 0 ? logger.info('dashboard built') : logger.error(`vite build failed (exit ${code})`)));
}

/** Loads the demo into an empty database (through the cluster in cluster mode); whether it did. */
async function loadDemoIfEmpty(db: Database, cluster: Cluster | null): Promise<boolean> {
  const row = await db.read((conn) => queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM orders'));
  if ((row?.n ?? 0) > 0 || !config.demo.enabled) return false;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'intervention-demo-'));
  const started = performance.now();
  const progress = progressPrinter();
  try {
    const summary = await generateDemo({
      ...config.demo,
      end: defaultDemoEnd(),
      out,
      onProgress: (done, total, what) => progress(`generating ${what}`, done, total),
    });
    logger.info(`demo generated: ${summary.shops} shops, ${summary.orders} orders, ${summary.cases} cases, ${summary.first} … ${summary.last}`);
    const report = await ingestBatch(db, cluster, [out], {
      source: 'demo',
      onProgress: (file, done, total) => progress(`loading ${path.basename(file)}`, done, total),
    });
    logger.info(`demo loaded: ${report.accepted} rows, ${report.rejected} rejected, in ${Math.round(performance.now() - started)} ms`);
    return true;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** The people the printed sign-in links act as (decisions and the audit log show them). */
export const DEMO_SUBJECTS = {
  seller: 'demo-seller@example.com',
  reviewer: 'demo-reviewer@example.com',
  admin: 'demo-admin@example.com',
} as const;

/**
 * Whether `npm start` prints an admin sign-in link: only when asked, with PRINT_ADMIN_LINK=1 (or true, yes,
 * on) or `npm start -- --admin-link`. An admin token can change the policy for everyone, and whatever is
 * printed lands in terminal scroll-back and service logs.
 */
export function wantsAdminLink(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): boolean {
  return argv.includes('--admin-link') || /^(1|true|yes|on)$/i.test(env.PRINT_ADMIN_LINK ?? '');
}

/** The sign-in links `npm start` prints: a seller's and a reviewer's; an admin's only when asked. */
export async function signInLines(db: Database, secret: Uint8Array, base: string, options: { admin: boolean }): Promise<string[]> {
  // A seller link for a shop that has something to show: the most severe level on the last day.
  const shop = await db.read((conn) =>
    queryOne<{ shop_id: string; level: string }>(
      conn,
      `SELECT shop_id, level FROM shop_days_on((SELECT last_day FROM data_range))
       ORDER BY CASE level WHEN 'severe' THEN 0 WHEN 'restricted' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, ratio DESC NULLS LAST, shop_id LIMIT 1`,
    ),
  );
  const link = async (principal: Parameters<typeof signToken>[1]) => `${base}/?token=${await signToken(secret, principal, '7d')}`;
  const lines: string[] = [];
  if (shop) lines.push(`  seller of ${shop.shop_id} (${shop.level}): ${await link({ role: 'seller', shops: [shop.shop_id], subject: DEMO_SUBJECTS.seller })}`);
  lines.push(`  reviewer (${DEMO_SUBJECTS.reviewer}): ${await link({ role: 'reviewer', subject: DEMO_SUBJECTS.reviewer })}`);
  if (options.admin) lines.push(`  admin (${DEMO_SUBJECTS.admin}): ${await link({ role: 'admin', subject: DEMO_SUBJECTS.admin })}`);
  else lines.push('  admin: not printed (PRINT_ADMIN_LINK=1 npm start, or npm run token -- --role admin --subject YOU)');
  return lines;
}

/** What `npm start` prints once it listens (scripts wait for the words "serving http://localhost:PORT"). */
export function startupBanner(base: string, dbPath: string, lines: string[]): string {
  return `\nIntervention Watch (介入率看板) is serving ${base} on ${dbPath}\nSign in:\n${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  config = loadConfig();
  logger = pino({ level: config.logLevel });
  // First, so that a bad secret stops the start at once, before any build or demo load.
  const secret = resolveSecret(config.authSecret, config.dataDir);
  const printAdminLink = wantsAdminLink();
  const oidcEnv = oidcFromEnv(); // a bad OIDC_* setting stops the start here too
  buildClientIfMissing();
  const db = await Database.open(config.dbPath, { poolSize: config.poolSize, memoryLimit: config.memoryLimit, threads: config.threads });
  // A database from before the sparse engine (migration 10) has metrics but not what they are now derived from.
  const migrated = await db.read(
    async (conn) => (await queryOne(conn, 'SELECT 1 AS one FROM data_range WHERE NOT EXISTS (SELECT 1 FROM policy_day)')) !== undefined,
  );
  if (migrated) {
    const summary = await db.write((conn) => refreshMetrics(conn));
    logger.info(`metrics rebuilt for the sparse engine in ${Math.round(summary.ms)} ms`);
  }
  // Cluster mode (CLICKHOUSE_URL): raw rows also on the cluster, daily counts from it; a start catches up.
  const clusterConfig = clusterConfigFromEnv();
  const cluster = clusterConfig ? new Cluster(clusterConfig) : null;
  if (!(await loadDemoIfEmpty(db, cluster)) && cluster) {
    const caught = await catchUp(db, cluster);
    logger.info(
      `cluster mode: ${caught.backfilled} ledger rows backfilled, ${caught.rows} shop-days handed over from ${clusterConfig!.url} in ${Math.round(caught.ms)} ms`,
    );
  }
  // Sign-in with the organisation's identity provider, or the demo's (README, OIDC).
  // Its demo provider offers the admin account only as the admin link is printed: when asked.
  const oidc = await oidcForServer(db, oidcEnv, { port: config.port, dataDir: config.dataDir, admin: printAdminLink });
  let stopping = false;
  const app = createApp({
    db,
    secret,
    logger,
    clientDir: config.clientDir,
    isStopping: () => stopping,
    minPeerShops: config.minPeerShops,
    webhookAllowHosts: config.webhooks.allowHosts,
    ...oidc.app,
  });
  // Alerts: a write with nothing in it stores the events of data loaded while the server was down (npm run
  // ingest); then the worker sends the deliveries due, in the background.
  await db.write(() => Promise.resolve(undefined));
  const worker = new DeliveryWorker(db, {
    allowHosts: () => config.webhooks.allowHosts,
    timeoutMs: config.webhooks.timeoutMs,
    onError: (error) => logger.warn({ err: error }, 'alert delivery pass failed'),
  });
  worker.start();
  const server = app.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const base = `http://localhost:${port}`;
    void signInLines(db, secret, base, { admin: printAdminLink }).then((lines) => {
      console.log(startupBanner(base, config.dbPath, [...lines, ...oidc.lines]));
    });
  });
  server.keepAliveTimeout = 5_000;

  // Graceful shutdown: stop taking requests, finish those in flight, checkpoint, exit 0. Answers sent
  // after the signal say Connection: close, and idle keep-alive connections are closed as they appear.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    setInterval(() => server.closeIdleConnections(), 100).unref();
    server.close(() => {
      void worker
        .stop()
        .then(() => db.close())
        .then(
          () => process.exit(0),
          (error) => {
            logger.error(error, 'closing the database failed');
            process.exit(1);
          },
        );
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** True when this file is the program (npm start), false when a test imports it. */
function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(path.resolve(process.argv[1])) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error) => {
    if (logger) logger.fatal(error, 'failed to start');
    // A plain line too, for a person reading the terminal (e.g. "AUTH_SECRET is 5 bytes long; …").
    console.error(`Intervention Watch cannot start: ${(error as Error).message}`);
    process.exit(1);
  });
}
