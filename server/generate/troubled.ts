// Demo generator, troubled shops: the story of the data set. About 3% of the shops get an
// episode of raised intervention probability; most are aimed at a level of the default policy
// (DESIGN §3) on the last day — warning, restricted, severe — or at a restriction that was
// lifted, the rest are background episodes earlier in the history. A small internal evaluation
// of the default policy (N, K, category mean, flag runs) picks each episode's start and
// strength, re-drawing the shop's cases until the target is met; the independent oracle in
// test/oracle checks the engine on the result.
import { LEAVES, type Shop } from './catalogue.js';
import { drawCases, type CaseOrder, type Episode } from './cases.js';
import { Random } from './random.js';

/** Share of shops with a trouble episode (targets plus background). */
const TROUBLED_SHARE = 0.03;

// The default policy (DESIGN §3), used only to tune the troubled shops' episodes.
const WINDOW = 30;
const MIN_ORDERS = 30;
const MIN_INTERVENTIONS = 3;
const FLAG_RATIO = 5;
const RESTRICT_AFTER = 7;
const SEVERE_AFTER = 14;
const LIFT_AFTER = 7;

type Target = 'warning' | 'restricted' | 'severe' | 'lifted' | 'background';
const Level = { None: 0, Warning: 1, Restricted: 2, Severe: 3 } as const;
type Level = (typeof Level)[keyof typeof Level];

/**
 * Give the troubled shops their episodes: replaces their entries of `caseOrders` (drawn without
 * an episode) with case orders drawn during a tuned episode. `counts` are the shops' orders per day.
 */
export function tuneTroubledShops(seed: number, days: number, shops: Shop[], counts: Int32Array[], caseOrders: CaseOrder[][]): void {
  // Window totals per shop and per category, kept up to date while episodes are tuned.
  const nWin = counts.map(windowOrders);
  const kWin = caseOrders.map((co) => windowInterventions(co, days));
  const catN = LEAVES.map(() => new Float64Array(days));
  const catK = LEAVES.map(() => new Float64Array(days));
  shops.forEach((s, i) => {
    for (let d = 0; d < days; d++) {
      catN[s.leaf][d] += nWin[i][d];
      catK[s.leaf][d] += kWin[i][d];
    }
  });
  let firstDay = 0;
  while (firstDay < days && counts.every((c) => c[firstDay] === 0)) firstDay++;
  const firstComplete = firstDay + WINDOW - 1;

  const targets = chooseTargets(seed, shops);
  const apply = (t: { shop: Shop; target: Target }, round: number): boolean => {
    const i = t.shop.index;
    const rng = new Random(seed, 4, i, round);
    const baseMult = 9 + rng.next() * 3; // 9-12× the category base rate ...
    const episodes = candidateEpisodes(t.target, days, rng);
    if (episodes.length === 0) return t.target === 'background';
    const others = catK[t.shop.leaf].map((v, d) => v - kWin[i][d]);
    let chosen: { co: CaseOrder[]; k: Int32Array } | null = null;
    let ok = false;
    // ... raised up to 15× when the shop weighs a lot in its category's mean. Two random draws
    // per candidate start: the Poisson noise decides the exact flag days.
    for (const mult of [baseMult, baseMult + 1.5, 15]) {
      for (let step = 0; step < episodes.length * 2 && !ok; step++) {
        const episode = { ...episodes[step >> 1], mult };
        const co = drawCases(seed, t.shop, counts[i], episode, 1 + step + round * 1000 + Math.round(mult * 1e6));
        const k = windowInterventions(co, days);
        ok = meets(t.target, evaluateShop(nWin[i], k, catN[t.shop.leaf], others, firstComplete));
        if (ok || chosen === null) chosen = { co, k };
      }
      if (ok || t.target === 'background') break;
    }
    if (chosen !== null) {
      caseOrders[i] = chosen.co;
      kWin[i] = chosen.k;
      for (let d = 0; d < days; d++) catK[t.shop.leaf][d] = others[d] + chosen.k[d];
    }
    return ok;
  };

  for (const t of targets) apply(t, 0);
  // Each episode raises its category's mean a little, which can shift the others' flag days:
  // re-check and re-tune the ones that drifted.
  for (let round = 1; round <= 4; round++) {
    let drifted = 0;
    for (const t of targets) {
      if (t.target === 'background') continue;
      const i = t.shop.index;
      const others = catK[t.shop.leaf].map((v, d) => v - kWin[i][d]);
      if (meets(t.target, evaluateShop(nWin[i], kWin[i], catN[t.shop.leaf], others, firstComplete))) continue;
      drifted++;
      apply(t, round);
    }
    if (drifted === 0) break;
  }
}

/**
 * Troubled shops: medium-size shops that have been selling from the first day and are big
 * enough for K ≥ 3 during an episode. Targets go round-robin over categories so that every
 * level appears in many categories; the rest of the budget gets background episodes.
 */
function chooseTargets(seed: number, shops: Shop[]): { shop: Shop; target: Target }[] {
  const rng = new Random(seed, 3);
  const volume = LEAVES.map(() => 0);
  for (const s of shops) volume[s.leaf] += s.lambda;
  // Enough interventions to be judged (K ≥ 3 with margin), and a small share of the category:
  // a big shop's episode raises the category mean it is compared with. Shops up to 3.5% of
  // their category are taken at random; larger ones (up to 8%) only when those run out,
  // smallest first. Pools are used from the end (pop).
  const small = LEAVES.map(() => [] as Shop[]);
  const large = LEAVES.map(() => [] as Shop[]);
  for (const s of shops) {
    const expectedK = s.lambda * WINDOW * LEAVES[s.leaf].baseRate * 9;
    const share = s.lambda / volume[s.leaf];
    if (s.start !== 0 || s.lambda < 3 || expectedK < 9 || share > 0.08) continue;
    (share <= 0.035 ? small : large)[s.leaf].push(s);
  }
  const pools = LEAVES.map((_, leaf) => [...large[leaf].sort((x, y) => y.lambda - x.lambda), ...shuffle(small[leaf], rng)]);
  const leafOrder = shuffle(
    LEAVES.map((_, i) => i),
    rng,
  );
  const kinds: Target[] = ['severe', 'restricted', 'warning'];
  const wanted: { leaf: number; target: Target }[] = [];
  const round = (r: number) => leafOrder.forEach((leaf, j) => wanted.push({ leaf, target: kinds[(j + r) % 3] }));
  const lifted = (from: number, to: number) => leafOrder.slice(from, to).forEach((leaf) => wanted.push({ leaf, target: 'lifted' }));
  round(0);
  lifted(0, 3);
  round(1);
  round(2);
  lifted(3, 6);

  const budget = Math.round(shops.length * TROUBLED_SHARE);
  const chosen: { shop: Shop; target: Target }[] = [];
  for (const w of wanted) {
    if (chosen.length >= budget) break;
    const shop = pools[w.leaf].pop();
    if (shop) chosen.push({ shop, target: w.target });
  }
  const rest = shuffle(pools.flat(), rng);
  while (chosen.length < budget && rest.length > 0) chosen.push({ shop: rest.pop()!, target: 'background' });
  return chosen;
}

function shuffle<T>(items: T[], rng: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Rolling window order counts N for each day. */
function windowOrders(counts: Int32Array): Int32Array {
  const out = new Int32Array(counts.length);
  let sum = 0;
  for (let d = 0; d < counts.length; d++) {
    sum += counts[d];
    if (d >= WINDOW) sum -= counts[d - WINDOW];
    out[d] = sum;
  }
  return out;
}

/**
 * Rolling window intervention-order counts K: an order counts on day D when one of its
 * non-excluded intervention cases opened in D−29..D; the union of those day ranges per order
 * goes into a difference array so that an order never counts twice.
 */
function windowInterventions(caseOrders: CaseOrder[], days: number): Int32Array {
  const diff = new Int32Array(days + 1);
  for (const co of caseOrders) {
    const opened: number[] = [];
    for (const c of co.cases) if (c.kind === 'intervention' && !c.excluded) opened.push(co.day + c.offset);
    if (opened.length === 0) continue;
    opened.sort((a, b) => a - b);
    let from = opened[0];
    let to = from + WINDOW - 1;
    for (let j = 1; j < opened.length; j++) {
      if (opened[j] <= to + 1) to = opened[j] + WINDOW - 1;
      else {
        diff[from]++;
        diff[Math.min(to + 1, days)]--;
        from = opened[j];
        to = from + WINDOW - 1;
      }
    }
    diff[from]++;
    diff[Math.min(to + 1, days)]--;
  }
  const out = new Int32Array(days);
  let sum = 0;
  for (let d = 0; d < days; d++) {
    sum += diff[d];
    out[d] = sum;
  }
  return out;
}

interface ShopOutcome {
  last: Level;
  lifts: number;
}

/**
 * The default policy's levels for one shop (used only for tuning; the independent oracle in
 * test/oracle checks the result). The category's K is given without this shop (`catKOthers`)
 * so a candidate episode can be tried without touching the totals.
 */
function evaluateShop(n: Int32Array, k: Int32Array, catN: Float64Array, catKOthers: Float64Array, firstComplete: number): ShopOutcome {
  let level: Level = Level.None;
  let run = 0;
  let clean = 0;
  let lifts = 0;
  for (let d = 0; d < n.length; d++) {
    const sumK = catKOthers[d] + k[d];
    const flagged = d >= firstComplete && n[d] >= MIN_ORDERS && k[d] >= MIN_INTERVENTIONS && sumK > 0 && k[d] * catN[d] >= FLAG_RATIO * n[d] * sumK;
    if (flagged) {
      run++;
      clean = 0;
    } else {
      run = 0;
      clean++;
    }
    if (level >= Level.Restricted) {
      if (clean >= LIFT_AFTER) {
        level = Level.None;
        lifts++;
      } else if (run >= SEVERE_AFTER) level = Level.Severe;
    } else if (flagged) level = run >= RESTRICT_AFTER ? Level.Restricted : Level.Warning;
    else level = Level.None;
  }
  return { last: level, lifts };
}

function meets(target: Target, o: ShopOutcome): boolean {
  switch (target) {
    case 'warning':
      return o.last === Level.Warning;
    case 'restricted':
      return o.last === Level.Restricted;
    case 'severe':
      return o.last === Level.Severe;
    case 'lifted':
      return o.lifts > 0 && o.last === Level.None;
    case 'background':
      return true;
  }
}

/** Offsets tried around a centre, nearest first: c, c−1, c+1, c−2, ... */
function around(centre: number, radius: number): number[] {
  const out = [centre];
  for (let r = 1; r <= radius; r++) out.push(centre - r, centre + r);
  return out;
}

/**
 * Candidate episodes for a target, most plausible first. Flags start roughly two weeks after
 * the trouble does (the 30-day window fills up) and stop roughly two weeks after it ends.
 */
function candidateEpisodes(target: Target, days: number, rng: Random): Omit<Episode, 'mult'>[] {
  const last = days - 1;
  const tail = (starts: number[]) => starts.filter((back) => back > 0 && back <= last).map((back) => ({ from: last - back, to: last }));
  switch (target) {
    case 'warning':
      return tail(around(18, 8));
    case 'restricted':
      return tail(around(24, 8));
    case 'severe':
      return tail(around(38, 12));
    case 'lifted': {
      const length = rng.between(30, 40);
      return around(10, 8)
        .filter((from) => from >= 0 && from + length < last - 45)
        .map((from) => ({ from, to: from + length }));
    }
    case 'background': {
      // Anywhere in the history, over well before the last day.
      const length = rng.between(6, 35);
      const latest = last - 45 - length;
      if (latest < 0) return [];
      const from = rng.between(0, latest);
      return [{ from, to: from + length }];
    }
  }
}
