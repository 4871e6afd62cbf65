// Demo generator, cases: which orders of a shop get intervention or complaint cases (planned up
// front: kind, days from payment to opening, exclusion — what the metrics count), optionally
// during a trouble episode of raised probability, and, when writing, each case's cosmetic
// details (opening time, reason, status, outcome, exclusion reason) as interventions.csv lines.
import { TS_STYLES, timestamp, type Calendar } from './calendar.js';
import { LEAVES, type Shop } from './catalogue.js';
import { HOUR_WEIGHTS } from './orders.js';
import { Random, Weighted } from './random.js';

export const CASES_HEADER = 'case_id,order_id,shop_id,opened_at,kind,reason,status,outcome,excluded,exclusion_reason';

const INTERVENTION_REASONS = new Weighted<string>([
  ['not_received', 22],
  ['quality', 22],
  ['not_as_described', 18],
  ['refund_refused', 14],
  ['damaged', 10],
  ['late_shipment', 9],
  ['fake', 5],
]);
const COMPLAINT_REASONS = new Weighted<string>([
  ['fake', 25],
  ['not_as_described', 25],
  ['refund_refused', 20],
  ['quality', 15],
  ['late_shipment', 15],
]);
const OUTCOMES = new Weighted<string>([
  ['seller_responsible', 55],
  ['buyer_responsible', 25],
  ['withdrawn', 20],
]);
const EXCLUDED_OUTCOMES = new Weighted<string>([
  ['buyer_responsible', 50],
  ['withdrawn', 30],
  ['seller_responsible', 20],
]);
const EXCLUSION_REASONS = new Weighted<string>([
  ['force_majeure', 30],
  ['malicious_buyer', 40],
  ['logistics_exception', 30],
]);

// Cases are opened mostly in daytime.
const CASE_HOURS = new Weighted<number>(HOUR_WEIGHTS.map((w, h) => [h, h >= 8 && h <= 22 ? w * 1.5 : w * 0.5] as const));
// Days from payment to the first case: most disputes start within a few days.
const CASE_DELAYS = new Weighted<number>([
  [0, 12],
  [1, 20],
  [2, 18],
  [3, 14],
  [4, 10],
  [5, 8],
  [6, 6],
  [7, 5],
  [8, 3],
  [9, 2],
  [10, 2],
]);
const MAX_CASE_DELAY = 10;

/** Complaint probability relative to the shop's intervention probability. */
const COMPLAINT_SHARE = 0.18;
const EXCLUDED_SHARE = 0.04;

export type Kind = 'intervention' | 'complaint';

export interface Episode {
  from: number; // paid-day indices, inclusive
  to: number;
  mult: number; // intervention probability = category base rate × mult
}

export interface CaseDraw {
  kind: Kind;
  offset: number; // opened day − paid day
  excluded: boolean;
}

export interface CaseOrder {
  day: number;
  idx: number; // the idx-th order of the shop on that day
  cases: CaseDraw[];
  /** Paid during the shop's trouble episode (its interventions come mostly from its problem goods). */
  troubled?: true;
}

/**
 * Which orders of the shop get cases. Orders are indexed by (day, idx) so that phase 2 can
 * find them again; cases that would open after the last day are dropped (not yet opened).
 */
export function drawCases(seed: number, shop: Shop, counts: Int32Array, episode: Episode | null, attempt: number): CaseOrder[] {
  const rng = new Random(seed, 2, shop.index, attempt);
  const last = counts.length - 1;
  const base = LEAVES[shop.leaf].baseRate;
  const result: CaseOrder[] = [];
  for (let d = 0; d <= last; d++) {
    const n = counts[d];
    if (n === 0) continue;
    const troubled = episode !== null && d >= episode.from && d <= episode.to;
    const p = troubled ? base * episode.mult : shop.rate;
    // A troubled shop also draws more complaints, but less than proportionally.
    const q = shop.rate * COMPLAINT_SHARE * (troubled ? 1 + (episode.mult - 1) * 0.3 : 1);
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      const v = rng.next();
      if (u >= p && v >= q) continue;
      const cases: CaseDraw[] = [];
      const add = (kind: Kind, offset: number) => {
        if (d + offset <= last) cases.push({ kind, offset, excluded: rng.chance(EXCLUDED_SHARE) });
      };
      if (u < p) {
        const first = CASE_DELAYS.draw(rng);
        add('intervention', first);
        // Several cases on one order: same day or another day, counted once (DESIGN §3).
        if (rng.chance(0.07)) add('intervention', rng.chance(0.4) ? first : CASE_DELAYS.draw(rng));
        // A rare dispute reopened more than 30 days later: counts again in a later window.
        // (This is the one exception to "opened 0-10 days after payment".)
        if (rng.chance(0.005)) add('intervention', first + rng.between(31, 40));
        if (rng.chance(0.08)) add('complaint', CASE_DELAYS.draw(rng));
      }
      if (v < q) {
        add('complaint', CASE_DELAYS.draw(rng));
        if (rng.chance(0.05)) add('complaint', CASE_DELAYS.draw(rng));
      }
      if (cases.length > 0) result.push(troubled ? { day: d, idx: i, cases, troubled: true } : { day: d, idx: i, cases });
    }
  }
  return result;
}

/** Key of the idx-th order of shop `shop` (by index) on a day, as used by CaseCursor.day. */
export function caseKey(shop: number, idx: number): number {
  return shop * 1_000_000 + idx;
}

/** Walks every shop's case orders (each list is in day order) one day at a time while writing. */
export class CaseCursor {
  private readonly next: Int32Array; // per shop: next case order to write

  constructor(private readonly caseOrders: CaseOrder[][]) {
    this.next = new Int32Array(caseOrders.length);
  }

  /** The case orders paid on day `d`, by caseKey; call for d = 0, 1, 2, ... in turn. */
  day(d: number): Map<number, CaseOrder> {
    const dayCases = new Map<number, CaseOrder>();
    const next = this.next;
    for (let s = 0; s < this.caseOrders.length; s++) {
      const list = this.caseOrders[s];
      while (next[s] < list.length && list[next[s]].day === d) {
        const co = list[next[s]++];
        dayCases.set(caseKey(s, co.idx), co);
      }
    }
    return dayCases;
  }
}

/** Renders interventions.csv lines; case ids C + 8 digits number the cases in writing order. */
export class CaseLines {
  /** Cases rendered so far. */
  count = 0;
  private readonly last: number;

  constructor(
    private readonly rng: Random,
    private readonly cal: Calendar,
  ) {
    this.last = cal.days - 1;
  }

  /** Append the lines of the cases of one order, paid on day `d` at second `sec`, to `out`. */
  render(out: string[], co: CaseOrder, orderId: string, shop: Shop, d: number, sec: number): void {
    const rng = this.rng;
    for (const c of co.cases) {
      const day = d + c.offset;
      // Same day as the payment: opened after it; at the longest delay, no later in the day
      // than the payment (at most 10 × 24 h); otherwise at a daytime-weighted hour.
      const openedSec =
        c.offset === 0 ? sec + rng.int(86400 - sec) : c.offset === MAX_CASE_DELAY ? rng.int(sec + 1) : CASE_HOURS.draw(rng) * 3600 + rng.int(3600);
      const { status, outcome } = caseStatus(rng, this.last - day, c.excluded);
      const reason = (c.kind === 'intervention' ? INTERVENTION_REASONS : COMPLAINT_REASONS).draw(rng);
      const exclusion = c.excluded ? EXCLUSION_REASONS.draw(rng) : '';
      this.count++;
      out.push(
        `C${String(this.count).padStart(8, '0')},${orderId},${shop.id},${timestamp(this.cal, day, openedSec, TS_STYLES.draw(rng))},` +
          `${c.kind},${reason},${status},${outcome},${c.excluded},${exclusion}\n`,
      );
    }
  }
}

function caseStatus(rng: Random, age: number, excluded: boolean): { status: string; outcome: string } {
  // Exclusion is decided when a case is closed; otherwise recent cases are mostly still open.
  const openChance = age <= 2 ? 0.85 : age <= 6 ? 0.5 : age <= 14 ? 0.15 : 0.02;
  if (!excluded && rng.chance(openChance)) return { status: 'open', outcome: '' };
  return { status: 'closed', outcome: (excluded ? EXCLUDED_OUTCOMES : OUTCOMES).draw(rng) };
}
