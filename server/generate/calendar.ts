// Demo generator, calendar: the days of the generated period (date labels, relative order
// volume with weekends and shopping festivals) and the rendering of local times as the
// timestamp styles of DESIGN §2. Every other part of the generator counts days by index.
// Asia/Shanghai has had a fixed UTC+08:00 offset since 1991, so local days are plain arithmetic.
import { Weighted } from './random.js';

export const DAY_MS = 86_400_000;
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const SHANGHAI_OFFSET_S = 8 * 3600;

export type TsStyle = 'offset' | 'local' | 'utc';

// Timestamp styles: offset (most), offset-less platform time (database exports), UTC with Z.
export const TS_STYLES = new Weighted<TsStyle>([
  ['offset', 80],
  ['local', 12],
  ['utc', 8],
]);

export interface Calendar {
  days: number;
  /** Local date label of day index i is labels[i + 1] (index −1 is needed for UTC renderings). */
  labels: string[];
  /** Relative order volume of each day (weekends, shopping festivals). */
  volume: Float64Array;
  doubleEleven: Uint8Array;
}

export function makeCalendar(end: string, days: number): Calendar {
  const endMs = Date.parse(`${end}T00:00:00Z`);
  const labels: string[] = [];
  for (let i = -1; i < days; i++) labels.push(new Date(endMs - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
  const volume = new Float64Array(days);
  const doubleEleven = new Uint8Array(days);
  for (let i = 0; i < days; i++) {
    const label = labels[i + 1];
    const md = label.slice(5);
    const weekday = new Date(`${label}T00:00:00Z`).getUTCDay();
    let v = weekday === 0 || weekday === 6 ? 1.1 : 1;
    if (md === '11-11') v *= 3;
    else if (md === '11-10') v *= 0.85;
    else if (md === '11-12') v *= 1.3;
    else if (md === '06-18') v *= 2.2;
    else if (md === '12-12') v *= 1.6;
    else if (md >= '10-01' && md <= '10-07') v *= 0.9; // national holiday: people travel
    volume[i] = v;
    doubleEleven[i] = md === '11-11' ? 1 : 0;
  }
  return { days, labels, volume, doubleEleven };
}

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

function clock(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return `${PAD2[h]}:${PAD2[m]}:${PAD2[sec % 60]}`;
}

/** Render local day `day`, second of day `sec` (Asia/Shanghai) in one of the styles of DESIGN §2. */
export function timestamp(cal: Calendar, day: number, sec: number, style: TsStyle): string {
  if (style === 'offset') return `${cal.labels[day + 1]}T${clock(sec)}+08:00`;
  if (style === 'local') return `${cal.labels[day + 1]} ${clock(sec)}`;
  const utc = sec - SHANGHAI_OFFSET_S; // before 08:00 local is the previous UTC day
  return utc < 0 ? `${cal.labels[day]}T${clock(utc + 86400)}Z` : `${cal.labels[day + 1]}T${clock(utc)}Z`;
}
