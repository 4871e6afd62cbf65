// npm run ingest -- [--db PATH] FILE_OR_DIR...
// Prints accepted and rejected counts per file with every rejected line and its reason.
// Exit code: 0 all rows accepted, 3 some rejected (the good ones loaded), 1 nothing loaded, 2 bad usage.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { Database } from '../db/database.js';
import { type IngestReport } from '../ingest/ingest.js';
import { Cluster, clusterConfigFromEnv } from '../cluster/clickhouse.js';
import { ingestBatch } from '../cluster/ingest.js';
import { progressPrinter } from './progress.js';
import { SeamError, ingestSeam } from '../seam/seam.js';

export function formatReport(report: IngestReport): string {
  const out: string[] = [];
  for (const f of report.files) {
    if (f.error) {
      out.push(`${f.file}: refused — ${f.file} ${f.error}`);
      continue;
    }
    out.push(`${f.file} (${f.kind}): ${f.accepted} accepted, ${f.rejected} rejected`);
    for (const r of f.rejects) out.push(`  ${f.file}:${r.line}: line ${r.line}${r.id ? ` (${r.id})` : ''}: ${r.reason}`);
  }
  out.push(`batch ${report.batchId}: ${report.accepted} rows accepted, ${report.rejected} rejected in ${report.files.length} file(s)`);
  if (report.refresh?.range) {
    const r = report.refresh;
    out.push(
      `metrics refreshed: ${r.range!.first} … ${r.range!.last}, ${r.shopDays} shop-days, ${r.episodes} restriction levels reached (${Math.round(r.ms)} ms)`,
    );
  }
  return out.join('\n');
}

/** --daily DIR…: daily shop counts handed over by a distributed engine (server/seam). */
async function ingestDaily(db: Database, dirs: string[]): Promise<number> {
  let worst: 0 | 1 | 3 = 0;
  for (const dir of dirs) {
    try {
      const report = await ingestSeam(db, dir);
      console.log(`${dir} (daily shop counts): ${report.accepted} rows over ${report.days} days accepted, ${report.rejected} rejected`);
      for (const r of report.rejects) console.log(`  ${r.file}: row ${r.row}: ${r.reason}`);
      if (report.refresh?.range)
        console.log(`metrics refreshed from ${report.refresh.from}: data ${report.refresh.range.first} … ${report.refresh.range.last}`);
      worst = Math.max(worst, report.exitCode) as 0 | 1 | 3;
    } catch (error) {
      if (!(error instanceof SeamError)) throw error;
      console.log(`${dir}: refused — ${error.message}`);
      worst = worst === 0 ? 1 : worst;
    }
  }
  return worst;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { db: { type: 'string' }, daily: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    console.error(`ingest: ${(error as Error).message}\nusage: npm run ingest -- [--db PATH] FILE_OR_DIR...`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    console.error('usage: npm run ingest -- [--db PATH] FILE_OR_DIR...  |  npm run ingest -- [--db PATH] --daily DIR...');
    return parsed.values.help ? 0 : 2;
  }
  let config;
  let clusterConfig;
  try {
    config = loadConfig();
    // Cluster mode (CLICKHOUSE_URL): the rows also go to the cluster and the counts come from it.
    clusterConfig = clusterConfigFromEnv();
  } catch (error) {
    console.error(`ingest: ${(error as Error).message}`);
    return 2;
  }
  if (clusterConfig && parsed.values.daily) {
    console.error('ingest: --daily loads counts computed elsewhere; in cluster mode (CLICKHOUSE_URL) the counts come from the cluster');
    return 2;
  }
  const dbPath = parsed.values.db ?? config.dbPath;
  let db: Database;
  try {
    db = await Database.open(dbPath, { poolSize: 2 });
  } catch (error) {
    console.error(`ingest: cannot open the database ${dbPath}: ${(error as Error).message.split('\n')[0]}`);
    console.error('(a running server holds the database file: send files to it with POST /api/ingest instead)');
    return 1;
  }
  const cluster = clusterConfig ? new Cluster(clusterConfig) : null;
  try {
    if (parsed.values.daily) return await ingestDaily(db, parsed.positionals);
    const report = await ingestBatch(db, cluster, parsed.positionals, { source: 'cli', onProgress: progressPrinter(), earliestDay: config.earliestDay });
    console.log(formatReport(report));
    return report.exitCode;
  } catch (error) {
    console.error(`ingest failed, nothing was changed: ${(error as Error).message}`);
    return 1;
  } finally {
    await cluster?.close();
    await db.close();
  }
}

process.exitCode = await main();
