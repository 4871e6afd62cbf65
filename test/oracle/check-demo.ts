// Generates the default demo data set, runs the oracle over it and prints what the demo shows:
// counts, timings, the levels on the last day per category, and the restrictions that lifted.
// Exits 1 when the demo misses one of its requirements.
//
//   npx tsx test/oracle/check-demo.ts [--keep]     (--keep leaves the files in the temp dir)
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_DEMO, generateDemo, type DemoSummary } from '../../server/generate/demo.js';
import { addDays, computeOracle, localDay, readCsvDir, type OracleLevel, type Row } from './oracle.js';

const END = '2026-11-25';
const keep = process.argv.includes('--keep');
const problems: string[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function generate(dir: string): Promise<{ summary: DemoSummary; ms: number }> {
  const t0 = performance.now();
  const summary = await generateDemo({ ...DEFAULT_DEMO, end: END, out: dir });
  return { summary, ms: performance.now() - t0 };
}

function digest(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
}

/** Instant of a timestamp; offset-less ones are Asia/Shanghai wall-clock time. */
function instant(ts: string): number {
  const t = ts.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : `${t}+08:00`);
}

function styleOf(ts: string): string {
  return ts.endsWith('Z') ? 'utc' : /[+-]\d{2}:\d{2}$/.test(ts) ? 'offset' : 'local';
}

// The oracle's day rule on the timestamp styles the demo writes (DESIGN §2).
const dayCases: [string, string][] = [
  ['2026-10-01T23:30:00+08:00', '2026-10-01'],
  ['2026-10-01 23:30:00', '2026-10-01'],
  ['2026-10-01T15:30:00Z', '2026-10-01'],
  ['2026-10-01T16:00:00Z', '2026-10-02'],
  ['2026-09-30T16:00:30Z', '2026-10-01'],
  ['2026-10-01T23:59:59+08:00', '2026-10-01'],
  ['2026-10-01T18:00:00-05:00', '2026-10-02'],
];
for (const [ts, want] of dayCases) {
  const got = localDay(ts);
  if (got !== want) problems.push(`localDay(${ts}) = ${got}, want ${want}`);
}

const root = mkdtempSync(path.join(tmpdir(), 'iw-demo-'));
try {
  const dirA = path.join(root, 'a');
  const dirB = path.join(root, 'b');
  const a = await generate(dirA);
  const b = await generate(dirB);
  const same = digest(a.summary.files) === digest(b.summary.files);
  const s = a.summary;
  console.log(`generated into ${dirA} in ${seconds(a.ms)} (repeat ${seconds(b.ms)}, ${same ? 'byte-identical' : 'DIFFERENT'})`);
  console.log(`  ${s.categories} categories, ${s.shops} shops, ${s.orders} orders, ${s.cases} cases, ${s.first} .. ${s.last}`);
  if (!same) problems.push('two runs with the same options gave different files');
  if (Math.min(a.ms, b.ms) >= 10_000) problems.push(`generation took ${seconds(Math.min(a.ms, b.ms))} (limit 10 s)`);
  if (s.orders < 800_000 || s.orders > 1_200_000) problems.push(`${s.orders} orders, want 1,000,000 ± 20%`);

  let t0 = performance.now();
  const input = readCsvDir(dirA);
  const readMs = performance.now() - t0;
  t0 = performance.now();
  const oracle = computeOracle(input);
  console.log(`oracle: read ${seconds(readMs)}, computed ${seconds(performance.now() - t0)}; days ${oracle.first} .. ${oracle.last}`);
  if (oracle.last !== END) problems.push(`oracle last day ${oracle.last}, want ${END}`);

  checkRows(input.orders, input.interventions, oracle.first);

  // Levels on the last day, per category.
  const categoryName = new Map(input.categories.map((c) => [c.category_id, c.category_name]));
  const shopCategory = new Map(input.shops.map((r) => [r.shop_id, r.category_id]));
  const levels: OracleLevel[] = ['warning', 'restricted', 'severe'];
  const perCategory = new Map<string, Record<OracleLevel, number>>();
  const totals: Record<OracleLevel, number> = { none: 0, warning: 0, restricted: 0, severe: 0 };
  const lifted: string[] = [];
  let everFlagged = 0;
  for (const [shopId, rows] of oracle.days) {
    const level = rows[rows.length - 1].level;
    totals[level]++;
    const cat = shopCategory.get(shopId)!;
    if (!perCategory.has(cat)) perCategory.set(cat, { none: 0, warning: 0, restricted: 0, severe: 0 });
    perCategory.get(cat)![level]++;
    if (rows.some((r) => r.flagged)) everFlagged++;
    rows.forEach((r, i) => {
      const before = i > 0 ? rows[i - 1] : null;
      if (before && before.restrictions.length > 0 && r.restrictions.length === 0) {
        const [restricted, severe] = [before.restrictions[0].since, before.restrictions[2]?.since];
        const detail = severe ? `restricted ${restricted}, severe ${severe}` : `restricted ${restricted}`;
        lifted.push(`${shopId} ${categoryName.get(cat)}: ${detail}, lifted ${r.date}`);
      }
    });
  }
  console.log(`\nlast day ${oracle.last}: ${levels.map((l) => `${l} ${totals[l]}`).join(', ')}, none ${totals.none}; ever flagged: ${everFlagged} shops`);
  console.log('  category            warning restricted severe');
  for (const [cat, c] of [...perCategory].sort(([x], [y]) => x.localeCompare(y))) {
    const name = `${cat} ${categoryName.get(cat)}`;
    console.log(`  ${name.padEnd(16, '　')}${levels.map((l) => String(c[l]).padStart(l.length + 1)).join('')}`);
  }
  for (const l of levels) {
    const cats = [...perCategory.values()].filter((c) => c[l] > 0).length;
    if (cats < 3) problems.push(`level ${l} on the last day in ${cats} categories, want ≥ 3`);
  }
  console.log(`\nrestrictions lifted in the history: ${lifted.length}`);
  for (const line of lifted) console.log(`  ${line}`);
  if (lifted.length < 3) problems.push(`${lifted.length} lifted restrictions, want ≥ 3`);

  // A few example shops per level, to look at in the dashboard.
  for (const l of levels) {
    const examples = [...oracle.days]
      .filter(([, rows]) => rows[rows.length - 1].level === l)
      .slice(0, 4)
      .map(([id, rows]) => {
        const r = rows[rows.length - 1];
        return `${id} (K ${r.interventions}/N ${r.orders}, ratio ${r.ratio?.toFixed(1)}, run ${r.consecutiveFlaggedDays})`;
      });
    console.log(`${l}: ${examples.join('; ')}`);
  }
} finally {
  if (keep) console.log(`\nfiles kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.log(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('\nall demo requirements met');

/** Properties of the rows themselves: styles, ranges, case timing, multi-case orders. */
function checkRows(orders: Row[], cases: Row[], first: string): void {
  const endInstant = instant(`${END}T23:59:59+08:00`);
  const paid = new Map<string, number>();
  const styles: Record<string, number> = {};
  let nearMidnight = 0;
  let outside = 0;
  for (const o of orders) {
    const t = instant(o.paid_at);
    paid.set(o.order_id, t);
    styles[styleOf(o.paid_at)] = (styles[styleOf(o.paid_at)] ?? 0) + 1;
    const day = localDay(o.paid_at);
    if (day < first || day > END || t > endInstant) outside++;
    const clock = new Date(t + 8 * 3_600_000).toISOString().slice(11, 16);
    if (clock === '23:59' || clock === '00:00') nearMidnight++;
  }
  const kinds: Record<string, number> = {};
  const casesPerOrder = new Map<string, number[]>();
  let excluded = 0;
  let early = 0;
  let late = 0;
  let caseOutside = 0;
  for (const c of cases) {
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    if (c.excluded === 'true') excluded++;
    const t = instant(c.opened_at);
    const p = paid.get(c.order_id);
    if (p === undefined || t < p) early++;
    else if (t - p > 10 * 86_400_000) late++;
    if (localDay(c.opened_at) > END || t > endInstant) caseOutside++;
    if (!casesPerOrder.has(c.order_id)) casesPerOrder.set(c.order_id, []);
    casesPerOrder.get(c.order_id)!.push(t);
  }
  let multi = 0;
  let multiDays = 0;
  let apart30 = 0;
  for (const ts of casesPerOrder.values()) {
    if (ts.length < 2) continue;
    multi++;
    const days = new Set(ts.map((t) => new Date(t + 8 * 3_600_000).toISOString().slice(0, 10)));
    if (days.size > 1) multiDays++;
    const sorted = [...days].sort();
    if (addDays(sorted[0], 30) < sorted[sorted.length - 1]) apart30++;
  }
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`;
  console.log(`  orders: styles ${JSON.stringify(styles)}, ${nearMidnight} paid at 23:59/00:00 local, ${outside} outside ${first}..${END}`);
  console.log(
    `  cases: ${JSON.stringify(kinds)} (complaints ${pct(kinds.complaint ?? 0, kinds.intervention ?? 1)} of interventions), ` +
      `${pct(excluded, cases.length)} excluded; ${multi} orders with several cases (${multiDays} on different days, ` +
      `${apart30} over 30 days apart); ${late} opened > 10 days after payment`,
  );
  if (outside + caseOutside > 0) problems.push(`${outside} orders and ${caseOutside} cases outside the days or in the future`);
  if (early > 0) problems.push(`${early} cases opened before their order was paid (or on an unknown order)`);
}
