// A deliberately naive reference implementation of DESIGN §3 (default policy), written
// independently of the server: no SQL, no incremental tricks, just loops over days and rows.
// Tests compare the engine's answers with this one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

export type Row = Record<string, string>;

export interface OracleInput {
  categories: Row[];
  shops: Row[];
  orders: Row[];
  interventions: Row[];
}

export type OracleLevel = 'none' | 'warning' | 'restricted' | 'severe';

export interface OracleShopDay {
  shopId: string;
  date: string;
  orders: number;
  interventions: number;
  complaints: number;
  rate: number | null;
  categoryMean: number | null;
  ratio: number | null;
  judged: boolean;
  flagged: boolean;
  level: OracleLevel;
  consecutiveFlaggedDays: number;
  restrictions: { code: string; since: string }[];
}

export interface OracleResult {
  first: string;
  last: string;
  /** Every shop of the shops table, one row per day from first to last. */
  days: Map<string, OracleShopDay[]>;
}

// The default policy, spelled out.
const WINDOW_DAYS = 30;
const MIN_ORDERS = 30;
const MIN_INTERVENTIONS = 3;
const FLAG_RATIO = 5;
const RESTRICTED_AFTER = 7;
const SEVERE_AFTER = 14;
const LIFT_AFTER = 7;
const RESTRICTED_CODES = ['remove_resource_slots', 'ban_resource_slots'];
const SEVERE_CODES = ['remove_ads', 'ban_new_listings'];

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The calendar day (YYYY-MM-DD) of a timestamp in time zone `tz`. A timestamp without an
 * offset is a wall-clock time in `tz`, so its day is the date as written; one with an offset
 * or Z is an instant, whose day in `tz` Intl tells us.
 */
export function localDay(ts: string, tz = 'Asia/Shanghai'): string {
  const text = ts.trim().replace(' ', 'T');
  const m = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) throw new Error(`not an ISO 8601 timestamp: ${ts}`);
  if (m[4] === undefined) return m[1];
  const offset = m[4].toUpperCase() === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4];
  const instant = new Date(text.slice(0, text.length - m[4].length) + offset);
  if (Number.isNaN(instant.getTime())) throw new Error(`not a valid timestamp: ${ts}`);
  let fmt = formatters.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(tz, fmt);
  }
  const parts = fmt.formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** YYYY-MM-DD plus n days (UTC date arithmetic: no time zone involved). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Days since 1970-01-01 of a YYYY-MM-DD day, to compare days as numbers. */
function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000;
}

function dayRange(first: string, last: string): string[] {
  const out: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) out.push(d);
  return out;
}

export function computeOracle(input: OracleInput, opts: { tz?: string } = {}): OracleResult {
  const tz = opts.tz ?? 'Asia/Shanghai';

  const categoryOf = new Map<string, string>();
  for (const s of input.shops) categoryOf.set(s.shop_id, s.category_id);

  // A later row with the same id replaces the earlier one (DESIGN §2).
  const orderById = new Map<string, Row>();
  for (const o of input.orders) if (categoryOf.has(o.shop_id)) orderById.set(o.order_id, o);
  const caseById = new Map<string, Row>();
  for (const c of input.interventions) if (categoryOf.has(c.shop_id)) caseById.set(c.case_id, c);

  // shop → day → number of orders paid that day
  const ordersPerDay = new Map<string, Map<string, number>>();
  let first: string | null = null;
  let last: string | null = null;
  for (const o of orderById.values()) {
    const day = localDay(o.paid_at, tz);
    let perDay = ordersPerDay.get(o.shop_id);
    if (!perDay) ordersPerDay.set(o.shop_id, (perDay = new Map()));
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    if (first === null || day < first) first = day;
    if (last === null || day > last) last = day;
  }
  if (first === null || last === null) return { first: '', last: '', days: new Map() };

  // shop → order → the days (as day numbers) on which its counted cases were opened, per kind.
  const interventionDays = new Map<string, Map<string, Set<number>>>();
  const complaintDays = new Map<string, Map<string, Set<number>>>();
  for (const c of caseById.values()) {
    const day = localDay(c.opened_at, tz);
    if (day > last) last = day;
    if (c.excluded.trim().toLowerCase() === 'true') continue; // excluded: counts nowhere
    const target = c.kind === 'intervention' ? interventionDays : c.kind === 'complaint' ? complaintDays : null;
    if (!target) continue;
    let perOrder = target.get(c.shop_id);
    if (!perOrder) target.set(c.shop_id, (perOrder = new Map()));
    let days = perOrder.get(c.order_id);
    if (!days) perOrder.set(c.order_id, (days = new Set()));
    days.add(dayNumber(day));
  }

  const allDays = dayRange(first, last);
  const firstFlaggable = addDays(first, WINDOW_DAYS - 1);
  const shopIds = input.shops.map((s) => s.shop_id);

  // An order counts in window [from, to] (day numbers) if any of its case days falls inside it.
  const countOrders = (perOrder: Map<string, Set<number>> | undefined, from: number, to: number): number => {
    if (!perOrder) return 0;
    let n = 0;
    for (const days of perOrder.values()) {
      for (const d of days) {
        if (d >= from && d <= to) {
          n++;
          break;
        }
      }
    }
    return n;
  };

  // Pass 1: raw window counts for every shop and day.
  type Counts = { orders: number; interventions: number; complaints: number };
  const counts = new Map<string, Counts[]>();
  for (const shopId of shopIds) {
    const perDay = allDays.map((d) => ordersPerDay.get(shopId)?.get(d) ?? 0);
    const rows: Counts[] = [];
    for (let i = 0; i < allDays.length; i++) {
      // Orders: no order is paid before the first day, so the window is clipped there.
      let orders = 0;
      for (let j = Math.max(0, i - (WINDOW_DAYS - 1)); j <= i; j++) orders += perDay[j];
      // Cases: a case may open before the first day and still be inside the window.
      const to = dayNumber(allDays[i]);
      const from = to - (WINDOW_DAYS - 1);
      rows.push({
        orders,
        interventions: countOrders(interventionDays.get(shopId), from, to),
        complaints: countOrders(complaintDays.get(shopId), from, to),
      });
    }
    counts.set(shopId, rows);
  }

  // Pass 2: pooled category totals ΣK and ΣN per day.
  const categoryTotals = new Map<string, { k: number; n: number }[]>();
  for (const shopId of shopIds) {
    const cat = categoryOf.get(shopId)!;
    let totals = categoryTotals.get(cat);
    if (!totals) categoryTotals.set(cat, (totals = allDays.map(() => ({ k: 0, n: 0 }))));
    counts.get(shopId)!.forEach((c, i) => {
      totals[i].k += c.interventions;
      totals[i].n += c.orders;
    });
  }

  // Pass 3: rates, flags and the level state machine, day by day per shop.
  const result = new Map<string, OracleShopDay[]>();
  for (const shopId of shopIds) {
    const totals = categoryTotals.get(categoryOf.get(shopId)!)!;
    const rows: OracleShopDay[] = [];
    let level: OracleLevel = 'none';
    let run = 0; // flagged days in a row
    let clean = 0; // unflagged days in a row
    let restrictions: { code: string; since: string }[] = [];
    allDays.forEach((date, i) => {
      const { orders: n, interventions: k, complaints } = counts.get(shopId)![i];
      const { k: sumK, n: sumN } = totals[i];
      const rate = n === 0 ? null : k / n;
      const categoryMean = sumN === 0 ? null : sumK / sumN;
      const ratio = rate === null || categoryMean === null || categoryMean === 0 ? null : rate / categoryMean;
      const judged = n >= MIN_ORDERS && k >= MIN_INTERVENTIONS;
      // ratio ≥ 5 as integers: (k/n) / (ΣK/ΣN) ≥ 5  ⇔  k·ΣN ≥ 5·n·ΣK (n, ΣK > 0 here).
      const flagged = judged && ratio !== null && k * sumN >= FLAG_RATIO * n * sumK && date >= firstFlaggable;

      if (flagged) {
        run++;
        clean = 0;
      } else {
        run = 0;
        clean++;
      }

      if (level === 'restricted' || level === 'severe') {
        if (!flagged && clean >= LIFT_AFTER) {
          level = 'none'; // all restrictions lift together
          restrictions = [];
        } else if (flagged && run >= SEVERE_AFTER && level === 'restricted') {
          level = 'severe';
          restrictions = [...restrictions, ...SEVERE_CODES.map((code) => ({ code, since: date }))];
        }
      } else if (flagged && run >= RESTRICTED_AFTER) {
        level = 'restricted';
        restrictions = RESTRICTED_CODES.map((code) => ({ code, since: date }));
      } else {
        level = flagged ? 'warning' : 'none';
      }

      rows.push({
        shopId,
        date,
        orders: n,
        interventions: k,
        complaints,
        rate,
        categoryMean,
        ratio,
        judged,
        flagged,
        level,
        consecutiveFlaggedDays: flagged ? run : 0,
        restrictions: restrictions.map((r) => ({ ...r })),
      });
    });
    result.set(shopId, rows);
  }
  return { first, last, days: result };
}

/** Parse the four CSV files of a directory (categories, shops, orders, interventions). */
export function readCsvDir(dir: string): OracleInput {
  const read = (name: string): Row[] => parse<Row>(readFileSync(path.join(dir, `${name}.csv`), 'utf8'), { columns: true, skip_empty_lines: true, bom: true });
  return {
    categories: read('categories'),
    shops: read('shops'),
    orders: read('orders'),
    interventions: read('interventions'),
  };
}
