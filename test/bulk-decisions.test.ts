// Bulk decisions (POST /api/decisions/bulk): one reason, several shops, one transaction; each decision
// recorded and audited on its own under the person's name; all or nothing. Small world (category C1,
// data 09-01 … 10-08): A and C restricted since 10-06 and still flagged (ratio 13.5); B never flagged.
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { queryRows, type Database } from '../server/db/database.js';
import { shopDay } from './helpers.js';
import { buildTwoFlaggedShops } from './fixtures/two-flagged-shops.js';

const secret = new TextEncoder().encode('bulk-decisions-secret-0123456789abcdef');
let db: Database;
let app: Express;
let reviewer: string;

beforeAll(async () => {
  db = await buildTwoFlaggedShops();
  app = createApp({ db, secret });
  reviewer = await signToken(secret, { role: 'reviewer', subject: 'li@example.com' });
});
afterAll(async () => db.close());

const decisionCount = async () => (await db.read((conn) => queryRows<{ n: number }>(conn, 'SELECT count(*)::INTEGER AS n FROM decisions')))[0].n;

describe('bulk decisions', () => {
  it('is all or nothing: a shop without a restriction in force refuses the whole batch, naming it', async () => {
    const res = await request(app)
      .post('/api/decisions/bulk')
      .set('Authorization', `Bearer ${reviewer}`)
      .send({ shopIds: ['A', 'B'], action: 'lift_early', reason: 'regional flood' });
    expect([res.status, res.body.message]).toEqual([409, 'shop B has no restriction in force on 2026-10-08; only a note can be recorded']);
    expect(await decisionCount()).toBe(0);
    expect((await shopDay(db, 'A', '2026-10-08')).level).toBe('restricted');
  });

  it('exempts several shops with one reason, each decision and audit entry on its own, naming the person', async () => {
    const res = await request(app)
      .post('/api/decisions/bulk')
      .set('Authorization', `Bearer ${reviewer}`)
      .send({ shopIds: ['A', 'C'], action: 'exempt', reason: 'regional flood', until: '2026-12-31' });
    expect(res.status).toBe(201);
    expect(
      res.body.decisions.map((d: { shopId: string; action: string; actor: string; episodeStart: string }) => [d.shopId, d.action, d.actor, d.episodeStart]),
    ).toEqual([
      ['A', 'exempt', 'li@example.com', '2026-10-06'],
      ['C', 'exempt', 'li@example.com', '2026-10-06'],
    ]);
    const audit = await request(app).get('/api/audit?action=decision.exempt').set('Authorization', `Bearer ${reviewer}`);
    expect(audit.body.items.map((e: { shopId: string; actor: string }) => [e.shopId, e.actor]).sort()).toEqual([
      ['A', 'li@example.com'],
      ['C', 'li@example.com'],
    ]);
    const a = await request(app).get('/api/shops/A/metrics').set('Authorization', `Bearer ${reviewer}`);
    expect(a.body.restrictions.map((r: { exemptUntil?: string }) => r.exemptUntil)).toEqual(['2026-12-31', '2026-12-31']);
  });

  it('lifts several shops early with one recomputation: both are back to warning (still flagged)', async () => {
    const res = await request(app)
      .post('/api/decisions/bulk')
      .set('Authorization', `Bearer ${reviewer}`)
      .send({ shopIds: ['A', 'C'], action: 'lift_early', reason: 'appeal by phone' });
    expect(res.status).toBe(201);
    expect((await shopDay(db, 'A', '2026-10-08')).level).toBe('warning');
    expect((await shopDay(db, 'C', '2026-10-08')).level).toBe('warning');
  });

  it('refuses a shop twice, naming the parameter', async () => {
    const res = await request(app)
      .post('/api/decisions/bulk')
      .set('Authorization', `Bearer ${reviewer}`)
      .send({ shopIds: ['A', 'A'], action: 'note', reason: 'twice' });
    expect([res.status, res.body.message]).toEqual([400, 'shopIds: each shop once']);
  });
});
