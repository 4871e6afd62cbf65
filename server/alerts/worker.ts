// The delivery worker: sends the pending deliveries whose time has come, one request each, with a
// per-request timeout; a failure is retried with exponential backoff (5 s, 30 s, 2 min, 10 min, 30 min,
// then hourly) until MAX_ATTEMPTS, then the delivery is `failed`. Every attempt is recorded (status,
// attempts, last HTTP status, last error) in the delivery log the subscriber reads.
//
// Nothing is lost or repeated across a restart: deliveries are stored with the write that caused them,
// a delivery is marked delivered right after its receiver said 2xx, and every attempt carries the same
// X-Delivery-Id, so the one window left (killed between the receiver's 2xx and that mark) shows the
// receiver a delivery id it has seen, which it drops.
//
// Never blocks a request: it runs on a timer (and after each commit), one pass at a time, reads in a
// snapshot and writes each result in a short transaction of its own. Each pass first checks the forecast
// crossings of the latest day (events.ts checkForecasts), outside the refresh's transaction. `deliverDue(now)` runs one pass,
// for tests and tools.
import http from 'node:http';
import https from 'node:https';
import { queryRows, type Database } from '../db/database.js';
import type { AlertFormat } from '../contracts/alerts.js';
import { parseAllowHosts, guardedLookup, literalRefusal } from './hosts.js';
import { buildRequest, robotError, type EventPayload } from './formats.js';
import { checkForecasts } from './events.js';

export const BACKOFF_SECONDS = [5, 30, 120, 600, 1800, 3600];
export const MAX_ATTEMPTS = 8;

export interface WorkerOptions {
  /** Hosts allowed on private addresses; default WEBHOOK_ALLOW_HOSTS, read at each pass. */
  allowHosts?: () => readonly string[];
  /** Per-request timeout (default WEBHOOK_TIMEOUT_MS, 10 s). */
  timeoutMs?: number;
  /** How often the timer looks for due deliveries (default 1 s). */
  intervalMs?: number;
  /** Deliveries per pass (default 50). */
  batchSize?: number;
  onError?: (error: unknown) => void;
}

export interface PassResult {
  delivered: number;
  retrying: number;
  failed: number;
}

interface Due {
  id: number;
  attempts: number;
  subscriptionId: number;
  url: string;
  format: AlertFormat;
  secret: string | null;
  payload: string;
}

/** The backoff after a failed attempt number n (1-based). */
export function backoffSeconds(attempt: number): number {
  return BACKOFF_SECONDS[Math.min(attempt - 1, BACKOFF_SECONDS.length - 1)];
}

const MAX_RESPONSE = 64 * 1024;

/** POSTs a body; resolves with the status and (the start of) the answer, rejects on a network error or the timeout. */
function post(
  target: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  allow: readonly string[],
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const refused = literalRefusal(url, allow);
    if (refused) return reject(new Error(refused));
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(allow),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          clearTimeout(overall);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE) });
        });
        res.on('error', (error) => {
          clearTimeout(overall);
          reject(error);
        });
      },
    );
    const overall = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => {
      clearTimeout(overall);
      reject(error);
    });
    req.end(body);
  });
}

export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PassResult> | null = null;
  private again = false;
  private stopped = false;
  private readonly allowHosts: () => readonly string[];
  private readonly timeoutMs: number;

  constructor(
    private readonly db: Database,
    private readonly options: WorkerOptions = {},
  ) {
    this.allowHosts = options.allowHosts ?? (() => parseAllowHosts(process.env.WEBHOOK_ALLOW_HOSTS));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Starts the timer, and a pass after every commit (new events are sent at once). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
    this.db.onCommit(() => {
      if (this.timer) setImmediate(() => this.kick());
    });
    this.kick();
  }

  /** Stops the timer and waits for the pass in flight (before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.deliverDue().then(
      () => {
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      },
      (error) => this.options.onError?.(error),
    );
  }

  /** One pass: sends every delivery due at `now` (one pass at a time; a second call waits for the first). */
  async deliverDue(now: Date = new Date()): Promise<PassResult> {
    while (this.running) await this.running.catch(() => undefined);
    const pass = this.pass(now);
    this.running = pass;
    try {
      return await pass;
    } finally {
      this.running = null;
    }
  }

  private async pass(now: Date): Promise<PassResult> {
    const result: PassResult = { delivered: 0, retrying: 0, failed: 0 };
    // The forecast crossings of the latest day first (they may add deliveries to this pass).
    try {
      await checkForecasts(this.db);
    } catch (error) {
      this.options.onError?.(error);
    }
    const due = await this.db.read((conn) =>
      queryRows<Due>(
        conn,
        `SELECT d.id, d.attempts, d.subscription_id AS "subscriptionId", s.url, s.format, s.secret, e.payload::VARCHAR AS payload
         FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id JOIN alert_events e ON e.id = d.event_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= greatest($now::TIMESTAMPTZ, now()) AND s.deleted_at IS NULL
         ORDER BY d.next_attempt_at, d.id LIMIT $limit`,
        { now: now.toISOString(), limit: this.options.batchSize ?? 50 },
      ),
    );
    const allow = this.allowHosts();
    for (const d of due) {
      if (this.stopped) break;
      const attempt = d.attempts + 1;
      let status: number | null = null;
      let error: string | null = null;
      try {
        const request = buildRequest({ format: d.format, url: d.url, secret: d.secret }, d.id, JSON.parse(d.payload) as EventPayload, new Date());
        const answer = await post(request.url, request.headers, request.body, this.timeoutMs, allow);
        status = answer.status;
        if (status < 200 || status > 299) error = `HTTP ${status}${answer.text ? `: ${answer.text.slice(0, 200)}` : ''}`;
        else error = robotError(d.format, answer.text);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const at = new Date();
      if (error === null) {
        result.delivered++;
        await this.db.write((conn) =>
          conn.run(
            "UPDATE alert_deliveries SET status = 'delivered', attempts = $attempt, last_attempt_at = $at::TIMESTAMPTZ, last_status = $status, last_error = NULL, delivered_at = $at::TIMESTAMPTZ WHERE id = $id",
            { id: d.id, attempt, at: at.toISOString(), status },
          ),
        );
      } else {
        const give = attempt >= MAX_ATTEMPTS;
        if (give) result.failed++;
        else result.retrying++;
        const next = new Date(now.getTime() + backoffSeconds(attempt) * 1000);
        await this.db.write((conn) =>
          conn.run(
            `UPDATE alert_deliveries SET status = $state, attempts = $attempt, last_attempt_at = $at::TIMESTAMPTZ, last_status = $status,
               last_error = $error, next_attempt_at = $next::TIMESTAMPTZ WHERE id = $id`,
            { id: d.id, state: give ? 'failed' : 'pending', attempt, at: at.toISOString(), status, error: error.slice(0, 1000), next: next.toISOString() },
          ),
        );
      }
    }
    return result;
  }
}
