// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  formatDate,
  formatDateTime,
  formatNumber,
  formatPercent,
  formatRatio,
  formatShortDate,
  isIsoDay,
  NONE,
} from '../../client/lib/format';

describe('formatPercent', () => {
  it('shows a fraction as a percent with two decimals in both languages', () => {
    expect(formatPercent(0.10185185185185185, 'en')).toBe('10.19%');
    expect(formatPercent(0.10185185185185185, 'zh')).toBe('10.19%');
    expect(formatPercent(0.015387574533564147, 'en')).toBe('1.54%');
    expect(formatPercent(0, 'en')).toBe('0.00%');
    expect(formatPercent(1, 'zh')).toBe('100.00%');
  });
  it('takes the number of decimals', () => {
    expect(formatPercent(0.123456, 'en', 1)).toBe('12.3%');
    expect(formatPercent(0.5, 'en', 0)).toBe('50%');
  });
  it('shows a dash for an undefined rate (null in the API)', () => {
    expect(formatPercent(null, 'en')).toBe(NONE);
    expect(formatPercent(undefined, 'zh')).toBe(NONE);
    expect(formatPercent(Number.NaN, 'en')).toBe(NONE);
  });
});

describe('formatRatio', () => {
  it('shows one decimal and the × sign', () => {
    expect(formatRatio(5.2, 'en')).toBe('5.2×');
    expect(formatRatio(6.619097222222222, 'zh')).toBe('6.6×');
    expect(formatRatio(5, 'en')).toBe('5.0×');
    expect(formatRatio(12, 'zh')).toBe('12.0×');
  });
  it('truncates, so a ratio just under the threshold never reads as the threshold', () => {
    expect(formatRatio(4.996399123264795, 'en')).toBe('4.9×');
    expect(formatRatio(5.29, 'en')).toBe('5.2×');
  });
  it('keeps values whose binary form is a hair under the decimal', () => {
    // 0.7 + 0.1 is 0.7999999999999999 in binary floating point
    expect(formatRatio(0.7 + 0.1, 'en')).toBe('0.8×');
    expect(formatRatio(4.35, 'zh')).toBe('4.3×');
  });
  it('groups thousands in a huge ratio and shows a dash for none', () => {
    expect(formatRatio(1234.56, 'en')).toBe('1,234.5×');
    expect(formatRatio(null, 'en')).toBe(NONE);
  });
});

describe('dates', () => {
  it('formats a calendar day per language without shifting it by the time zone', () => {
    expect(formatDate('2026-11-25', 'en')).toBe('Nov 25, 2026');
    expect(formatDate('2026-11-25', 'zh')).toBe('2026年11月25日');
    expect(formatDate('2026-01-01', 'en')).toBe('Jan 1, 2026');
    expect(formatShortDate('2026-11-05', 'en')).toBe('Nov 5');
    expect(formatShortDate('2026-11-05', 'zh')).toBe('11月5日');
  });
  it('shows a dash for a missing day and the text itself for a malformed one', () => {
    expect(formatDate(null, 'en')).toBe(NONE);
    expect(formatDate('not-a-day', 'en')).toBe('not-a-day');
  });
  it('formats an instant with its time', () => {
    expect(formatDateTime('2026-11-25T08:30:00Z', 'en')).toMatch(/Nov 25, 2026/);
    expect(formatDateTime('2026-11-25T08:30:00Z', 'zh')).toMatch(/2026年11月25日/);
    expect(formatDateTime(null, 'zh')).toBe(NONE);
  });
  it('adds days across month and year ends and counts days between', () => {
    expect(addDays('2026-11-25', -29)).toBe('2026-10-27');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(daysBetween('2026-10-27', '2026-11-25')).toBe(29);
  });
  it('recognises calendar days only', () => {
    expect(isIsoDay('2026-02-28')).toBe(true);
    expect(isIsoDay('2026-02-30')).toBe(false);
    expect(isIsoDay('2026-2-3')).toBe(false);
    expect(isIsoDay(undefined)).toBe(false);
  });
});

describe('formatNumber', () => {
  it('groups digits for the language', () => {
    expect(formatNumber(12345, 'en')).toBe('12,345');
    expect(formatNumber(12345, 'zh')).toBe('12,345');
    expect(formatNumber(3.456, 'en', 1)).toBe('3.5');
    expect(formatNumber(null, 'en')).toBe(NONE);
  });
});
