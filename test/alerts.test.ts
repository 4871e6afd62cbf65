// Alerts (issue 13): subscriptions, events produced by the refresh that causes them, and their delivery
// by the worker to a local receiver (an HTTP server on 127.0.0.1, allowed by WEBHOOK_ALLOW_HOSTS; only
// loopback traffic). Hand-worked world (as test/trust-policy.test.ts), category C1, default policy:
// - A: 2 orders a day from 09-01, intervention orders opened 09-18, 09-19, 09-20. From 09-30 (the first
//   complete window) K = 3 of N = 60, rate 0.05, pooled mean 6 / 1620 → ratio 13.5 → flagged: warning
//   from 09-30, restricted on 10-06 (7th flagged day) with remove_resource_slots and ban_resource_slots
//   since 10-06. With no new cases the 09-18 case leaves the window on 10-18 (K = 2 < 3): below the
//   threshold on 10-18.
// - C: the same as A (a second troubled shop); B: 50 orders a day, no cases.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { Database, queryRows } from '../server/db/database.js';
import { DeliveryWorker } from '../server/alerts/worker.js';
import { isPrivateAddress } from '../server/alerts/hosts.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';

const secret = new TextEncoder().encode('alerts-test-secret-0123456789abcdef-0123');
const HOOK_SECRET = 'hook-secret-0123456789';

// ---- The local receiver ----

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
}

interface Receiver {
  base: string;
  received: Received[];
  /** Answers each request: status and body (default 200 {}). */
  answer: (r: Received) => { status: number; body?: unknown };
  close: () => Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const state: Receiver = { base: '', received: [], answer: () => ({ status: 200, body: {} }), close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as is
      }
      const r: Received = { url: req.url ?? '', headers: req.headers, body, json };
      state.received.push(r);
      const { status, body: out } = state.answer(r);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(out ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

// ---- The world ----

interface World {
  db: Database;
  dbPath: string;
  app: Express;
  worker: DeliveryWorker;
  hook: Receiver;
  reviewer: string;
  sellerA: string;
  sellerB: string;
  /** Loads A's, B's and C's orders from..to (the cases with the first batch). */
  load: (from: string, to: string) => Promise<void>;
}

const opened: Database[] = [];
const hooks: Receiver[] = [];
let savedAllow: string | undefined;
beforeAll(() => {
  savedAllow = process.env.WEBHOOK_ALLOW_HOSTS;
  process.env.WEBHOOK_ALLOW_HOSTS = '127.0.0.1';
});
afterAll(() => {
  if (savedAllow === undefined) delete process.env.WEBHOOK_ALLOW_HOSTS;
  else process.env.WEBHOOK_ALLOW_HOSTS = savedAllow;
});
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
  while (hooks.length) await hooks.pop()!.close();
});

let batches = 0;
async function loadInto(db: Database, from: string, to: string, first: boolean): Promise<void> {
  const dir = tempDir(`iw-alerts-${batches++}-`);
  if (first) {
    writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [
      ['A', 'A店', 'C1'],
      ['B', 'B店', 'C1'],
      ['C', 'C店', 'C1'],
    ]);
    writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
      caseRow('a1', 'A-2026-09-18-1', 'A', '2026-09-18T10:00:00+08:00'),
      caseRow('a2', 'A-2026-09-19-1', 'A', '2026-09-19T10:00:00+08:00'),
      caseRow('a3', 'A-2026-09-20-1', 'A', '2026-09-20T10:00:00+08:00'),
      caseRow('c1', 'C-2026-09-18-1', 'C', '2026-09-18T10:00:00+08:00'),
      caseRow('c2', 'C-2026-09-19-1', 'C', '2026-09-19T10:00:00+08:00'),
      caseRow('c3', 'C-2026-09-20-1', 'C', '2026-09-20T10:00:00+08:00'),
    ]);
  }
  writeCsv(dir, 'orders.csv', HEADERS.orders, [...dailyOrders('A', from, to, 2), ...dailyOrders('B', from, to, 50), ...dailyOrders('C', from, to, 2)]);
  const report = await ingest(db, [dir]);
  expect(report.rejected).toBe(0);
}

/** A world loaded up to `through` (default 10-05: A and C at warning, 6 flagged days in a row). */
async function world(through = '2026-10-05'): Promise<World> {
  const { db, dbPath } = await openTempDb();
  opened.push(db);
  const app = createApp({ db, secret });
  await loadInto(db, '2026-09-01', through, true);
  const hook = await receiver();
  hooks.push(hook);
  return {
    db,
    dbPath,
    app,
    worker: new DeliveryWorker(db, { timeoutMs: 3000 }),
    hook,
    load: (from, to) => loadInto(db, from, to, false),
    reviewer: await signToken(secret, { role: 'reviewer', subject: 'li@example.com' }),
    sellerA: await signToken(secret, { role: 'seller', shops: ['A'], subject: 'seller-a@example.com' }),
    sellerB: await signToken(secret, { role: 'seller', shops: ['B'], subject: 'seller-b@example.com' }),
  };
}

async function subscribe(w: World, token: string, body: Record<string, unknown>, app = w.app) {
  return request(app).post('/api/subscriptions').set('Authorization', `Bearer ${token}`).send(body);
}

async function deliveries(w: World, token: string, id: number) {
  const res = await request(w.app).get(`/api/subscriptions/${id}/deliveries`).set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  return res.body.items as {
    event: string;
    status: string;
    attempts: number;
    lastStatus: number | null;
    lastError: string | null;
    payload: Record<string, unknown>;
  }[];
}

const hmacHex = (key: string, body: string) => crypto.createHmac('sha256', key).update(body).digest('hex');

/** Keys that would carry category figures: never in a shop's alert. */
const CATEGORY_KEYS = /^(categoryMean|category_mean|threshold|thresholds|ratio|peers|median|p90|categoryOrders|categoryInterventions|headroom7d)$/i;

describe('level.changed', () => {
  it('a batch that moves A to restricted delivers exactly one level.changed, with the shop’s own numbers and a valid signature', async () => {
    const w = await world();
    const sub = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/hook`, format: 'json', events: ['level.changed'], secret: HOOK_SECRET });
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({
      id: expect.any(Number),
      shopId: 'A',
      format: 'json',
      events: ['level.changed'],
      hasSecret: true,
      createdBy: 'seller-a@example.com',
      active: true,
    });
    expect(sub.body.secret).toBeUndefined();
    // Nothing is due before the batch: the subscription does not replay what happened before it.
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });

    await w.load('2026-10-06', '2026-10-06');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received).toHaveLength(1);
    const got = w.hook.received[0];
    expect(got.headers['x-signature']).toBe(`sha256=${hmacHex(HOOK_SECRET, got.body)}`);
    expect(got.headers['x-delivery-id']).toBe(String(got.json.deliveryId));
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.json).toEqual({
      deliveryId: expect.any(Number),
      event: 'level.changed',
      shopId: 'A',
      shopName: 'A店',
      date: '2026-10-06',
      from: 'warning',
      level: 'restricted',
      restrictions: [
        { code: 'remove_resource_slots', since: '2026-10-06' },
        { code: 'ban_resource_slots', since: '2026-10-06' },
      ],
      rate: 0.05,
      orders: 60,
      interventions: 3,
      flagged: true,
      consecutiveFlaggedDays: 7,
      policyVersion: '2026.11-default',
    });
    expect(Object.keys(got.json).filter((k) => CATEGORY_KEYS.test(k))).toEqual([]);

    // The same day again (re-sent rows: the refresh recomputes 10-06) emits nothing, and nothing is sent twice.
    await w.load('2026-10-06', '2026-10-06');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(w.hook.received).toHaveLength(1);
    const log = await deliveries(w, w.sellerA, sub.body.id);
    expect(log.map((d) => [d.event, d.status, d.attempts, d.lastStatus])).toEqual([['level.changed', 'delivered', 1, 200]]);
    // A day without a change of level emits nothing either.
    await w.load('2026-10-07', '2026-10-07');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
  });

  it('a subscription made after a change is not sent it; the next change is (A, severe from 10-13, lifts on 10-24: severe → none)', async () => {
    const w = await world('2026-10-06');
    const sub = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/hook`, format: 'json', events: ['level.changed'], secret: HOOK_SECRET });
    expect(sub.status).toBe(201);
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    // The change of 10-06 was stored with the refresh (its key: nothing to deliver, nobody subscribed then).
    const stored = await w.db.read((conn) =>
      queryRows<{ k: string; p: string }>(
        conn,
        "SELECT event_key AS k, payload::VARCHAR AS p FROM alert_events WHERE event = 'level.changed' AND shop_id = 'A'",
      ),
    );
    expect(stored.map((r) => [r.k, JSON.parse(r.p)])).toEqual([
      ['level.changed|A|2026-10-06|warning>restricted', { event: 'level.changed', shopId: 'A', date: '2026-10-06', from: 'warning', level: 'restricted' }],
    ]);
    // One batch up to 10-24, whose latest day is the one that counts (DESIGN §4): A is severe from 10-13 (14th
    // flagged day); on 10-18 the 09-18 case leaves the window (K = 2 < 3), unflagged; the 7th unflagged day (10-24) lifts.
    await w.load('2026-10-07', '2026-10-24');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received[0].json).toMatchObject({
      event: 'level.changed',
      shopId: 'A',
      date: '2026-10-24',
      from: 'severe',
      level: 'none',
      restrictions: [],
      orders: 60,
      interventions: 0,
      flagged: false,
      consecutiveFlaggedDays: 0,
    });
  });

  it('a receiver failing twice gets it on the third attempt, with backoff and the attempts in the log', async () => {
    const w = await world();
    const sub = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/hook`, format: 'json', events: ['level.changed'], secret: HOOK_SECRET });
    let calls = 0;
    w.hook.answer = () => (++calls <= 2 ? { status: 503, body: { error: 'busy' } } : { status: 200 });
    await w.load('2026-10-06', '2026-10-06');
    const t0 = Date.now();
    expect(await w.worker.deliverDue(new Date(t0))).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    let [d] = await deliveries(w, w.sellerA, sub.body.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 503, lastError: expect.stringMatching(/^HTTP 503/) });
    // Not due before its backoff (5 s) …
    expect(await w.worker.deliverDue(new Date(t0 + 4_000))).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    // … then the second attempt (fails again: next in 30 s), then the third.
    expect(await w.worker.deliverDue(new Date(t0 + 6_000))).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect(await w.worker.deliverDue(new Date(t0 + 30_000))).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(await w.worker.deliverDue(new Date(t0 + 40_000))).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received).toHaveLength(3);
    // The same delivery id on every attempt (the receiver's idempotency key), the same signed body.
    expect(new Set(w.hook.received.map((r) => r.headers['x-delivery-id'])).size).toBe(1);
    for (const r of w.hook.received) expect(r.headers['x-signature']).toBe(`sha256=${hmacHex(HOOK_SECRET, r.body)}`);
    [d] = await deliveries(w, w.sellerA, sub.body.id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
  });

  it('a server killed between the refresh and the delivery delivers after the restart, once', async () => {
    const w = await world();
    const sub = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/hook`, format: 'json', events: ['level.changed'], secret: HOOK_SECRET });
    await w.load('2026-10-06', '2026-10-06');
    // The events and deliveries were stored with the refresh; the worker never ran.
    await w.db.close();
    opened.splice(opened.indexOf(w.db), 1);
    const again = await Database.open(w.dbPath, { poolSize: 2 });
    opened.push(again);
    const worker = new DeliveryWorker(again);
    expect(await worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(await worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    await again.close();
    opened.pop();
    const third = await Database.open(w.dbPath, { poolSize: 2 });
    opened.push(third);
    expect(await new DeliveryWorker(third).deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(w.hook.received).toHaveLength(1);
    expect(w.hook.received[0].json).toMatchObject({ event: 'level.changed', shopId: 'A', level: 'restricted' });
    const log = await third.read((conn) => queryRows(conn, 'SELECT status, attempts FROM alert_deliveries WHERE subscription_id = $id', { id: sub.body.id }));
    expect(log).toEqual([{ status: 'delivered', attempts: 1 }]);
  });
});

describe('group-robot formats', () => {
  it('DingTalk: markdown in Chinese, &timestamp=…&sign=… = urlencode(base64(HmacSHA256(secret, timestamp\\n secret)))', async () => {
    const w = await world();
    const robotSecret = 'SECdingtalk0123456789';
    w.hook.answer = (r) => {
      const url = new URL(r.url, w.hook.base);
      const timestamp = url.searchParams.get('timestamp');
      const sign = url.searchParams.get('sign');
      const expected = crypto.createHmac('sha256', robotSecret).update(`${timestamp}\n${robotSecret}`).digest('base64');
      const fresh = timestamp !== null && Math.abs(Date.now() - Number(timestamp)) < 60 * 60 * 1000;
      const body = r.json as { msgtype?: string; markdown?: { title?: string; text?: string } };
      const ok = url.pathname === '/robot/send' && url.searchParams.get('access_token') === 'tok' && sign === expected && fresh && body.msgtype === 'markdown';
      return {
        status: 200,
        body: ok && body.markdown?.title && body.markdown.text ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' },
      };
    };
    const sub = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/robot/send?access_token=tok`,
      format: 'dingtalk',
      events: ['level.changed'],
      secret: robotSecret,
    });
    expect(sub.status).toBe(201);
    // The robot's token is masked in every answer.
    expect(sub.body.url).toBe(`${w.hook.base}/robot/send?access_token=****`);
    await w.load('2026-10-06', '2026-10-06');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    // The raw query carries the sign URL-encoded (base64's + / = escaped).
    const raw = w.hook.received[0].url;
    expect(raw).toMatch(/[?&]sign=[^&]*$/);
    expect(raw.split('sign=')[1]).not.toMatch(/[+/=]/);
    const text = (w.hook.received[0].json.markdown as { text: string }).text;
    expect(text).toContain('预警 → 限制');
    expect(text).toContain('A店（A）');
    expect(text).toContain('5.00%');
    expect(text).toContain('介入订单 3 / 订单 60');
    expect(text).toContain('连续超标天数：7 天');
    expect(text).toContain('移除资源位（自 2026-10-06 起）');
  });

  it('a robot that answers 200 with an error code is a failed attempt, with the robot’s message in the log', async () => {
    const w = await world();
    w.hook.answer = () => ({ status: 200, body: { errcode: 310000, errmsg: 'sign not match' } });
    const sub = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/robot/send?access_token=tok`,
      format: 'dingtalk',
      events: ['level.changed'],
      secret: 'wrong-secret-0000',
    });
    await w.load('2026-10-06', '2026-10-06');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    const [d] = await deliveries(w, w.sellerA, sub.body.id);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 200, lastError: expect.stringContaining('310000 sign not match') });
  });

  it('Feishu: an interactive card with markdown, {timestamp, sign} in the body, sign = base64(HmacSHA256(key=timestamp\\n secret, ""))', async () => {
    const w = await world();
    const robotSecret = 'feishu-secret-0123';
    w.hook.answer = (r) => {
      const b = r.json as {
        timestamp?: string;
        sign?: string;
        msg_type?: string;
        card?: { header?: { title?: { content?: string } }; elements?: { tag: string; content: string }[] };
      };
      const expected = crypto.createHmac('sha256', `${b.timestamp}\n${robotSecret}`).update('').digest('base64');
      const fresh = Math.abs(Date.now() / 1000 - Number(b.timestamp)) < 3600;
      const ok = b.sign === expected && fresh && /^\d+$/.test(b.timestamp ?? '') && b.msg_type === 'interactive' && b.card?.elements?.[0]?.tag === 'markdown';
      return {
        status: 200,
        body: ok ? { code: 0, msg: 'success' } : { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' },
      };
    };
    const sub = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/open-apis/bot/v2/hook/0123456789abcdef-hook`,
      format: 'feishu',
      events: ['level.changed'],
      secret: robotSecret,
    });
    expect(sub.status).toBe(201);
    expect(sub.body.url).toBe(`${w.hook.base}/open-apis/bot/v2/hook/0123****`);
    await w.load('2026-10-06', '2026-10-06');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    const card = w.hook.received[0].json.card as { header: { title: { content: string } }; elements: { content: string }[] };
    expect(card.header.title.content).toBe('店铺等级变化：预警 → 限制');
    expect(card.elements[0].content).toContain('平台介入率：**5.00%**');
  });

  it('WeCom: markdown content, no signing (its key is in the URL); a secret is refused', async () => {
    const w = await world();
    w.hook.answer = (r) => {
      const b = r.json as { msgtype?: string; markdown?: { content?: string } };
      const ok = new URL(r.url, w.hook.base).searchParams.get('key') === 'k-123' && b.msgtype === 'markdown' && !!b.markdown?.content;
      return { status: 200, body: ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 93000, errmsg: 'invalid webhook url' } };
    };
    const refused = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/cgi-bin/webhook/send?key=k-123`,
      format: 'wecom',
      events: ['level.changed'],
      secret: 'not-for-wecom',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^secret: /);
    const sub = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/cgi-bin/webhook/send?key=k-123`,
      format: 'wecom',
      events: ['level.changed'],
    });
    expect(sub.status).toBe(201);
    expect(sub.body.hasSecret).toBe(false);
    await w.load('2026-10-06', '2026-10-06');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect((w.hook.received[0].json.markdown as { content: string }).content).toContain('当前等级：**限制**（前一日：预警）');
  });
});

describe('the other events', () => {
  it('queue.daily: the reviewer’s digest names the shops that entered the queue, once per day', async () => {
    const w = await world('2026-09-29');
    const sub = await subscribe(w, w.reviewer, { url: `${w.hook.base}/queue`, format: 'json', events: ['queue.daily'] });
    expect(sub.status).toBe(201);
    // A json subscription without a secret gets one made by the server, shown once.
    expect(sub.body.secret).toMatch(/^[0-9a-f]{48}$/);
    expect(sub.body.createdBy).toBe('li@example.com');
    await w.load('2026-09-30', '2026-09-30');
    await w.load('2026-09-30', '2026-09-30');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    const got = w.hook.received[0];
    expect(got.headers['x-signature']).toBe(`sha256=${hmacHex(sub.body.secret, got.body)}`);
    expect(got.json).toMatchObject({ event: 'queue.daily', shopId: null, date: '2026-09-30', total: 2, enteredCount: 2, leftCount: 0, left: [] });
    expect((got.json.entered as { shopId: string; level: string }[]).map((s) => [s.shopId, s.level]).sort()).toEqual([
      ['A', 'warning'],
      ['C', 'warning'],
    ]);
    // The next day: a digest with nobody entering or leaving.
    await w.load('2026-10-01', '2026-10-01');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received[1].json).toMatchObject({ date: '2026-10-01', total: 2, enteredCount: 0, leftCount: 0 });
  });

  it('forecast.crossing: A, flagged since 09-30, falls below the threshold on 10-18 — inside a 14-day horizon on 10-05, a 7-day one on 10-11', async () => {
    const w = await world();
    // On 10-05 the crossing (10-18) is 13 days away: the 14-day subscription is told at the worker's next pass.
    const in14 = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/h14`,
      format: 'json',
      events: ['forecast.crossing'],
      secret: HOOK_SECRET,
      horizonDays: 14,
    });
    const in7 = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/h7`, format: 'json', events: ['forecast.crossing'], secret: HOOK_SECRET });
    expect(in7.body.horizonDays).toBe(7);
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received.map((r) => r.url)).toEqual(['/h14']);
    const p = w.hook.received[0].json;
    expect(p).toMatchObject({
      event: 'forecast.crossing',
      shopId: 'A',
      date: '2026-10-05',
      crossing: 'below_threshold',
      horizonDays: 14,
      belowThresholdOn: '2026-10-18',
      level: 'warning',
      orders: 60,
      interventions: 3,
      consecutiveFlaggedDays: 6,
    });
    expect(Object.keys(p).filter((k) => CATEGORY_KEYS.test(k))).toEqual([]);
    // Later days of the same flagged run: no second below_threshold for 14. Restricted since 10-06, the lift
    // (the 7th unflagged day, 10-18 … 10-24) comes within 14 days on 10-10: a 'lift' crossing, once.
    await w.load('2026-10-06', '2026-10-09');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    await w.load('2026-10-10', '2026-10-10');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received[1]).toMatchObject({ url: '/h14', json: { date: '2026-10-10', crossing: 'lift', liftOn: '2026-10-24', level: 'restricted' } });
    // The 7-day one when 10-18 is 7 days away (10-11).
    await w.load('2026-10-11', '2026-10-11');
    expect(await w.worker.deliverDue()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(w.hook.received[2]).toMatchObject({
      url: '/h7',
      json: { date: '2026-10-11', crossing: 'below_threshold', belowThresholdOn: '2026-10-18', horizonDays: 7 },
    });
    expect((await deliveries(w, w.sellerA, in7.body.id)).map((d) => d.event)).toEqual(['forecast.crossing']);
    expect((await deliveries(w, w.sellerA, in14.body.id)).map((d) => [d.payload.crossing, d.status])).toEqual([
      ['lift', 'delivered'],
      ['below_threshold', 'delivered'],
    ]);
  });

  it('appeal.answered, and the early lift it causes: restriction.lifted (10-06 is then warning, as 10-05: no level.changed)', async () => {
    const w = await world('2026-10-06');
    const sub = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/hook`,
      format: 'json',
      events: ['appeal.answered', 'restriction.lifted', 'level.changed'],
      secret: HOOK_SECRET,
    });
    const appeal = await request(w.app)
      .post('/api/shops/A/appeals')
      .set('Authorization', `Bearer ${w.sellerA}`)
      .send({ text: 'We fixed the quality problem last week.' });
    expect(appeal.status).toBe(201);
    const answer = await request(w.app)
      .post(`/api/appeals/${appeal.body.id}/answer`)
      .set('Authorization', `Bearer ${w.reviewer}`)
      .send({ decision: 'accept', reason: '物流原因已核实' });
    expect(answer.status).toBe(201);
    expect(await w.worker.deliverDue()).toEqual({ delivered: 2, retrying: 0, failed: 0 });
    const byEvent = Object.fromEntries(w.hook.received.map((r) => [r.json.event, r.json]));
    expect(byEvent['appeal.answered']).toMatchObject({
      shopId: 'A',
      date: '2026-10-06',
      appealId: appeal.body.id,
      decision: 'accepted',
      reason: '物流原因已核实',
      answeredBy: 'li@example.com',
      episodeStart: '2026-10-06',
      liftsEpisode: true,
    });
    expect(byEvent['restriction.lifted']).toMatchObject({
      shopId: 'A',
      liftedOn: '2026-10-06',
      episodeStart: '2026-10-06',
      restrictions: [
        { code: 'remove_resource_slots', since: '2026-10-06' },
        { code: 'ban_resource_slots', since: '2026-10-06' },
      ],
    });
    expect(byEvent['restriction.lifted'].level).toBe('warning');
    expect(byEvent['level.changed']).toBeUndefined();
    expect((await deliveries(w, w.sellerA, sub.body.id)).every((d) => d.status === 'delivered')).toBe(true);
  });
});

describe('who may subscribe, and where to', () => {
  it('a seller cannot subscribe for another shop (403) nor to queue.daily (403); shop events need a shopId', async () => {
    const w = await world();
    const other = await subscribe(w, w.sellerA, { shopId: 'B', url: `${w.hook.base}/x`, format: 'json', events: ['level.changed'] });
    expect(other.status).toBe(403);
    expect(other.body.message).toMatch(/shop B/);
    const queue = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/x`, format: 'json', events: ['queue.daily'] });
    expect(queue.status).toBe(403);
    expect(queue.body.message).toMatch(/^events: queue\.daily/);
    const noShop = await subscribe(w, w.reviewer, { url: `${w.hook.base}/x`, format: 'json', events: ['level.changed'] });
    expect(noShop.status).toBe(400);
    expect(noShop.body.message).toMatch(/^shopId: /);
    // A reviewer may subscribe to any shop.
    expect((await subscribe(w, w.reviewer, { shopId: 'B', url: `${w.hook.base}/x`, format: 'json', events: ['level.changed'] })).status).toBe(201);
    const bad = await subscribe(w, w.reviewer, { shopId: 'A', url: `${w.hook.base}/x`, format: 'json', events: ['level.changed', 'level.changed'] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^events: /);
  });

  it('a private or loopback host is refused with 400 naming url unless allowed (at subscription and at delivery)', async () => {
    const w = await world();
    const strict = createApp({ db: w.db, secret, webhookAllowHosts: [] });
    for (const url of [
      'http://10.0.0.1/',
      'http://localhost/',
      'http://127.0.0.1:9/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest',
      'http://192.168.1.5/',
      'http://[::ffff:10.0.0.1]/',
    ]) {
      const res = await subscribe(w, w.sellerA, { shopId: 'A', url, format: 'json', events: ['level.changed'] }, strict);
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/^url: .*WEBHOOK_ALLOW_HOSTS/);
    }
    for (const url of ['ftp://example.com/x', 'not a url', 'http://user:pw@example.com/']) {
      const res = await subscribe(w, w.sellerA, { shopId: 'A', url, format: 'json', events: ['level.changed'] }, strict);
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/^url: /);
    }
    // Allowed (WEBHOOK_ALLOW_HOSTS=127.0.0.1) when subscribing; the operator then withdraws it: the delivery is refused, nothing is sent.
    const sub = await subscribe(w, w.sellerA, { shopId: 'A', url: `${w.hook.base}/hook`, format: 'json', events: ['level.changed'], secret: HOOK_SECRET });
    expect(sub.status).toBe(201);
    await w.load('2026-10-06', '2026-10-06');
    const strictWorker = new DeliveryWorker(w.db, { allowHosts: () => [] });
    expect(await strictWorker.deliverDue()).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect(w.hook.received).toEqual([]);
    const [d] = await deliveries(w, w.sellerA, sub.body.id);
    expect(d.lastError).toMatch(/127\.0\.0\.1 is a private or loopback address/);
    // A name that resolves to loopback is refused at delivery too (the connection's own lookup).
    await w.db.write((conn) => conn.run("UPDATE alert_subscriptions SET url = replace(url, '127.0.0.1', 'localhost')"));
    expect(await new DeliveryWorker(w.db, { allowHosts: () => ['127.0.0.1.invalid'] }).deliverDue(new Date(Date.now() + 60_000))).toEqual({
      delivered: 0,
      retrying: 1,
      failed: 0,
    });
    expect(w.hook.received).toEqual([]);
    expect((await deliveries(w, w.sellerA, sub.body.id))[0].lastError).toMatch(/localhost resolves to .*private or loopback/);
  });

  it('classifies addresses', () => {
    for (const a of [
      '10.1.2.3',
      '127.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '224.0.0.1',
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '93.184.215.14', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('lists and deletes: a seller sees their shops’ subscriptions (URLs masked, no secret), another seller gets 403; delete cancels pending deliveries', async () => {
    const w = await world();
    const sub = await subscribe(w, w.sellerA, {
      shopId: 'A',
      url: `${w.hook.base}/hook?token=abc`,
      format: 'json',
      events: ['level.changed'],
      secret: HOOK_SECRET,
    });
    const mine = await request(w.app).get('/api/subscriptions').set('Authorization', `Bearer ${w.sellerA}`);
    expect(mine.body.items).toEqual([expect.objectContaining({ id: sub.body.id, url: `${w.hook.base}/hook?token=****`, hasSecret: true })]);
    expect(JSON.stringify(mine.body)).not.toContain(HOOK_SECRET);
    expect((await request(w.app).get('/api/subscriptions').set('Authorization', `Bearer ${w.sellerB}`)).body.items).toEqual([]);
    expect((await request(w.app).get(`/api/subscriptions/${sub.body.id}/deliveries`).set('Authorization', `Bearer ${w.sellerB}`)).status).toBe(403);
    expect((await request(w.app).delete(`/api/subscriptions/${sub.body.id}`).set('Authorization', `Bearer ${w.sellerB}`)).status).toBe(403);
    await w.load('2026-10-06', '2026-10-06');
    const del = await request(w.app).delete(`/api/subscriptions/${sub.body.id}`).set('Authorization', `Bearer ${w.sellerA}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: sub.body.id, active: false });
    expect(await w.worker.deliverDue()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(w.hook.received).toEqual([]);
    const [row] = await w.db.read((conn) =>
      queryRows(conn, 'SELECT s.deleted_by AS by, d.status FROM alert_subscriptions s JOIN alert_deliveries d ON d.subscription_id = s.id WHERE s.id = $id', {
        id: sub.body.id,
      }),
    );
    expect(row).toEqual({ by: 'seller-a@example.com', status: 'cancelled' });
    // The log stays readable (the cancelled delivery); deleting again changes nothing; an unknown id is 404 to a reviewer, 403 to a seller.
    expect((await deliveries(w, w.sellerA, sub.body.id)).map((d) => [d.status, d.lastError])).toEqual([['cancelled', 'the subscription was deleted']]);
    expect((await request(w.app).delete(`/api/subscriptions/${sub.body.id}`).set('Authorization', `Bearer ${w.sellerA}`)).body.active).toBe(false);
    expect((await request(w.app).get('/api/subscriptions').set('Authorization', `Bearer ${w.sellerA}`)).body.items).toEqual([]);
    expect((await request(w.app).get('/api/subscriptions/999999/deliveries').set('Authorization', `Bearer ${w.reviewer}`)).status).toBe(404);
    expect((await request(w.app).get('/api/subscriptions/999999/deliveries').set('Authorization', `Bearer ${w.sellerA}`)).status).toBe(403);
    // Both actions name the person in the audit log (once: deleting again is no action); never the secret.
    const audit = await request(w.app).get('/api/audit?shopId=A').set('Authorization', `Bearer ${w.reviewer}`);
    expect(audit.body.items.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['subscription.deleted', 'seller-a@example.com'],
      ['subscription.created', 'seller-a@example.com'],
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(HOOK_SECRET);
    expect(JSON.stringify(audit.body)).not.toContain('token=abc');
  });
});
