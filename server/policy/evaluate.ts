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

/** A reviewer's early lift: on that day every restriction in force ends and the run starts again. */
export interface LiftOverride {
  day: string;
}

/** The policy in force on a day: one policy, or a schedule of versions by day. */
export type PolicyOn = Policy | ((day: string) => Policy);

export interface Evaluation {
  /** One level per input day, same order. */
  levels: Level[];
  episodes: Episode[];
}

export function evaluateShop(days: readonly DayInput[], policyOn: PolicyOn, lifts: readonly LiftOverride[] = []): Evaluation {
  const resolve = typeof policyOn === 'function' ? policyOn : () => policyOn;
  const liftDays = new Set(lifts.map((l) => l.day));
  const levels: Level[] = [];
  const episodes: Episode[] = [];
  let open: Episode[] = []; // the episode rows in force, lowest level first
  let run = 0;
  let clean = 0;
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
    if (liftDays.has(d.day)) {
      for (const episode of open) episode.endDay = d.day;
      open = [];
      run = 0; // restrictions come back only after a whole new run
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
    levels.push(open.length > 0 ? open[open.length - 1].level : d.flagged ? 'warning' : 'none');
  }
  return { levels, episodes };
}
