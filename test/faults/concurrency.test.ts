// Reads during writes and graceful shutdown (issue 6). While a batch loads, every answer a reader
// gets is wholly the answer from before the batch or wholly the one from after it; on SIGTERM the
// server finishes what it has in flight, checkpoints, and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/api/app.js';
import { signToken } from '../../server/auth/tokens.js';
import { FlaggedListSchema, ShopMetricsSchema } from '../../server/contracts/metrics.js';
import { Database, queryRows } from '../../server/db/database.js';
import { defaultDemoEnd, generateDemo } from '../../server/generate/demo.js';
import { ingestFiles } from '../../server/ingest/ingest.js';
import { tempDir } from '../helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET_TEXT = 'concurrency-test-secret-0123456789abcdef';
const SECRET = new TextEncoder().encode(SECRET_TEXT);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DEMO_END = '2026-11-20';

// ---------------------------------------------------------------------------------------------
// Data: a generated demo split into batch 1 (older days) and batch 2 (newer days, plus revisions
// that exclude a quarter of batch 1's cases, so the numbers of days already shown change too).

async function makeBatches(root: string): Promise<{ b1: string; b2: string }> {
  const src = path.join(root, 'src');
  // A fixed end day keeps the data the same from run to run (unless the clock is earlier than it).
  const end = [DEMO_END, defaultDemoEnd(new Date(Date.now() - 2 * 86_400_000))].sort()[0];
  const summary = await generateDemo({ shops: 300, days: 60, seed: 6, end, out: src });
  const b1 = path.join(root, 'b1');
  const b2 = path.join(root, 'b2');
  fs.mkdirSync(b1);
  fs.mkdirSync(b2);
  for (const name of ['categories.csv', 'shops.csv']) fs.copyFileSync(path.join(src, name), path.join(b1, name));
  const cutDate = new Date(`${summary.first}T00:00:00Z`);
  cutDate.setUTCDate(cutDate.getUTCDate() + 30);
  const cutoff = cutDate.toISOString().slice(0, 10).replaceAll('-', '');
  const day = (orderId: string) => orderId.slice(1, 9); // O{yyyymmdd}{seq}
  const lines = (name: string) =>
    fs
      .readFileSync(path.join(src, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  const [oh, ...orders] = lines('orders.csv');
  const [ch, ...cases] = lines('interventions.csv');
  const old = cases.filter((l) => day(l.split(',')[1]) < cutoff);
  const revised = old
    .filter((_, i) => i % 4 === 0)
    .map((l) => {
      const f = l.split(',');
      return [...f.slice(0, 6), 'closed', 'withdrawn', 'true', 'force_majeure'].join(',');
    });
  const write = (file: string, rows: string[]) => fs.writeFileSync(file, rows.join('\n') + '\n');
  write(path.join(b1, 'orders.csv'), [oh, ...orders.filter((l) => day(l) < cutoff)]);
  write(path.join(b1, 'interventions.csv'), [ch, ...old]);
  write(path.join(b2, 'orders-2.csv'), [oh, ...orders.filter((l) => day(l) >= cutoff)]);
  write(path.join(b2, 'interventions-2.csv'), [ch, ...cases.filter((l) => day(l.split(',')[1]) >= cutoff), ...revised]);
  return { b1, b2 };
}

/** The same fingerprint as the crash test: per table, row count and an order-independent hash sum. */
const FINGERPRINT: Record<string, string> = {
  categories: '*',
  shops: '*',
  orders: '*',
  cases: '*',
  shop_day: '*',
  category_day: '*',
  restriction_episodes: '*',
  data_range: 'first_day, last_day, window_days, policy_version',
};
async function fingerprintOf(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, columns] of Object.entries(FINGERPRINT)) {
    const [row] = await db.read((conn) =>
      queryRows<{ n: number; h: string }>(conn, `SELECT count(*) AS n, coalesce(sum(hash(t))::VARCHAR, '0') AS h FROM (SELECT ${columns} FROM ${table}) AS t`),
    );
    out[table] = `${row.n}:${row.h}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The reads: a reviewer's and the shops' own sellers' views, at the latest day and at a day that
// batch 2 revises.

interface Probe {
  url: string;
  token: string;
}

interface Answer {
  status: number;
  body: unknown;
}

async function answersOf(db: Database, probes: Probe[]): Promise<Map<string, string>> {
  const app = createApp({ db, secret: SECRET });
  const out = new Map<string, string>();
  for (const p of probes) {
    const res = await request(app).get(p.url).set('Authorization', `Bearer ${p.token}`);
    expect(res.status, `${p.url}: ${res.text}`).toBe(200);
    out.set(p.url, JSON.stringify(res.body));
  }
  return out;
}

let root: string;
let batches: { b1: string; b2: string };
let baseDb: string;
let probes: Probe[];
let before: Map<string, string>;
let after: Map<string, string>;
let afterFingerprint: Record<string, string>;
let ingestMs: number;

beforeAll(async () => {
  root = tempDir('iw-concurrency-');
  batches = await makeBatches(root);
  baseDb = path.join(root, 'base.duckdb');
  const base = await Database.open(baseDb, { poolSize: 2 });
  expect((await ingestFiles(base, [batches.b1])).exitCode).toBe(0);
  const [range] = await base.read((conn) => queryRows<{ last: string }>(conn, "SELECT strftime(last_day, '%Y-%m-%d') AS last FROM data_range"));
  await base.close();

  const refPath = path.join(root, 'after.duckdb');
  fs.copyFileSync(baseDb, refPath);
  const ref = await Database.open(refPath, { poolSize: 2 });
  const started = performance.now();
  expect((await ingestFiles(ref, [batches.b2])).exitCode).toBe(0);
  ingestMs = performance.now() - started;
  afterFingerprint = await fingerprintOf(ref);

  // Shops worth watching: those with a level on batch 1's last day or on the new last day, then others.
  const watched = await ref.read((conn) =>
    queryRows<{ shop_id: string }>(
      conn,
      `SELECT shop_id FROM shop_day WHERE day IN ($d::DATE, (SELECT last_day FROM data_range))
       GROUP BY shop_id ORDER BY max(CASE level WHEN 'none' THEN 0 ELSE 1 END) DESC, max(interventions) DESC, shop_id LIMIT 10`,
      { d: range.last },
    ),
  );
  const reviewer = await signToken(SECRET, { role: 'reviewer' });
  probes = [
    { url: '/api/flagged', token: reviewer },
    { url: `/api/flagged?date=${range.last}&limit=100`, token: reviewer },
    { url: `/api/flagged?date=${range.last}&level=warning&sort=shopId&order=asc`, token: reviewer },
  ];
  for (const [i, { shop_id }] of watched.entries()) {
    const token = i % 2 === 0 ? reviewer : await signToken(SECRET, { role: 'seller', shops: [shop_id] });
    probes.push({ url: `/api/shops/${shop_id}/metrics`, token }, { url: `/api/shops/${shop_id}/metrics?date=${range.last}`, token });
  }
  after = await answersOf(ref, probes);
  await ref.close();
  const b = await Database.open(baseDb, { poolSize: 2 });
  before = await answersOf(b, probes);
  await b.close();
  // Only answers that batch 2 changes can tell a mix from a whole answer.
  probes = probes.filter((p) => before.get(p.url) !== after.get(p.url));
  console.log(`concurrency: batch 2 ingests in-process in ${Math.round(ingestMs)} ms; ${probes.length} probe URLs`);
}, 180_000);

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** 'before', 'after', or why the answer is neither. */
function judge(url: string, answer: Answer): string {
  if (answer.status !== 200) return `status ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`;
  const text = JSON.stringify(answer.body);
  if (text === before.get(url)) return 'before';
  if (text === after.get(url)) return 'after';
  // Which fields agree with which state, to show what was mixed.
  const b = JSON.parse(before.get(url)!) as Record<string, unknown>;
  const a = JSON.parse(after.get(url)!) as Record<string, unknown>;
  const got = answer.body as Record<string, unknown>;
  const side = (k: string) => {
    const g = JSON.stringify(got[k]);
    return g === JSON.stringify(b[k]) ? (g === JSON.stringify(a[k]) ? 'both' : 'before') : g === JSON.stringify(a[k]) ? 'after' : 'neither';
  };
  const fields = Object.keys(got)
    .map((k) => `${k}=${side(k)}`)
    .filter((f) => !f.endsWith('=both'));
  return `MIX (${fields.join(' ')}): ${text.slice(0, 300)}`;
}

describe.sequential('faults: concurrency', () => {
  it('batch 2 changes the probed answers (lists and single shops), so a mix would be visible', () => {
    expect(probes.length).toBeGreaterThanOrEqual(15);
    expect(probes.filter((p) => p.url.startsWith('/api/flagged')).length).toBeGreaterThanOrEqual(2);
    expect(probes.filter((p) => p.url.includes('/metrics?date=')).length).toBeGreaterThanOrEqual(5);
    for (const p of probes) expect(after.get(p.url), p.url).not.toBe(before.get(p.url));
  });

  describe.sequential('reads during an ingest', () => {
    const results: { url: string; answer?: Answer; error?: string }[] = [];
    let liveFingerprint: Record<string, string>;
    let exitCode: number;

    beforeAll(async () => {
      const livePath = path.join(root, 'live.duckdb');
      fs.copyFileSync(baseDb, livePath);
      const db = await Database.open(livePath, { poolSize: 4 });
      const app = createApp({ db, secret: SECRET });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const get = (p: Probe) =>
        new Promise<void>((resolve) => {
          const req = http.get(`${base}${p.url}`, { agent, headers: { Authorization: `Bearer ${p.token}` } }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => {
              let body: unknown = text;
              try {
                body = JSON.parse(text);
              } catch {
                /* kept as text */
              }
              results.push({ url: p.url, answer: { status: res.statusCode ?? 0, body } });
              resolve();
            });
          });
          req.on('error', (error) => {
            results.push({ url: p.url, error: error.message });
            resolve();
          });
        });

      try {
        let writing = true;
        let burst: Promise<void>[] = [];
        const ingest = ingestFiles(db, [batches.b2], {
          // Just before COMMIT a burst of reads is started and given a moment to get going, so that
          // the commit lands while they are between their queries.
          beforeCommit: async () => {
            burst = Array.from({ length: 48 }, (_, i) => get(probes[i % probes.length]));
            await sleep(4);
          },
        }).finally(() => (writing = false));
        // Eight readers loop over the probes until the ingest is over (bounded by count and time).
        const started = Date.now();
        const readers = Array.from({ length: 8 }, async (_, r) => {
          for (let i = r; i < 20_000 && Date.now() - started < 60_000; i += 8) {
            await get(probes[i % probes.length]);
            if (!writing) break;
          }
        });
        exitCode = (await ingest).exitCode;
        await Promise.all(readers);
        await Promise.all(burst);
        await Promise.all(probes.map(get)); // a last round after the commit
        liveFingerprint = await fingerprintOf(db);
      } finally {
        agent.destroy();
        await new Promise((resolve) => server.close(resolve));
        await db.close();
      }
      const counts = { before: 0, after: 0, other: 0 };
      for (const r of results) {
        const v = r.answer ? judge(r.url, r.answer) : 'error';
        counts[v === 'before' || v === 'after' ? v : 'other']++;
      }
      console.log(`concurrency: ${results.length} reads during and around the ingest: ${counts.before} before, ${counts.after} after, ${counts.other} neither`);
    }, 120_000);

    it('no read fails while the batch loads, and the batch lands whole', () => {
      expect(exitCode).toBe(0);
      expect(liveFingerprint).toEqual(afterFingerprint);
      const failed = results.filter((r) => r.error || r.answer?.status !== 200);
      expect(failed.slice(0, 5), `${failed.length} of ${results.length} reads failed`).toEqual([]);
      // The reads really ran on both sides of the commit.
      expect(results.filter((r) => r.answer && judge(r.url, r.answer) === 'before').length).toBeGreaterThan(probes.length);
      expect(results.filter((r) => r.answer && judge(r.url, r.answer) === 'after').length).toBeGreaterThanOrEqual(probes.length);
    });

    // Each request reads one snapshot (Database.read is one transaction).
    it('every answer is wholly from before or wholly from after the batch, never a mix', () => {
      const bad = results
        .filter((r) => r.answer)
        .map((r) => ({ url: r.url, verdict: judge(r.url, r.answer!) }))
        .filter((v) => v.verdict !== 'before' && v.verdict !== 'after');
      expect(bad.slice(0, 5), `${bad.length} of ${results.length} answers were neither wholly before nor wholly after`).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Graceful shutdown of the real server process.

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

interface Shutdown {
  dbPath: string;
  output: string;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  termAt: number;
  exitAt: number;
  upload: { status: number; body: { accepted: number; exitCode: number }; doneAt: number };
  outcomes: { url: string; sentAt: number; doneAt: number; answer?: Answer; error?: string }[];
}

/**
 * Starts the server on a copy of the batch-1 database, runs a slow stream of reads (six clients,
 * a request every 25 ms each, on keep-alive connections or a new connection per request), starts
 * the upload of batch 2, and sends SIGTERM while the upload's ingest runs. The stream keeps going
 * until the process is gone (bounded by count and time).
 */
async function shutdownDuringUpload(name: string, keepAlive: boolean): Promise<Shutdown> {
  const dbPath = path.join(root, `${name}.duckdb`);
  fs.copyFileSync(baseDb, dbPath);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DB_PATH: dbPath, PORT: '0', AUTH_SECRET: SECRET_TEXT, DEMO: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 6 }) : undefined;
  try {
    let port: string | undefined;
    for (let i = 0; i < 600 && !port && child.exitCode === null; i++) {
      port = /serving http:\/\/localhost:(\d+)/.exec(output)?.[1];
      if (!port) await sleep(50);
    }
    expect(port, output).toBeDefined();
    const base = `http://127.0.0.1:${port}`;
    const admin = await signToken(SECRET, { role: 'admin' });

    const outcomes: Shutdown['outcomes'] = [];
    const get = (p: Probe) =>
      new Promise<void>((resolve) => {
        const sentAt = performance.now();
        const done = (o: { answer?: Answer; error?: string }) => {
          outcomes.push({ url: p.url, sentAt, doneAt: performance.now(), ...o });
          resolve();
        };
        const headers: Record<string, string> = { Authorization: `Bearer ${p.token}` };
        if (!keepAlive) headers.Connection = 'close';
        const req = http.get(`${base}${p.url}`, { agent: agent ?? false, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              /* kept as text */
            }
            done({ answer: { status: res.statusCode ?? 0, body } });
          });
          res.on('error', (error) => done({ error: error.message }));
        });
        req.on('error', (error) => done({ error: error.message }));
      });

    let stop = false;
    const streamStart = Date.now();
    const stream = Array.from({ length: 6 }, async (_, c) => {
      for (let i = c; !stop && i < 5_000 && Date.now() - streamStart < 60_000; i += 6) {
        await get(probes[i % probes.length]);
        await sleep(25);
      }
    });
    await sleep(300);

    const form = new FormData();
    for (const file of fs.readdirSync(batches.b2).sort()) form.append('files', new Blob([fs.readFileSync(path.join(batches.b2, file))]), file);
    // Sent on a connection of its own that closes after the answer, so that only the server decides
    // how long connections stay open.
    const encoded = new Response(form);
    const payload = Buffer.from(await encoded.arrayBuffer());
    const uploading = new Promise<Shutdown['upload']>((resolve) => {
      const failed = (error: Error) => resolve({ status: 0, body: { accepted: 0, exitCode: -1, error: error.message } as never, doneAt: performance.now() });
      const req = http.request(
        `${base}/api/ingest`,
        {
          method: 'POST',
          agent: false,
          headers: {
            Authorization: `Bearer ${admin}`,
            'Content-Type': encoded.headers.get('content-type')!,
            'Content-Length': payload.length,
            Connection: 'close',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Shutdown['upload']['body'], doneAt: performance.now() }));
          res.on('error', failed);
        },
      );
      req.on('error', failed);
      req.end(payload);
    });
    // SIGTERM while the upload's ingest runs (the ingest alone took ingestMs in this process).
    await sleep(Math.max(200, ingestMs * 0.4));
    const termAt = performance.now();
    child.kill('SIGTERM');
    const upload = await uploading;
    const exit = await exited(child);
    const exitAt = performance.now();
    stop = true;
    await Promise.all(stream);
    return { dbPath, output, exit, termAt, exitAt, upload, outcomes };
  } finally {
    agent?.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe.sequential('faults: graceful shutdown', () => {
  it('on SIGTERM refuses new connections, finishes the requests in flight (an upload too), exits 0 and leaves no WAL', async () => {
    const r = await shutdownDuringUpload('shutdown', false);
    expect(r.upload.status, JSON.stringify(r.upload.body)).toBe(201);
    expect(r.upload.body.exitCode).toBe(0);
    expect(r.upload.doneAt, 'the upload was still in flight when SIGTERM was sent').toBeGreaterThan(r.termAt);
    expect(r.exit, r.output).toEqual({ code: 0, signal: null });
    expect(r.exitAt - r.upload.doneAt, 'exits soon after the last request in flight').toBeLessThan(3_000);

    // Every answer the server gave is a 200 of the documented shape. (Whether each is wholly before
    // or after the batch is the test above, skipped for its bug.)
    const answered = r.outcomes.filter((o) => o.answer);
    for (const o of answered) {
      expect(o.answer!.status, `${o.url}: ${JSON.stringify(o.answer!.body).slice(0, 300)}`).toBe(200);
      const schema = o.url.startsWith('/api/flagged') ? FlaggedListSchema : ShopMetricsSchema;
      expect(schema.safeParse(o.answer!.body).success, o.url).toBe(true);
    }
    expect(answered.filter((o) => o.sentAt < r.termAt).length).toBeGreaterThan(10);
    // Nothing failed before the signal; after it, new connections were refused while the upload
    // was still being finished.
    expect(r.outcomes.filter((o) => o.error && o.doneAt < r.termAt)).toEqual([]);
    const refused = r.outcomes.filter((o) => o.error && o.sentAt > r.termAt);
    // (ECONNRESET: a connection still in the listen backlog when the listener closed.)
    for (const o of refused) expect(o.error).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(refused.some((o) => o.doneAt < r.upload.doneAt)).toBe(true);
    const mixed = answered.filter((o) => !/^(before|after)$/.test(judge(o.url, o.answer!)));
    console.log(
      `shutdown: ${r.outcomes.length} requests; ${answered.filter((o) => o.sentAt < r.termAt && o.doneAt > r.termAt).length} in flight at SIGTERM ` +
        `and answered after it; ${refused.length} refused after it; upload answered ${r.upload.status} ${Math.round(r.upload.doneAt - r.termAt)} ms ` +
        `after SIGTERM; exit ${Math.round(r.exitAt - r.termAt)} ms after SIGTERM; ${mixed.length} mixed answers` +
        (mixed.length ? `: ${judge(mixed[0].url, mixed[0].answer!).slice(0, 200)}` : ''),
    );

    const wal = `${r.dbPath}.wal`;
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0, 'the WAL was checkpointed into the database').toBe(0);
    const reopened = await Database.open(r.dbPath, { poolSize: 2 });
    try {
      expect(await fingerprintOf(reopened)).toEqual(afterFingerprint);
      const answers = await answersOf(reopened, probes);
      for (const p of probes) expect(answers.get(p.url), p.url).toBe(after.get(p.url));
    } finally {
      await reopened.close();
    }
  }, 120_000);

  // After SIGTERM answers say Connection: close, so keep-alive clients let the server go soon.
  it('with keep-alive clients, exits soon after the requests in flight finish and cuts none', async () => {
    const r = await shutdownDuringUpload('shutdown-keepalive', true);
    expect(r.upload.status).toBe(201);
    expect(r.exit).toEqual({ code: 0, signal: null });
    expect(r.exitAt - r.upload.doneAt).toBeLessThan(3_000);
    expect(r.outcomes.filter((o) => o.error && /hang up/.test(o.error))).toEqual([]);
  }, 120_000);
});
