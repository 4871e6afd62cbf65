// npm start: the dashboard and the API on one port. An empty database is first filled with the
// built-in demo data set. Wiring only: every piece lives in its own module.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, PROJECT_ROOT } from './config.js';
import { Database, queryOne } from './db/database.js';
import { createApp } from './api/app.js';
import { resolveSecret, signToken } from './auth/tokens.js';
import { ingestFiles } from './ingest/ingest.js';
import { generateDemo, defaultDemoEnd } from './generate/demo.js';
import { progressPrinter } from './cli/progress.js';

const config = loadConfig();
const logger = pino({ level: config.logLevel });

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

async function loadDemoIfEmpty(db: Database): Promise<void> {
  const row = await db.read((conn) => queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM orders'));
  if ((row?.n ?? 0) > 0 || !config.demo.enabled) return;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'intervention-demo-'));
  const started = performance.now();
  const progress = progressPrinter();
  try {
    const summary = await generateDemo({ ...config.demo, end: defaultDemoEnd(), out, onProgress: (done, total, what) => progress(`generating ${what}`, done, total) });
    logger.info(`demo generated: ${summary.shops} shops, ${summary.orders} orders, ${summary.cases} cases, ${summary.first} … ${summary.last}`);
    const report = await ingestFiles(db, [out], { source: 'demo', onProgress: (file, done, total) => progress(`loading ${path.basename(file)}`, done, total) });
    logger.info(`demo loaded: ${report.accepted} rows, ${report.rejected} rejected, in ${Math.round(performance.now() - started)} ms`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function signInLinks(db: Database, secret: Uint8Array, base: string): Promise<string[]> {
  // A seller link for a shop that has something to show: the most severe level on the last day.
  const shop = await db.read((conn) =>
    queryOne<{ shop_id: string; level: string }>(
      conn,
      `SELECT shop_id, level FROM shop_day WHERE day = (SELECT last_day FROM data_range)
       ORDER BY CASE level WHEN 'severe' THEN 0 WHEN 'restricted' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, ratio DESC NULLS LAST, shop_id LIMIT 1`,
    ),
  );
  const lines: string[] = [];
  if (shop) lines.push(`  seller of ${shop.shop_id} (${shop.level}): ${base}/?token=${await signToken(secret, { role: 'seller', shops: [shop.shop_id] }, '7d')}`);
  lines.push(`  reviewer:  ${base}/?token=${await signToken(secret, { role: 'reviewer' }, '7d')}`);
  lines.push(`  admin:     ${base}/?token=${await signToken(secret, { role: 'admin' }, '7d')}`);
  return lines;
}

async function main(): Promise<void> {
  buildClientIfMissing();
  const db = await Database.open(config.dbPath, { poolSize: config.poolSize, memoryLimit: config.memoryLimit });
  await loadDemoIfEmpty(db);
  const secret = resolveSecret(config.authSecret, config.dataDir);
  let stopping = false;
  const app = createApp({ db, secret, logger, clientDir: config.clientDir, isStopping: () => stopping });
  const server = app.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const base = `http://localhost:${port}`;
    void signInLinks(db, secret, base).then((lines) => {
      console.log(`\nIntervention Watch (介入率看板) is serving ${base} on ${config.dbPath}\nSign in:\n${lines.join('\n')}\n`);
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
      void db.close().then(
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

main().catch((error) => {
  logger.fatal(error, 'failed to start');
  process.exit(1);
});
