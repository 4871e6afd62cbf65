// Evidence: the case drawer's API (GET /api/shops/:shopId/cases/:caseId) says why a case counts on a date or
// not, and the case file (GET /api/shops/:shopId/case-file, JSON, CSV, printable HTML) holds the decision record.
//
// Hand-worked world (category C1, default policy: case_opened basis, 30-day window; data 09-01 … 10-08, so the
// stat date 10-08 has the window 09-09 … 10-08). B: 50 orders a day, no cases. A: 2 orders a day, and these cases:
//   k1 intervention on A-2026-09-18-1, opened 09-18                     → counted (in K on 09-18 … 10-17)
//   k2 intervention on the same order A-2026-09-18-1, opened 09-25      → the order is already counted by k1
//   k3 intervention on A-2026-09-19-1, opened 09-19, excluded (logistics_exception) → excluded, counts nowhere
//   k4 complaint on A-2026-09-20-1, opened 09-20                        → a complaint: never in the rate
//   k5 intervention on A-2026-09-21-1, opened 09-21                     → counted
//   k6 intervention on A-GHOST (no such order), opened 09-22            → counted under case_opened (as the engine
//      counts it); under order_paid it has no counting day: order missing
//   k7 intervention on A-2026-09-02-1, opened 09-02                     → outside the window (in K 09-02 … 10-01)
//   k8 intervention on A-2026-09-23-1, opened 09-23, closed, seller_responsible → counted
//   =k9 complaint on A-2026-09-24-1, opened 09-24, reason "<b>bold</b>", excluded (duplicate) → counts nowhere (its
//      id and reason try a spreadsheet formula and HTML: the case file's CSV and page must not run them)
// A's orders sell goods G1 (连衣裙), B's G2.
// So on 10-08: N = 60 (2 × 30), K = 4 distinct orders (k1/k2's, k5's, k6's, k8's), complaints 1; the category's
// pooled mean 4 / (60 + 1500) = 4 / 1560; A's rate 4 / 60; ratio 26. Flagged from 09-30 (the first complete
// window: k7, k1, k5, k6, k8 → K = 5), restricted from 10-06 (7 flagged days; then K = 4 of 60), 9 days in a row.
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, writeCsv, writeCatalogue } from './helpers.js';

const secret = new TextEncoder().encode('evidence-test-secret-0123456789abcdef');
let db: Database;
let app: Express;
let li: string;
let admin: string;
let sellerA: string;
let sellerB: string;
/** The fixture's files, loaded again under order_paid below. */
let files: string;

beforeAll(async () => {
  const t = await openTempDb();
  db = t.db;
  writeCatalogue(
    t.dir,
    ['A', 'B'],
    [
      ['G1', 'A', '连衣裙'],
      ['G2', 'B', '衬衫'],
    ],
  );
  writeCsv(
    t.dir,
    'orders.csv',
    [...HEADERS.orders, 'goods_id'],
    [...dailyOrders('A', '2026-09-01', '2026-10-08', 2).map((r) => [...r, 'G1']), ...dailyOrders('B', '2026-09-01', '2026-10-08', 50).map((r) => [...r, 'G2'])],
  );
  writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('k1', 'A-2026-09-18-1', 'A', '2026-09-18T10:00:00+08:00'),
    caseRow('k2', 'A-2026-09-18-1', 'A', '2026-09-25T10:00:00+08:00', { reason: 'not_received' }),
    caseRow('k3', 'A-2026-09-19-1', 'A', '2026-09-19T10:00:00+08:00', { excluded: 'true', exclusionReason: 'logistics_exception' }),
    caseRow('k4', 'A-2026-09-20-1', 'A', '2026-09-20T10:00:00+08:00', { kind: 'complaint', reason: 'refund_refused' }),
    caseRow('k5', 'A-2026-09-21-1', 'A', '2026-09-21T10:00:00+08:00'),
    caseRow('k6', 'A-GHOST', 'A', '2026-09-22T10:00:00+08:00'),
    caseRow('k7', 'A-2026-09-02-1', 'A', '2026-09-02T10:00:00+08:00'),
    caseRow('k8', 'A-2026-09-23-1', 'A', '2026-09-23T10:00:00+08:00', { status: 'closed', outcome: 'seller_responsible' }),
    caseRow('=k9', 'A-2026-09-24-1', 'A', '2026-09-24T10:00:00+08:00', {
      kind: 'complaint',
      reason: '<b>bold</b>',
      excluded: 'true',
      exclusionReason: 'duplicate',
    }),
  ]);
  files = t.dir;
  expect((await ingest(db, [t.dir])).exitCode).toBe(0);
  app = createApp({ db, secret });
  li = await signToken(secret, { role: 'reviewer', subject: 'li@example.com' });
  admin = await signToken(secret, { role: 'admin', subject: 'admin:wang' });
  sellerA = await signToken(secret, { role: 'seller', shops: ['A'] });
  sellerB = await signToken(secret, { role: 'seller', shops: ['B'] });
});
afterAll(async () => db.close());

const get = (path: string, token: string) => request(app).get(path).set('Authorization', `Bearer ${token}`);

const why = async (caseId: string, date = '', token = li) =>
  (await get(`/api/shops/A/cases/${encodeURIComponent(caseId)}${date && `?date=${date}`}`, token)).body.why;

describe('the case drawer: GET /api/shops/:shopId/cases/:caseId', () => {
  it('a counted case: its order (paid time, amount, goods), its timeline, the days it counts in K', async () => {
    const res = await get('/api/shops/A/cases/k1', li);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      shopId: 'A',
      caseId: 'k1',
      date: '2026-10-08',
      window: { from: '2026-09-09', to: '2026-10-08' },
      countBasis: 'case_opened',
    });
    // Paid 12:00 in Shanghai (04:00 UTC), 19.90 CNY, goods G1.
    expect(res.body.order).toEqual({
      orderId: 'A-2026-09-18-1',
      known: true,
      paidAt: '2026-09-18T04:00:00Z',
      paidDay: '2026-09-18',
      amount: 19.9,
      goodsId: 'G1',
      goodsName: '连衣裙',
    });
    // Opened 10:00 in Shanghai (02:00 UTC), before the order's paid time of that day in this made-up data.
    expect(res.body.timeline).toEqual([
      { event: 'opened', at: '2026-09-18T02:00:00Z', day: '2026-09-18', value: 'quality' },
      { event: 'paid', at: '2026-09-18T04:00:00Z', day: '2026-09-18', value: null },
      { event: 'status', at: null, day: null, value: 'open' },
      { event: 'leaves_window', at: null, day: '2026-10-18', value: null },
    ]);
    // In K on the stat dates 09-18 … 10-17 (the 30 windows holding 09-18).
    expect(res.body.why).toEqual({
      reason: 'counted',
      counts: true,
      countsOn: '2026-09-18',
      countedDays: { from: '2026-09-18', to: '2026-10-17' },
      sameOrderAs: null,
    });
    expect(res.body.otherCases).toEqual([{ caseId: 'k2', kind: 'intervention', openedDay: '2026-09-25', excluded: false, why: 'same_order_counted' }]);
    expect(res.body.dataAsOf).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('a second case on an order already counted adds nothing: it names the case that counts the order', async () => {
    expect(await why('k2')).toEqual({
      reason: 'same_order_counted',
      counts: false,
      countsOn: '2026-09-25',
      countedDays: { from: '2026-09-25', to: '2026-10-24' },
      sameOrderAs: 'k1',
    });
    // On 09-24 k2 was not opened yet: k1 counts the order, and k2 counts on a day after the date.
    expect(await why('k2', '2026-09-24')).toMatchObject({ reason: 'outside_window', countsOn: '2026-09-25' });
  });

  it('an excluded case counts nowhere, with its reason on the timeline', async () => {
    const res = await get('/api/shops/A/cases/k3', li);
    expect(res.body.why).toEqual({ reason: 'excluded', counts: false, countsOn: null, countedDays: null, sameOrderAs: null });
    expect(res.body.case).toMatchObject({ excluded: true, exclusionReason: 'logistics_exception' });
    expect(res.body.timeline.map((e: { event: string; value: string | null }) => [e.event, e.value])).toEqual([
      ['opened', 'quality'],
      ['paid', null],
      ['status', 'open'],
      ['excluded', 'logistics_exception'],
    ]);
  });

  it('a complaint counts in the complaints, never in the rate; a closed case shows its outcome', async () => {
    expect(await why('k4')).toEqual({
      reason: 'complaint',
      counts: true,
      countsOn: '2026-09-20',
      countedDays: { from: '2026-09-20', to: '2026-10-19' },
      sameOrderAs: null,
    });
    const k8 = await get('/api/shops/A/cases/k8', li);
    expect(k8.body.timeline.filter((e: { event: string }) => ['status', 'outcome'].includes(e.event))).toEqual([
      { event: 'status', at: null, day: null, value: 'closed' },
      { event: 'outcome', at: null, day: null, value: 'seller_responsible' },
    ]);
    expect(k8.body.why.reason).toBe('counted');
  });

  it('a case outside the window of the date: not counted then, counted on a date whose window holds it', async () => {
    expect(await why('k7')).toEqual({
      reason: 'outside_window',
      counts: false,
      countsOn: '2026-09-02',
      countedDays: { from: '2026-09-02', to: '2026-10-01' },
      sameOrderAs: null,
    });
    expect(await why('k7', '2026-10-01')).toMatchObject({ reason: 'counted', counts: true });
    expect(await why('k7', '2026-10-02')).toMatchObject({ reason: 'outside_window' });
  });

  it('a case whose order is not in the data: counted under case_opened (as the engine counts it), the order shown as missing', async () => {
    const res = await get('/api/shops/A/cases/k6', li);
    expect(res.body.order).toEqual({ orderId: 'A-GHOST', known: false, paidAt: null, paidDay: null, amount: null, goodsId: null, goodsName: null });
    expect(res.body.why).toMatchObject({ reason: 'counted', countsOn: '2026-09-22' });
    expect(res.body.timeline.map((e: { event: string }) => e.event)).toEqual(['opened', 'status', 'leaves_window']);
  });

  it('the seller of the shop may open its cases; another seller may not; an unknown case or another shop’s is 404', async () => {
    expect((await get('/api/shops/A/cases/k1', sellerA)).status).toBe(200);
    expect((await get('/api/shops/A/cases/k1', sellerB)).status).toBe(403);
    const unknown = await get('/api/shops/A/cases/zz', li);
    expect([unknown.status, unknown.body.message]).toEqual([404, 'shop A has no case zz']);
    expect((await get('/api/shops/B/cases/k1', li)).status).toBe(404);
    expect((await get(`/api/shops/A/cases/${'x'.repeat(129)}`, li)).body.message).toBe('caseId: is longer than 128 characters');
  });
});

describe('the case file: GET /api/shops/:shopId/case-file', () => {
  beforeAll(async () => {
    await request(app).post('/api/shops/A/review').set('Authorization', `Bearer ${li}`).send({ action: 'claim' }).expect(200);
    await request(app)
      .post('/api/shops/A/decisions')
      .set('Authorization', `Bearer ${li}`)
      .send({ action: 'confirm', reason: 'checked the orders' })
      .expect(201);
  });

  it('as CSV: the numbers, restrictions with their policy version, cases with why, decision, queue entry and audit entries', async () => {
    const res = await get('/api/shops/A/case-file?format=csv', li);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename=case-file-A-2026-10-08.csv');
    const ts = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g;
    const lines = res.text
      .replace(/^\ufeff/, '')
      .replace(ts, 'TS')
      .trimEnd()
      .split('\n');
    const audit = lines.filter((l) => l.startsWith('audit,'));
    expect(lines.filter((l) => !l.startsWith('audit,'))).toEqual([
      'section,id,date,field,value,detail',
      'file,A,2026-10-08,generated,TS,by li@example.com',
      'shop,A,2026-10-08,name,A店,',
      'shop,A,2026-10-08,category,C1,女装',
      'shop,A,2026-10-08,window,2026-09-09..2026-10-08,count basis case_opened',
      'numbers,A,2026-10-08,orders,60,',
      'numbers,A,2026-10-08,interventions,4,',
      'numbers,A,2026-10-08,complaints,1,',
      `numbers,A,2026-10-08,rate,${4 / 60},`,
      `numbers,A,2026-10-08,category_mean,${4 / 1560},`,
      'numbers,A,2026-10-08,ratio,26,',
      'numbers,A,2026-10-08,judged,true,',
      'numbers,A,2026-10-08,flagged,true,',
      'numbers,A,2026-10-08,level,restricted,',
      'numbers,A,2026-10-08,consecutive_flagged_days,9,',
      'numbers,A,2026-10-08,policy_version,2026.11-default,',
      'restriction,remove_resource_slots,2026-10-06,policy_version,2026.11-default,',
      'restriction,ban_resource_slots,2026-10-06,policy_version,2026.11-default,',
      'episode,restricted,2026-10-06,end,,policy 2026.11-default; 4 of 60 orders; ratio 26; 7 flagged days',
      'case,k1,2026-09-18,intervention,counted,order A-2026-09-18-1; reason quality; status open; counts on 2026-09-18',
      'case,k3,2026-09-19,intervention,excluded,order A-2026-09-19-1; reason quality; status open; excluded: logistics_exception',
      'case,k4,2026-09-20,complaint,complaint,order A-2026-09-20-1; reason refund_refused; status open; counts on 2026-09-20',
      'case,k5,2026-09-21,intervention,counted,order A-2026-09-21-1; reason quality; status open; counts on 2026-09-21',
      'case,k6,2026-09-22,intervention,counted,order A-GHOST; reason quality; status open; counts on 2026-09-22',
      'case,k8,2026-09-23,intervention,counted,order A-2026-09-23-1; reason quality; status closed; outcome seller_responsible; counts on 2026-09-23',
      // The id that starts with = is written as text, never a formula.
      "case,'=k9,2026-09-24,complaint,excluded,order A-2026-09-24-1; reason <b>bold</b>; status open; excluded: duplicate",
      'case,k2,2026-09-25,intervention,same_order_counted,order A-2026-09-18-1; reason not_received; status open; counts on 2026-09-25; same order as k1',
      'decision,2,TS,confirm,li@example.com,checked the orders; episode 2026-10-06',
      'review,A,2026-09-30,decided,li@example.com,8 days in the queue; decided by li@example.com TS',
    ]);
    expect(audit.map((l) => l.split(',').slice(0, 5).join(','))).toEqual([
      'audit,1,TS,review.claim,li@example.com',
      'audit,3,TS,decision.confirm,li@example.com',
    ]);
    expect(audit[1]).toContain('""reason"":""checked the orders""');
  });

  it('as JSON (the default) and as a printable page, every value escaped', async () => {
    const json = await get('/api/shops/A/case-file', li);
    expect(json.body).toMatchObject({ shopId: 'A', shopName: 'A店', categoryName: '女装', date: '2026-10-08', generatedBy: 'li@example.com' });
    expect(json.body.cases.map((c: { caseId: string; why: string }) => `${c.caseId}:${c.why}`)).toEqual([
      'k1:counted',
      'k3:excluded',
      'k4:complaint',
      'k5:counted',
      'k6:counted',
      'k8:counted',
      '=k9:excluded',
      'k2:same_order_counted',
    ]);
    expect(json.body.review.review).toMatchObject({ state: 'decided', decidedBy: 'li@example.com' });
    const html = await get('/api/shops/A/case-file?format=html&date=2026-10-01', li);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.text).toContain('<title>Case file A 2026-10-01</title>');
    expect(html.text).toContain('reason &lt;b&gt;bold&lt;/b&gt;');
    expect(html.text).not.toContain('<b>bold');
    expect(html.text).not.toContain('<script');
    // On 10-01 k7 (09-02) is still in the window.
    expect(html.text).toContain('<td>k7</td><td>2026-09-02</td><td>intervention</td><td>counted</td>');
  });

  it('is for reviewers: a seller, even of the shop, gets 403', async () => {
    expect((await get('/api/shops/A/case-file', sellerA)).status).toBe(403);
    expect((await get('/api/shops/A/case-file?format=csv', sellerA)).status).toBe(403);
  });
});

describe('under the order_paid count basis', () => {
  it('a case whose order is missing has no counting day; a later case on a counted order counts on its paid day', async () => {
    // The count basis changes what is counted, so it is set before the data arrives (a fresh database).
    const t = await openTempDb();
    const paidApp = createApp({ db: t.db, secret });
    const policy = { ...structuredClone(DEFAULT_POLICY), version: 'evidence-paid', countBasis: 'order_paid' };
    const activated = await request(paidApp).post('/api/policy/activate').set('Authorization', `Bearer ${admin}`).send({ policy });
    expect(activated.status, activated.text).toBe(201);
    expect((await ingest(t.db, [files])).exitCode).toBe(0);
    const paidWhy = async (caseId: string) => (await request(paidApp).get(`/api/shops/A/cases/${caseId}`).set('Authorization', `Bearer ${li}`)).body;
    const k6 = await paidWhy('k6');
    expect([k6.countBasis, k6.why]).toEqual(['order_paid', { reason: 'order_missing', counts: false, countsOn: null, countedDays: null, sameOrderAs: null }]);
    // k2's order was paid 09-18: k1 and k2 both count on 09-18; k1 (the smaller id) counts the order.
    expect((await paidWhy('k2')).why).toMatchObject({ reason: 'same_order_counted', countsOn: '2026-09-18', sameOrderAs: 'k1' });
    await t.db.close();
  });
});
