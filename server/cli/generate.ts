// Writes the demo data set (DESIGN §2 CSV files) into a directory.
//
//   npx tsx server/cli/generate.ts [--shops N] [--days D] [--seed S] [--out DIR] [--end YYYY-MM-DD]
//
// Exit codes: 0 done, 2 bad arguments, 1 failure while writing.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DEMO, defaultDemoEnd, generateDemo, type DemoOptions } from '../generate/demo.js';

const USAGE = `usage: generate [--shops N] [--days D] [--seed S] [--out DIR] [--end YYYY-MM-DD]
  --shops  number of shops (default ${DEFAULT_DEMO.shops})
  --days   number of days ending on --end (default ${DEFAULT_DEMO.days})
  --seed   random seed; the same options give the same files (default ${DEFAULT_DEMO.seed})
  --out    output directory (default data/demo)
  --end    last day, Asia/Shanghai (default yesterday: ${defaultDemoEnd()})`;

export class UsageError extends Error {}

/** Parse and check the command line; throws UsageError naming the bad argument. */
export function parseGenerateArgs(argv: string[], now = new Date()): Omit<DemoOptions, 'onProgress'> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        shops: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        end: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new UsageError('');

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
    }
    return n;
  };
  const shops = integer('shops', DEFAULT_DEMO.shops, 1, 999_999);
  const days = integer('days', DEFAULT_DEMO.days, 1, 3660);
  const seed = integer('seed', DEFAULT_DEMO.seed, 0, Number.MAX_SAFE_INTEGER);

  const latest = defaultDemoEnd(now);
  const end = (values.end as string | undefined) ?? latest;
  const endMs = Date.parse(`${end}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(end) || Number.isNaN(endMs) || new Date(endMs).toISOString().slice(0, 10) !== end) {
    throw new UsageError(`--end must be a date YYYY-MM-DD, got "${end}"`);
  }
  // Ingest rejects future timestamps, and the last day's orders run to 23:59:59.
  if (end > latest) throw new UsageError(`--end must be ${latest} (yesterday in Asia/Shanghai) or earlier, got "${end}"`);

  const out = (values.out as string | undefined) ?? path.join('data', 'demo');
  if (out.trim() === '') throw new UsageError('--out must not be empty');
  return { shops, days, seed, end, out };
}

function progressPrinter(stream: NodeJS.WriteStream): (done: number, total: number, what: string) => void {
  let lastShown = -1;
  return (done, total, what) => {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (stream.isTTY) {
      if (pct === lastShown) return;
      stream.write(`\rgenerating ${what}: ${pct}%`);
      if (pct === 100) stream.write('\n');
    } else {
      // Not a terminal (CI, logs): a line every 10%.
      const step = Math.floor(pct / 10) * 10;
      if (step === lastShown) return;
      stream.write(`generating ${what}: ${step}%\n`);
      lastShown = step;
      return;
    }
    lastShown = pct;
  };
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let opts: Omit<DemoOptions, 'onProgress'>;
  try {
    opts = parseGenerateArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (!err.message) {
      process.stdout.write(`${USAGE}\n`); // --help
      return 0;
    }
    process.stderr.write(`generate: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const t0 = performance.now();
  const summary = await generateDemo({ ...opts, onProgress: progressPrinter(process.stderr) });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  process.stderr.write(
    `wrote ${summary.categories} categories, ${summary.shops} shops, ${summary.orders} orders, ${summary.cases} cases ` +
      `(${summary.first} .. ${summary.last}, seed ${opts.seed}) to ${opts.out} in ${seconds} s\n`,
  );
  return 0;
}

// Run only when executed directly, not when imported (e.g. by tests).
function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`generate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
