// npm run soak -- [--seconds 60] [--connections 64] [--port 0] [--shops 400] [--days 60] [--batch-every 5]
//
// Soak (issue 6): the real server in a child process on a temp database, a mixed load of seller and
// reviewer requests at N keep-alive connections from this process, and a new day of data POSTed to
// /api/ingest every few seconds. Reports errors (must be 0), latency percentiles, and the server's
// resident memory second by second (it must level off). Exit 0 only when there were no errors, every
// upload loaded, memory levelled off (judged on runs of 30 s or more) and the server shut down cleanly.
// Loopback only. The last line is `SOAK_RESULT {json}` for scripts.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signToken } from '../server/auth/tokens.js';
import { Database } from '../server/db/database.js';
import { defaultDemoEnd, generateDemo } from '../server/generate/demo.js';
import { ingestFiles } from '../server/ingest/ingest.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  seconds: number;
  connections: number;
  port: number;
  shops: number;
  days: number;
  batchEvery: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      connections: { type: 'string', default: '64' },
      port: { type: 'string', default: '0' },
      shops: { type: 'string', default: '400' },
      days: { type: 'string', default: '60' },
      'batch-every': { type: 'string', default: '5' },
    },
  });
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} ${raw}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  return {
    seconds: int('seconds', values.seconds, 1, 86_400),
    connections: int('connections', values.connections, 1, 1024),
    port: int('port', values.port, 0, 65_535),
    shops: int('shops', values.shops, 10, 100_000),
    days: int('days', values.days, 40, 3650),
    batchEvery: int('batch-every', values['batch-every'], 1, 3600),
  };
}

// ---------------------------------------------------------------------------------------------
// Data: a generated demo; its last days are held back and arrive one day per upload.

interface Data {
  baseDir: string;
  /** One folder per held-back day, oldest first: orders-DAY.csv and interventions-DAY.csv. */
  dayDirs: string[];
  shopIds: string[];
}

async function prepareData(dir: string, shops: number, days: number): Promise<Data> {
  const src = path.join(dir, 'demo');
  await generateDemo({ shops, days, seed: 11, end: defaultDemoEnd(), out: src });
  const lines = (name: string) =>
    fs
      .readFileSync(path.join(src, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  const [orderHeader, ...orders] = lines('orders.csv');
  const [caseHeader, ...cases] = lines('interventions.csv');
  const dayOf = (orderId: string) => orderId.slice(1, 9); // O{yyyymmdd}{seq}
  const allDays = [...new Set(orders.map(dayOf))].sort();
  const held = allDays.slice(-Math.min(20, Math.floor(days / 3)));
  const write = (file: string, rows: string[]) => fs.writeFileSync(file, rows.join('\n') + '\n');

  const baseDir = path.join(dir, 'base');
  fs.mkdirSync(baseDir);
  for (const name of ['categories.csv', 'shops.csv']) fs.copyFileSync(path.join(src, name), path.join(baseDir, name));
  write(path.join(baseDir, 'orders.csv'), [orderHeader, ...orders.filter((l) => dayOf(l) < held[0])]);
  write(path.join(baseDir, 'interventions.csv'), [caseHeader, ...cases.filter((l) => dayOf(l.split(',')[1]) < held[0])]);
  const dayDirs = held.map((day) => {
    const d = path.join(dir, `day-${day}`);
    fs.mkdirSync(d);
    write(path.join(d, `orders-${day}.csv`), [orderHeader, ...orders.filter((l) => dayOf(l) === day)]);
    write(path.join(d, `interventions-${day}.csv`), [caseHeader, ...cases.filter((l) => dayOf(l.split(',')[1]) === day)]);
    return d;
  });
  const shopIds = lines('shops.csv')
    .slice(1)
    .map((l) => l.split(',')[0]);
  return { baseDir, dayDirs, shopIds };
}

// ---------------------------------------------------------------------------------------------
// The server

interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function startServer(dbPath: string, port: number, secret: string): Promise<Server> {
  // SOAK_NODE_ARGS: extra node options for the server (diagnostics, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = (process.env.SOAK_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DB_PATH: dbPath, PORT: String(port), AUTH_SECRET: secret, DEMO: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const found = /serving http:\/\/localhost:(\d+)/.exec(output)?.[1];
    if (found) return { child, port: Number(found), output: () => output };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${output}`);
}

function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The process's CPU time so far (user + system, all threads), in seconds; null when it cannot be read. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The load

interface Sample {
  kind: string;
  ms: number;
  at: number; // seconds since the load started
  ok: boolean;
  detail?: string;
}

function requestOnce(agent: http.Agent, port: number, url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: url, agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
  });
}

async function upload(port: number, token: string, dir: string): Promise<{ ok: boolean; detail: string }> {
  const form = new FormData();
  for (const name of fs.readdirSync(dir).sort()) form.append('files', new Blob([fs.readFileSync(path.join(dir, name))]), name);
  try {
    const res = await fetch(`http://${HOST}:${port}/api/ingest`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
    const body = (await res.json()) as { accepted?: number; exitCode?: number; message?: string };
    const ok = res.status === 201 && body.exitCode === 0;
    return { ok, detail: ok ? `${body.accepted} rows` : `${res.status} ${JSON.stringify(body).slice(0, 300)}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const pad = (v: string | number, n: number) => String(v).padStart(n);
const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(1) : Math.round(ms).toString());

async function main(): Promise<number> {
  const opts = options();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-soak-'));
  const secret = process.env.AUTH_SECRET || crypto.randomBytes(24).toString('hex');
  const key = new TextEncoder().encode(secret);
  let server: Server | null = null;
  try {
    const t0 = performance.now();
    const data = await prepareData(dir, opts.shops, opts.days);
    const dbPath = path.join(dir, 'soak.duckdb');
    const db = await Database.open(dbPath, { poolSize: 2 });
    const base = await ingestFiles(db, [data.baseDir], { source: 'soak' });
    await db.close();
    if (base.exitCode !== 0) throw new Error(`the base data did not load cleanly (exit ${base.exitCode})`);
    console.log(
      `soak: ${opts.shops} shops, ${opts.days} days (${base.accepted} rows) ready in ${Math.round(performance.now() - t0)} ms; ${data.dayDirs.length} days held back for uploads`,
    );

    server = await startServer(dbPath, opts.port, secret);
    const pid = server.child.pid!;
    const port = server.port;
    console.log(`soak: server pid ${pid} on ${HOST}:${port}; ${opts.connections} connections for ${opts.seconds} s, an upload every ${opts.batchEvery} s`);

    const reviewer = await signToken(key, { role: 'reviewer', subject: 'soak-reviewer' });
    const admin = await signToken(key, { role: 'admin', subject: 'soak-admin' });
    const sellerShops = data.shopIds.filter((_, i) => i % Math.max(1, Math.floor(data.shopIds.length / 50)) === 0);
    const sellers = new Map<string, string>();
    for (const shop of sellerShops) sellers.set(shop, await signToken(key, { role: 'seller', shops: [shop] }));

    // The mix: half sellers (their own shop's pages), half reviewers (lists and any shop).
    let seq = 0;
    const nextRequest = (): { kind: string; url: string; token: string } => {
      const n = seq++;
      const shop = sellerShops[n % sellerShops.length];
      const anyShop = data.shopIds[(n * 7919) % data.shopIds.length];
      switch (n % 10) {
        case 0:
          return { kind: 'seller metrics', url: `/api/shops/${shop}/metrics`, token: sellers.get(shop)! };
        case 1:
          return { kind: 'seller trend', url: `/api/shops/${shop}/trend`, token: sellers.get(shop)! };
        case 2:
          return { kind: 'seller cases', url: `/api/shops/${shop}/cases`, token: sellers.get(shop)! };
        case 3:
          return { kind: 'seller forecast', url: `/api/shops/${shop}/forecast`, token: sellers.get(shop)! };
        case 4:
          return { kind: 'seller peers', url: `/api/shops/${shop}/peers`, token: sellers.get(shop)! };
        case 5:
          return { kind: 'reviewer flagged', url: '/api/flagged?limit=50', token: reviewer };
        case 6:
          return {
            kind: 'reviewer flagged',
            url: `/api/flagged?sort=${['rate', 'interventions', 'consecutiveFlaggedDays'][n % 3]}&limit=20&offset=${(n % 3) * 20}`,
            token: reviewer,
          };
        case 7:
          return { kind: 'reviewer categories', url: '/api/categories', token: reviewer };
        case 8:
          return { kind: 'reviewer shop', url: `/api/shops/${anyShop}/metrics`, token: reviewer };
        default:
          return { kind: 'reviewer history', url: `/api/shops/${anyShop}/history`, token: reviewer };
      }
    };

    const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
    const samples: Sample[] = [];
    const memory: { at: number; rssMb: number; cpu: number | null }[] = [];
    const uploads: { at: number; day: string; ms: number; ok: boolean; detail: string }[] = [];
    const start = performance.now();
    const end = start + opts.seconds * 1000;
    const elapsed = () => (performance.now() - start) / 1000;

    const workers = Array.from({ length: opts.connections }, async () => {
      while (performance.now() < end) {
        const r = nextRequest();
        const began = performance.now();
        try {
          const res = await requestOnce(agent, port, r.url, r.token);
          const ok = res.status === 200;
          samples.push({
            kind: r.kind,
            ms: performance.now() - began,
            at: elapsed(),
            ok,
            detail: ok ? undefined : `${r.url} → ${res.status} ${res.body.slice(0, 200)}`,
          });
        } catch (error) {
          samples.push({ kind: r.kind, ms: performance.now() - began, at: elapsed(), ok: false, detail: `${r.url} → ${(error as Error).message}` });
        }
      }
    });
    const sampler = (async () => {
      for (let s = 0; performance.now() < end; s++) {
        const rss = rssMb(pid);
        if (rss !== null) memory.push({ at: elapsed(), rssMb: rss, cpu: cpuSeconds(pid) });
        await sleep(Math.max(0, start + (s + 1) * 1000 - performance.now()));
      }
    })();
    const uploader = (async () => {
      // Held-back days in order; when they run out, they are sent again (an upsert: nothing doubles).
      for (let i = 0; ; i++) {
        await sleep(Math.max(0, start + (i + 1) * opts.batchEvery * 1000 - performance.now()));
        if (performance.now() >= end || data.dayDirs.length === 0) return;
        const dayDir = data.dayDirs[i % data.dayDirs.length];
        const began = performance.now();
        const result = await upload(port, admin, dayDir);
        uploads.push({ at: elapsed(), day: path.basename(dayDir).slice(4), ms: performance.now() - began, ...result });
      }
    })();
    await Promise.all([...workers, sampler, uploader]);
    agent.destroy();

    // Clean shutdown is part of the run: SIGTERM, exit 0.
    server.child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 30_000);
      server!.child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

    // ---- Report
    const errors = samples.filter((s) => !s.ok);
    const latencies = samples.map((s) => s.ms).sort((a, b) => a - b);
    const kinds = [...new Set(samples.map((s) => s.kind))].sort();
    console.log('\nrequests');
    console.log(`${'kind'.padEnd(22)}${pad('count', 8)}${pad('errors', 8)}${pad('p50 ms', 9)}${pad('p95 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}`);
    for (const kind of [...kinds, 'all']) {
      const of = kind === 'all' ? samples : samples.filter((s) => s.kind === kind);
      const ms = of.map((s) => s.ms).sort((a, b) => a - b);
      console.log(
        `${kind.padEnd(22)}${pad(of.length, 8)}${pad(of.filter((s) => !s.ok).length, 8)}${pad(fmt(percentile(ms, 50)), 9)}${pad(fmt(percentile(ms, 95)), 9)}${pad(fmt(percentile(ms, 99)), 9)}${pad(fmt(ms[ms.length - 1] ?? NaN), 9)}`,
      );
    }
    console.log('\nuploads (POST /api/ingest)');
    for (const u of uploads) console.log(`  at ${u.at.toFixed(1)} s  day ${u.day}  ${Math.round(u.ms)} ms  ${u.ok ? 'ok' : 'FAILED'}  ${u.detail}`);

    console.log('\nserver memory and load, second by second');
    // CPU %: the server's CPU time (all its threads) in that second; 100 is one core.
    console.log(`${pad('s', 5)}${pad('RSS MB', 9)}${pad('req/s', 8)}${pad('p99 ms', 9)}${pad('CPU %', 8)}`);
    for (let i = 0; i < memory.length; i++) {
      const from = i === 0 ? 0 : memory[i - 1].at;
      const inSecond = samples
        .filter((s) => s.at > from && s.at <= memory[i].at)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      const rate = inSecond.length / Math.max(0.001, memory[i].at - from);
      const before = i === 0 ? null : memory[i - 1].cpu;
      const now = memory[i].cpu;
      const cpu = before === null || now === null ? '-' : Math.round((100 * (now - before)) / Math.max(0.001, memory[i].at - from));
      console.log(
        `${pad(Math.round(memory[i].at), 5)}${pad(memory[i].rssMb.toFixed(0), 9)}${pad(i === 0 ? '-' : Math.round(rate), 8)}${pad(fmt(percentile(inSecond, 99)), 9)}${pad(cpu, 8)}`,
      );
    }
    const third = Math.floor(memory.length / 3);
    const middleMax = Math.max(...memory.slice(third, 2 * third).map((m) => m.rssMb));
    const lastMax = Math.max(...memory.slice(2 * third).map((m) => m.rssMb));
    const judged = opts.seconds >= 30 && third >= 3;
    const levelsOff = !judged || lastMax <= 1.2 * middleMax;
    const memoryVerdict = judged
      ? `${levelsOff ? 'levels off' : 'STILL GROWING'}: last third's max ${lastMax.toFixed(0)} MB vs middle third's max ${middleMax.toFixed(0)} MB (limit ×1.2)`
      : 'not judged (runs shorter than 30 s are too short to tell)';
    const failedUploads = uploads.filter((u) => !u.ok);

    console.log(`\nerrors: ${errors.length} of ${samples.length} requests`);
    // By cause: the status and the error code of the answer, or the network error.
    const causes = new Map<string, number>();
    for (const e of errors) {
      const cause =
        /→ (\d{3}) \{"error":"(\w+)"/
          .exec(e.detail ?? '')
          ?.slice(1)
          .join(' ') ??
        (e.detail ?? '').split(' → ')[1] ??
        'unknown';
      causes.set(cause, (causes.get(cause) ?? 0) + 1);
    }
    for (const [cause, n] of [...causes].sort((a, b) => b[1] - a[1])) console.log(`  ${n} × ${cause}`);
    for (const e of errors.slice(0, 5)) console.log(`  e.g. ${e.detail}`);
    console.log(
      `latency: p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms, p99 ${fmt(percentile(latencies, 99))} ms; ${Math.round(samples.length / opts.seconds)} req/s`,
    );
    console.log(`memory: ${memoryVerdict}`);
    const cpuFirst = memory.find((m) => m.cpu !== null);
    const cpuLast = memory.findLast((m) => m.cpu !== null);
    if (cpuFirst && cpuLast && cpuLast.at > cpuFirst.at && samples.length > 0) {
      const used = cpuLast.cpu! - cpuFirst.cpu!;
      const served = samples.filter((s) => s.at > cpuFirst.at && s.at <= cpuLast.at).length;
      console.log(
        `server CPU: ${Math.round((100 * used) / (cpuLast.at - cpuFirst.at))}% of one core on average (${os.cpus().length} cores), ${((1000 * used) / Math.max(1, served)).toFixed(2)} ms of CPU per request (uploads included)`,
      );
    }
    console.log(`uploads: ${uploads.length - failedUploads.length} of ${uploads.length} loaded`);
    console.log(`shutdown: server exit code ${exitCode}`);
    const pass = errors.length === 0 && failedUploads.length === 0 && levelsOff && exitCode === 0 && samples.length > 0;
    console.log(`verdict: ${pass ? 'PASS' : 'FAIL'}`);
    console.log(
      'SOAK_RESULT ' +
        JSON.stringify({
          pass,
          requests: samples.length,
          errors: errors.length,
          uploads: uploads.length,
          failedUploads: failedUploads.length,
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          memory: { judged, levelsOff, middleMaxMb: middleMax, lastMaxMb: lastMax, samples: memory.length },
          serverExitCode: exitCode,
        }),
    );
    return pass ? 0 : 1;
  } finally {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`soak failed: ${(error as Error).stack ?? error}`);
    process.exit(2);
  },
);
