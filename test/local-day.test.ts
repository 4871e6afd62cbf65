// The local day by arithmetic (server/pipeline/local-day.ts) equals CAST(timezone(tz, t) AS DATE) for every
// instant: inside the span it was computed for (each change of offset found to the second) and outside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Database, queryRows } from '../server/db/database.js';
import { localDaySql, zoneSpan } from '../server/pipeline/local-day.js';
import { tempDir } from './helpers.js';

let db: Database;
beforeAll(async () => {
  db = await Database.open(path.join(tempDir('iw-local-day-'), 'x.duckdb'), { poolSize: 1 });
});
afterAll(async () => db.close());

/** Instants every `stepMinutes` (plus one second either side of each) from `from` to `to`, the two days compared. */
async function mismatches(tz: string, spanFrom: string, spanTo: string, from: string, to: string, stepMinutes: number) {
  return db.read(async (conn) => {
    const span = await zoneSpan(conn, tz, spanFrom, spanTo);
    const rows = await queryRows<{ n: number; bad: number; first: string | null }>(
      conn,
      `WITH base AS (SELECT t FROM range(TIMESTAMPTZ '${from} 00:00:00+00', TIMESTAMPTZ '${to} 00:00:00+00', INTERVAL ${stepMinutes} MINUTE) r(t)),
            instants AS (SELECT t FROM base UNION ALL SELECT t + INTERVAL 1 SECOND FROM base UNION ALL SELECT t - INTERVAL 1 SECOND FROM base),
            compared AS (SELECT t, CAST(timezone($tz, t) AS DATE) AS exact, ${localDaySql('t', span)} AS fast FROM instants)
       SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE exact IS DISTINCT FROM fast)::INTEGER AS bad,
              min(CAST(t AS VARCHAR)) FILTER (WHERE exact IS DISTINCT FROM fast) AS first
       FROM compared`,
      { tz },
    );
    return { span, ...rows[0] };
  });
}

describe('local day by arithmetic', () => {
  it('Asia/Shanghai: one offset (+8), the day changes at 16:00 UTC', async () => {
    const r = await mismatches('Asia/Shanghai', '2026-09-01', '2026-11-30', '2026-08-25', '2026-12-05', 7);
    expect(r.span?.segments).toEqual([{ fromUs: r.span!.lo, offsetUs: 8n * 3_600_000_000n }]);
    expect(r.n).toBeGreaterThan(60_000);
    expect(r.bad).toBe(0);
    // Hand-worked: 2026-10-01T15:59:59Z is 23:59:59 on Oct 1 in Shanghai, one second later it is Oct 2.
    const days = await db.read(async (conn) => {
      const span = await zoneSpan(conn, 'Asia/Shanghai', '2026-09-01', '2026-11-30');
      return queryRows<{ a: string; b: string }>(
        conn,
        `SELECT strftime(${localDaySql("TIMESTAMPTZ '2026-10-01 15:59:59+00'", span)}, '%Y-%m-%d') AS a,
                strftime(${localDaySql("TIMESTAMPTZ '2026-10-01 16:00:00+00'", span)}, '%Y-%m-%d') AS b`,
        { tz: 'Asia/Shanghai' },
      );
    });
    expect(days).toEqual([{ a: '2026-10-01', b: '2026-10-02' }]);
  });

  it('America/New_York across both changes of daylight saving time', async () => {
    const r = await mismatches('America/New_York', '2026-02-01', '2026-12-31', '2026-01-20', '2027-01-10', 11);
    // EST, EDT from 2026-03-08 07:00 UTC, EST from 2026-11-01 06:00 UTC.
    expect(r.span?.segments.map((s) => [new Date(Number(s.fromUs / 1000n)).toISOString(), Number(s.offsetUs / 60_000_000n)])).toEqual([
      ['2026-01-31T00:00:00.000Z', -300],
      ['2026-03-08T07:00:00.000Z', -240],
      ['2026-11-01T06:00:00.000Z', -300],
    ]);
    expect(r.bad).toBe(0);
  });

  it('zones with half- and quarter-hour offsets and a half-hour change (Lord Howe, Kathmandu, St Johns)', async () => {
    for (const tz of ['Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns']) {
      const r = await mismatches(tz, '2026-01-01', '2026-12-31', '2025-12-20', '2027-01-05', 13);
      expect(r.bad, tz).toBe(0);
    }
  });

  it('instants outside the span (years before, days after) fall back to timezone() and agree', async () => {
    const r = await mismatches('Europe/London', '2026-10-01', '2026-10-31', '2024-03-25', '2024-04-05', 17);
    expect(r.bad).toBe(0);
    const after = await mismatches('Europe/London', '2026-10-01', '2026-10-31', '2026-11-01', '2026-11-10', 17);
    expect(after.bad).toBe(0);
  });

  it('a span with too many changes uses timezone() as it is', async () => {
    const many = await db.read((conn) => zoneSpan(conn, 'Europe/Paris', '2010-01-01', '2026-12-31'));
    expect(many).toBeNull();
    expect(localDaySql('t', null)).toBe('CAST(timezone($tz, t) AS DATE)');
  });
});
