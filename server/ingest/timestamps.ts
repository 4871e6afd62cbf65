// ISO 8601 timestamps as DESIGN §2 accepts them: with an offset (or Z) they are that instant;
// without one they are wall-clock time in the platform time zone. Results are microseconds since
// the epoch, which is what DuckDB's TIMESTAMPTZ stores.

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const QUARTER_HOUR_MS = 15 * 60 * 1000;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * Milliseconds since the epoch of a UTC date and time. Unlike Date.UTC, which reads the years 0–99 as
 * 1900–1999, every year is taken as written (0001 is the year 1).
 */
function utcDateMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** Offset of a zone from UTC (ms) at an instant. Zone changes fall on quarter hours, so it is cached per quarter hour. */
class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();
  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }
  at(utcMs: number): number {
    const key = Math.floor(utcMs / QUARTER_HOUR_MS);
    let offset = this.cache.get(key);
    if (offset === undefined) {
      const instant = key * QUARTER_HOUR_MS;
      const p: Record<string, number> = {};
      let bc = false;
      for (const part of this.format.formatToParts(new Date(instant))) {
        if (part.type === 'era') bc = part.value.startsWith('B');
        else if (part.type !== 'literal') p[part.type] = Number(part.value);
      }
      // Years as written (not Date.UTC's 1900 + year below 100); 1 BC is the ISO year 0.
      offset = utcDateMs(bc ? 1 - p.year : p.year, p.month, p.day, p.hour, p.minute, p.second) - instant;
      this.cache.set(key, offset);
    }
    return offset;
  }
  /** The instant of a wall-clock time (given as if it were UTC) in this zone. */
  toUtc(wallMs: number): number {
    const first = wallMs - this.at(wallMs);
    const second = wallMs - this.at(first);
    return second;
  }
}

const zones = new Map<string, ZoneOffsets>();
function zone(timeZone: string): ZoneOffsets {
  let z = zones.get(timeZone);
  if (!z) zones.set(timeZone, (z = new ZoneOffsets(timeZone)));
  return z;
}

export type TimestampResult = { micros: bigint } | { error: string };

export function parseTimestamp(text: string, timeZone: string): TimestampResult {
  const m = TIMESTAMP.exec(text);
  if (!m) return { error: `not an ISO 8601 date and time: '${clip(text)}'` };
  const [, ys, mos, ds, hs, mis, ss, frac, offset] = m;
  const year = Number(ys),
    month = Number(mos),
    day = Number(ds),
    hour = Number(hs),
    minute = Number(mis),
    second = ss ? Number(ss) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { error: `not a valid date and time: '${clip(text)}'` };
  }
  const fraction = frac ? Number(frac.padEnd(6, '0').slice(0, 6)) : 0;
  const wallMs = utcDateMs(year, month, day, hour, minute, second);
  let utcMs: number;
  if (offset === undefined) {
    utcMs = zone(timeZone).toUtc(wallMs);
  } else if (offset === 'Z' || offset === 'z') {
    utcMs = wallMs;
  } else {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)),
      om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 18 || om > 59) return { error: `not a valid UTC offset: '${clip(text)}'` };
    utcMs = wallMs - sign * (oh * 60 + om) * 60_000;
  }
  return { micros: BigInt(utcMs) * 1000n + BigInt(fraction) };
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether text is a real calendar day written YYYY-MM-DD. */
export function isDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const year = Number(m[1]),
    month = Number(m[2]),
    day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * The earliest accepted day as a rule on instants: an instant is accepted when its calendar day in the
 * platform zone is `day` or later. `before(micros)` says whether an instant falls on an earlier day.
 */
export interface EarliestDayRule {
  day: string;
  before: (micros: bigint) => boolean;
  /** Instants below lowMicros are before the day, from highMicros on they are not; between, their local day decides. */
  lowMicros: bigint;
  highMicros: bigint;
  /** The day as days since 1970-01-01. */
  epochDay: number;
}

export function earliestDayRule(day: string, timeZone: string): EarliestDayRule {
  if (!isDay(day)) throw new Error(`earliestDay: '${day}' is not a day as YYYY-MM-DD`);
  const [y, m, d] = day.split('-').map(Number);
  // The day starts near its local midnight; instants more than a day from it are decided by comparing
  // numbers, the few close to it by their local calendar day (exact across zone changes at midnight).
  const midnight = zone(timeZone).toUtc(utcDateMs(y, m, d));
  const lowMicros = BigInt(midnight - 86_400_000) * 1000n;
  const highMicros = BigInt(midnight + 86_400_000) * 1000n;
  return {
    day,
    lowMicros,
    highMicros,
    epochDay: Math.round(utcDateMs(y, m, d) / 86_400_000),
    before: (micros) => {
      if (micros < lowMicros) return true;
      if (micros >= highMicros) return false;
      const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
      return localDay(ms, timeZone) < day;
    },
  };
}

/** The calendar day (YYYY-MM-DD) of an instant in a zone. */
export function localDay(utcMs: number, timeZone: string): string {
  return new Date(utcMs + zone(timeZone).at(utcMs)).toISOString().slice(0, 10);
}

export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
