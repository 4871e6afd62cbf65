// The API part: the real server (npm start's entry) in a child process of its own, its memory read
// from /proc, and the load generated here with autocannon over loopback keep-alive connections.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import path from 'node:path';
import { log } from './report.js';

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// autocannon has no types of its own; the part of its API used here.
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  amount: number;
  timeout?: number;
  sampleInt?: number;
  headers?: Record<string, string>;
  requests: AutocannonRequest[];
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  requests: { total: number; average: number };
}
type Autocannon = (opts: AutocannonOptions, cb: (err: Error | null, result: AutocannonResult) => void) => EventEmitter;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  output: () => string;
}

/**
 * Starts server/main.ts with node directly (not through npx), so that the child's pid is the server
 * whose memory is read. DEMO=off: the bench database is already loaded.
 */
export async function startServer(root: string, dbPath: string, secret: string, logLevel: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('server', 'main.ts')], {
    cwd: root,
    env: { ...process.env, DB_PATH: dbPath, PORT: '0', AUTH_SECRET: secret, DEMO: 'off', LOG_LEVEL: logLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const found = /serving http:\/\/localhost:(\d+)/.exec(output)?.[1];
    if (found) return { child, pid: child.pid!, port: Number(found), output: () => output };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${output}`);
}

/**
 * A reference for what this machine allows: Node's bare http server answering '{}' (no framework,
 * no auth, no database), in a child process like the real one, loaded by the same client.
 */
export async function startBareServer(): Promise<Server> {
  const script = `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{}'); })
    .listen(0, '${HOST}', function () { console.log('serving http://localhost:' + this.address().port); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const found = /serving http:\/\/localhost:(\d+)/.exec(output)?.[1];
    if (found) return { child, pid: child.pid!, port: Number(found), output: () => output };
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`the bare server did not start:\n${output}`);
}

export async function stopServer(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.child.kill('SIGKILL');
      resolve(null);
    }, 30_000);
    server.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** VmRSS and VmHWM (peak resident set) of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Samples a process's memory every few hundred ms until stopped; keeps the maxima. */
export class MemorySampler {
  maxRss = 0;
  maxHwm = 0;
  samples = 0;
  /** The largest RSS seen in each phase (see phase()). */
  readonly byPhase: Record<string, number> = {};
  private current = 'start';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(everyMs = 200): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    return this;
  }

  sample(): void {
    const m = memoryOf(this.pid);
    if (!m) return;
    this.samples++;
    if (m.rss > this.maxRss) this.maxRss = m.rss;
    if (m.rss > (this.byPhase[this.current] ?? 0)) this.byPhase[this.current] = m.rss;
    if (m.hwm > this.maxHwm) this.maxHwm = m.hwm;
  }

  /** Samples, then counts what follows under `name`. */
  phase(name: string): void {
    this.sample();
    this.current = name;
    this.sample();
  }

  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export interface LoadResult {
  endpoint: string;
  connections: number;
  seconds: number;
  requests: number;
  ok: number;
  /** Responses that were not 2xx, plus errors and timeouts. */
  failed: number;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** A path per request (e.g. a random shop each time). */
  path: () => string;
  body?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Batch {
  latencies: number[];
  ok: number;
  failed: number;
  firstFailure: string | null;
  seconds: number;
}

/**
 * A fixed number of requests over `connections` keep-alive connections, every latency recorded
 * exactly (autocannon's own histogram has no p95). A fixed count rather than a fixed duration: at
 * the end of a timed run autocannon drops the requests in flight, and the server counts each
 * dropped request as a failed authentication (express-rate-limit decrements only on 'finish'),
 * which after 60 of them turns every request from this address into a 429 for a minute.
 */
function batch(port: number, token: string, endpoint: Endpoint, connections: number, amount: number, timeoutSeconds: number): Promise<Batch> {
  const out: Batch = { latencies: [], ok: 0, failed: 0, firstFailure: null, seconds: 0 };
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (endpoint.body) headers['content-type'] = 'application/json';
  const started = performance.now();
  let lastResponse = started;
  return new Promise<Batch>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${HOST}:${port}`,
        connections,
        amount: Math.max(amount, connections),
        timeout: timeoutSeconds,
        // autocannon notices the end on its sampling tick; the bench times the batch itself.
        sampleInt: 100,
        headers,
        requests: [
          {
            method: endpoint.method,
            path: endpoint.path(),
            ...(endpoint.body ? { body: endpoint.body } : {}),
            setupRequest: (req) => ({ ...req, path: endpoint.path() }),
          },
        ],
      },
      (err, res) => {
        if (err) return reject(err);
        // From the start to the last response: not to autocannon's next tick.
        out.seconds = (lastResponse - started) / 1000;
        out.failed += res.errors + res.timeouts;
        if (res.errors + res.timeouts > 0) out.firstFailure ??= `${res.errors} errors, ${res.timeouts} timeouts`;
        resolve(out);
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      lastResponse = performance.now();
      out.latencies.push(responseTime);
      if (statusCode >= 200 && statusCode < 300) out.ok++;
      else {
        out.failed++;
        out.firstFailure ??= `HTTP ${statusCode}`;
      }
    });
  });
}

/**
 * One measurement of about `seconds`: a short calibration batch (which also warms up) gives the
 * rate at this concurrency, then the measured batch is that rate × seconds requests. A slow
 * endpoint (`slowMs`: the time of one request alone) skips the calibration: a few requests per
 * connection, as many as fit in `seconds` with the machine's cores busy.
 */
export async function load(
  port: number,
  token: string,
  endpoint: Endpoint,
  connections: number,
  seconds: number,
  opts: { slowMs?: number; timeoutSeconds?: number } = {},
): Promise<LoadResult> {
  const timeout = opts.timeoutSeconds ?? 300;
  let calibration: Batch | null = null;
  let amount: number;
  if (opts.slowMs) {
    const parallel = Math.min(connections, os.cpus().length);
    amount = Math.max(connections, 3, Math.round((seconds * 1000 * parallel) / opts.slowMs));
  } else {
    calibration = await batch(port, token, endpoint, connections, Math.max(20, connections * 5), timeout);
    const rate = calibration.ok / Math.max(0.001, calibration.seconds);
    amount = Math.min(1_000_000, Math.max(connections * 10, Math.round(rate * seconds)));
  }
  const run = await batch(port, token, endpoint, connections, amount, timeout);
  const sorted = Float64Array.from(run.latencies).sort();
  const failed = run.failed + (calibration?.failed ?? 0);
  if (failed > 0) log(`${endpoint.name} at ${connections}: ${failed} failed (${run.firstFailure ?? calibration?.firstFailure})`);
  return {
    endpoint: endpoint.name,
    connections,
    seconds: run.seconds,
    requests: run.latencies.length,
    ok: run.ok,
    failed,
    reqPerSec: run.ok / Math.max(0.001, run.seconds),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/** One request, timed, for a first look (and to fail early with the server's message). */
export async function probe(port: number, token: string, endpoint: Endpoint): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const res = await fetch(`http://${HOST}:${port}${endpoint.path()}`, {
    method: endpoint.method,
    headers: { authorization: `Bearer ${token}`, ...(endpoint.body ? { 'content-type': 'application/json' } : {}) },
    body: endpoint.body,
  });
  const body = await res.text();
  return { status: res.status, ms: performance.now() - started, body };
}
