// The level evaluator: walks one shop's days in order and applies the policy's run, escalation and
// lift rules (DESIGN §3). Pure: the same days and policy give the same levels, so it is tested on
// hand-made series without a database.
import type { Level, Policy } from './policy.js';

export interface DayInput {
  day: string; // YYYY-MM-DD
  flagged: boolean;
  orders: number;
  interventions: number;
  rate: number | null;
  categoryMean: number | null;
  ratio: number | null;
}

export interface Episode {
  level: 'restricted' | 'severe';
  codes: string[];
  startDay: string;
  /** The day its restrictions lifted; null while still in force. */
  endDay: string | null;
  /** The numbers of the day it was reached: what caused it. */
  orders: number;
  interventions: number;
  rate: number | null;
  categoryMean: number | null;
  ratio: number | null;
  flaggedDays: number;
  policyVersion: string;
}

/**
 * A reviewer's early lift (or an accepted appeal): on that day the restrictions of the episode it was
 * made on end and the run starts again. It binds to that episode: it lifts nothing when the episode in
 * force that day started on another day, or has escalated beyond the level the reviewer saw.
 */
export interface LiftOverride {
  day: string;
  /** The start day of the episode decided on; null (decisions from before episodes were recorded): any. */
  episodeStart: string | null;
  /** The highest level the reviewer saw; null: any. */
  level: 'restricted' | 'severe' | null;
}

const LEVEL_RANK = { restricted: 1, severe: 2 } as const;

/** Whether a lift decided on an episode applies to the episode rows in force (lowest level first). */
export function liftApplies(lift: LiftOverride, open: readonly Episode[]): boolean {
  if (open.length === 0) return false;
  if (lift.episodeStart !== null && open[0].startDay !== lift.episodeStart) return false;
  return lift.level === null || LEVEL_RANK[open[open.length - 1].level] <= LEVEL_RANK[lift.level];
}

/** The policy in force on a day: one policy, or a schedule of versions by day. */
export type PolicyOn = Policy | ((day: string) => Policy);

/**
 * Where a walk stands after a day: the flagged run (reset by an early lift too), the unflagged days
 * in a row while restricted (0 when nothing is in force), and the episodes in force. A walk can resume
 * from a stored state, which is how a refresh re-evaluates only the days a batch touched.
 */
export interface WalkState {
  run: number;
  clean: number;
  open: Episode[];
}

export interface Evaluation {
  /** One level per input day, same order. */
  levels: Level[];
  /** The run and clean counts after each day. */
  runs: number[];
  cleans: number[];
  /** Every episode reached in the walk, and those it resumed with (which it may have ended). */
  episodes: Episode[];
}

export const FRESH_STATE: WalkState = { run: 0, clean: 0, open: [] };

export function evaluateShop(days: readonly DayInput[], policyOn: PolicyOn, lifts: readonly LiftOverride[] = [], start: WalkState = FRESH_STATE): Evaluation {
  const resolve = typeof policyOn === 'function' ? policyOn : () => policyOn;
  const liftsOn = new Map<string, LiftOverride[]>();
  for (const lift of lifts) liftsOn.set(lift.day, [...(liftsOn.get(lift.day) ?? []), lift]);
  const levels: Level[] = [];
  const runs: number[] = [];
  const cleans: number[] = [];
  const episodes: Episode[] = [...start.open];
  let open: Episode[] = [...start.open]; // the episode rows in force, lowest level first
  let run = start.run;
  let clean = start.clean;
  for (const d of days) {
    const policy = resolve(d.day);
    if (d.flagged) {
      run += 1;
      clean = 0;
    } else {
      run = 0;
      clean += 1;
    }
    if (open.length > 0 && clean >= policy.lift.afterUnflaggedDays) {
      for (const episode of open) episode.endDay = d.day; // all restrictions lift together
      open = [];
    }
    // A run counts from 1 again after any unflagged day, also while restricted.
    policy.levels.forEach((step, index) => {
      if (d.flagged && run >= step.afterFlaggedDays && open.length <= index) {
        const episode: Episode = {
          level: step.level,
          codes: [...step.restrictions],
          startDay: d.day,
          endDay: null,
          orders: d.orders,
          interventions: d.interventions,
          rate: d.rate,
          categoryMean: d.categoryMean,
          ratio: d.ratio,
          flaggedDays: run,
          policyVersion: policy.version,
        };
        open.push(episode);
        episodes.push(episode);
      }
    });
    // An early lift ends the day's episode as the reviewer saw it, after the day's escalation: one
    // reached that day, unseen, keeps the lift from applying (liftApplies compares the levels).
    if (liftsOn.get(d.day)?.some((lift) => liftApplies(lift, open))) {
      for (const episode of open) episode.endDay = d.day;
      open = [];
      run = 0; // restrictions come back only after a whole new run
    }
    if (open.length === 0) clean = 0; // clean days only matter while something is in force
    levels.push(open.length > 0 ? open[open.length - 1].level : d.flagged ? 'warning' : 'none');
    runs.push(run);
    cleans.push(clean);
  }
  return { levels, runs, cleans, episodes };
}
