// Alert events, produced in the transaction of the write that causes them (Database.beforeCommit), derived
// set-based from what the write stored, each once: an event's key (alert_events.event_key) is stored with
// it, so a refresh that recomputes the same day emits nothing twice, while a level that changes again
// (another key) emits again. Each new event gets one pending delivery per matching subscription, in the
// same transaction; the worker (worker.ts) sends them.
//
// - level.changed: a shop's level on the latest day differs from the day before.
// - restriction.lifted: a restriction episode whose end_day is the latest day.
// - forecast.crossing: for shops with such a subscription only: flagged (or restricted) now and the
//   forecast (no new interventions) falls below the threshold, or lifts the restrictions, within the
//   subscription's horizonDays; once per flagged run (or episode) and horizon. The forecast is checked
//   once per shop, horizon and latest day (alert_forecast_checks) by the worker, not in the refresh's
//   transaction (checkForecasts: it costs a few queries per shop).
// - queue.daily: once per latest day, the shops that entered or left the queue (level not none).
// - appeal.answered: from answerAppeal (governance), in its transaction.
//
// Shop payloads carry only the shop's own numbers (level, restrictions with since, rate, orders,
// interventions, days flagged in a row, the forecast's own dates): never a category mean, threshold or
// ratio, from which another shop's numbers could be solved in a small category.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, type Database } from '../db/database.js';
import type { AlertEventName } from '../contracts/alerts.js';
import type { ShopMetrics } from '../contracts/metrics.js';
import { dataRange, shopMetricsOn } from '../read/queries.js';
import { loadForecast } from '../read/forecast.js';
import { addDays } from '../read/shop-queries.js';
import { loadSchedule } from '../policy/schedule.js';
import { loadLifts } from '../policy/lifts.js';
import type { EventPayload } from './formats.js';

/** How many shops a queue digest lists by name, per direction (the counts are always complete). */
const DIGEST_LIST = 50;

interface NewEvent {
  key: string;
  event: AlertEventName;
  shopId: string | null;
  date: string;
  horizonDays?: number;
  payload: EventPayload;
}

/** Stores an event unless its key is stored already, with a pending delivery for each matching subscription. Returns whether it was new. */
export async function storeEvent(conn: DuckDBConnection, e: NewEvent): Promise<boolean> {
  const seen = await queryRows(conn, 'SELECT 1 AS one FROM alert_events WHERE event_key = $key', { key: e.key });
  if (seen.length > 0) return false;
  const [{ id }] = await queryRows<{ id: number }>(conn, "SELECT nextval('alert_seq') AS id");
  await conn.run('INSERT INTO alert_events VALUES ($id, $key, $event, $shopId, $day::DATE, $horizon, $payload::JSON, now())', {
    id,
    key: e.key,
    event: e.event,
    shopId: e.shopId,
    day: e.date,
    horizon: e.horizonDays ?? null,
    payload: JSON.stringify(e.payload),
  });
  await conn.run(
    `INSERT INTO alert_deliveries
     SELECT nextval('alert_seq'), $id, s.id, 'pending', 0, now(), NULL, NULL, NULL, NULL, now()
     FROM alert_subscriptions s
     WHERE s.deleted_at IS NULL AND list_contains(s.events, $event)
       AND ($event = 'queue.daily' OR s.shop_id = $shopId)
       AND ($horizon::INTEGER IS NULL OR s.horizon_days = $horizon::INTEGER)
     ORDER BY s.id`,
    { id, event: e.event, shopId: e.shopId, horizon: e.horizonDays ?? null },
  );
  return true;
}

/**
 * Stores events that no subscription matches (checked in this transaction) in one statement, without a
 * delivery: only their keys matter (a later subscriber is not sent what happened before it subscribed),
 * so their payload is the bare event and the per-shop numbers are read only for subscribed shops.
 */
async function storeUnwatched(conn: DuckDBConnection, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await conn.run(
    `INSERT INTO alert_events
     SELECT nextval('alert_seq'), j->>'key', j->>'event', j->>'shopId', CAST(j->>'date' AS DATE), NULL, j->'payload', now()
     FROM (SELECT unnest(CAST($events AS JSON[])) AS j)`,
    { events: JSON.stringify(events.map((e) => ({ key: e.key, event: e.event, shopId: e.shopId, date: e.date, payload: e.payload }))) },
  );
}

/** Shops with an active subscription to an event. */
async function watchedShops(conn: DuckDBConnection, event: AlertEventName): Promise<Set<string>> {
  const rows = await queryRows<{ shopId: string }>(
    conn,
    'SELECT DISTINCT shop_id AS "shopId" FROM alert_subscriptions WHERE deleted_at IS NULL AND shop_id IS NOT NULL AND list_contains(events, $event)',
    { event },
  );
  return new Set(rows.map((r) => r.shopId));
}

async function storedKeys(conn: DuckDBConnection, day: string): Promise<Set<string>> {
  const rows = await queryRows<{ k: string }>(conn, 'SELECT event_key AS k FROM alert_events WHERE day = $day::DATE', { day });
  return new Set(rows.map((r) => r.k));
}

/** The shop's own numbers on a day (no category figure), for a shop payload. */
function ownNumbers(m: ShopMetrics) {
  return {
    shopName: m.shopName,
    level: m.level,
    restrictions: m.restrictions.map((r) => (r.exemptUntil ? { code: r.code, since: r.since, exemptUntil: r.exemptUntil } : { code: r.code, since: r.since })),
    rate: m.rate,
    orders: m.orders,
    interventions: m.interventions,
    flagged: m.flagged,
    consecutiveFlaggedDays: m.consecutiveFlaggedDays,
    policyVersion: m.policyVersion,
  };
}

const metricsOn = (conn: DuckDBConnection, shopId: string, day: string): Promise<ShopMetrics | null> => shopMetricsOn(conn, shopId, day);

/** Derives and stores the events of the latest day (see the file's head). Runs before every commit. */
export async function produceEvents(conn: DuckDBConnection): Promise<void> {
  const range = await dataRange(conn);
  if (!range || range.last <= range.first) return;
  const day = range.last;
  const before = addDays(day, -1);
  const keys = await storedKeys(conn, day);

  // level.changed
  const changes = await queryRows<{ shopId: string; from: string; to: string }>(
    conn,
    // queue_day holds every shop-day at a level other than none: a shop in neither day's rows is at none on both.
    `SELECT shop_id AS "shopId", coalesce(y.level, 'none') AS "from", coalesce(t.level, 'none') AS "to"
     FROM (SELECT shop_id, level FROM queue_day WHERE day = $day::DATE) t
     FULL JOIN (SELECT shop_id, level FROM queue_day WHERE day = $before::DATE) y USING (shop_id)
     WHERE coalesce(t.level, 'none') <> coalesce(y.level, 'none') ORDER BY shop_id`,
    { day, before },
  );
  const watchingLevels = await watchedShops(conn, 'level.changed');
  const unwatched: NewEvent[] = [];
  for (const c of changes) {
    const key = `level.changed|${c.shopId}|${day}|${c.from}>${c.to}`;
    if (keys.has(key)) continue;
    if (!watchingLevels.has(c.shopId)) {
      unwatched.push({
        key,
        event: 'level.changed',
        shopId: c.shopId,
        date: day,
        payload: { event: 'level.changed', shopId: c.shopId, date: day, from: c.from, level: c.to },
      });
      continue;
    }
    const m = await metricsOn(conn, c.shopId, day);
    if (!m) continue;
    await storeEvent(conn, {
      key,
      event: 'level.changed',
      shopId: c.shopId,
      date: day,
      payload: { event: 'level.changed', shopId: c.shopId, date: day, from: c.from, ...ownNumbers(m) },
    });
  }

  // restriction.lifted: every level row of an episode ends on the same day.
  const lifted = await queryRows<{ shopId: string; level: string; codes: string[]; start: string }>(
    conn,
    `SELECT shop_id AS "shopId", level, codes, strftime(start_day, '%Y-%m-%d') AS start
     FROM restriction_episodes WHERE end_day = $day::DATE ORDER BY shop_id, start_day`,
    { day },
  );
  const byShop = new Map<string, typeof lifted>();
  for (const row of lifted) byShop.set(row.shopId, [...(byShop.get(row.shopId) ?? []), row]);
  const watchingLifts = await watchedShops(conn, 'restriction.lifted');
  for (const [shopId, rows] of byShop) {
    const episodeStart = rows[0].start;
    const key = `restriction.lifted|${shopId}|${episodeStart}|${day}`;
    if (keys.has(key)) continue;
    const restrictions: { code: string; since: string }[] = [];
    for (const r of rows) for (const code of r.codes) if (!restrictions.some((x) => x.code === code)) restrictions.push({ code, since: r.start });
    if (!watchingLifts.has(shopId)) {
      unwatched.push({
        key,
        event: 'restriction.lifted',
        shopId,
        date: day,
        payload: { event: 'restriction.lifted', shopId, date: day, liftedOn: day, episodeStart, restrictions },
      });
      continue;
    }
    const m = await metricsOn(conn, shopId, day);
    if (!m) continue;
    await storeEvent(conn, {
      key,
      event: 'restriction.lifted',
      shopId,
      date: day,
      payload: { event: 'restriction.lifted', shopId, date: day, ...ownNumbers(m), liftedOn: day, episodeStart, restrictions },
    });
  }

  await storeUnwatched(conn, unwatched);

  // queue.daily
  const digestKey = `queue.daily|${day}`;
  if (!keys.has(digestKey)) {
    const moves = await queryRows<{ shopId: string; shopName: string | null; level: string; from: string; rate: number | null; ratio: number | null }>(
      conn,
      // The shops that entered or left the queue (from queue_day), with their numbers of the day.
      `WITH moved AS (
         SELECT shop_id, coalesce(y.level, 'none') AS from_level
         FROM (SELECT shop_id FROM queue_day WHERE day = $day::DATE) t
         FULL JOIN (SELECT shop_id, level FROM queue_day WHERE day = $before::DATE) y USING (shop_id)
         WHERE t.shop_id IS NULL OR y.shop_id IS NULL)
       SELECT t.shop_id AS "shopId", s.shop_name AS "shopName", t.level, m.from_level AS "from", t.rate, t.ratio
       FROM shop_days_on($day::DATE) t JOIN moved m ON m.shop_id = t.shop_id LEFT JOIN shops s ON s.shop_id = t.shop_id
       ORDER BY t.ratio DESC NULLS LAST, t.shop_id`,
      { day, before },
    );
    const [{ total }] = await queryRows<{ total: number }>(conn, 'SELECT count(*) AS total FROM queue_day WHERE day = $day::DATE', { day });
    const entered = moves.filter((m) => m.level !== 'none');
    const left = moves.filter((m) => m.level === 'none');
    await storeEvent(conn, {
      key: digestKey,
      event: 'queue.daily',
      shopId: null,
      date: day,
      payload: {
        event: 'queue.daily',
        shopId: null,
        date: day,
        total,
        enteredCount: entered.length,
        leftCount: left.length,
        entered: entered.slice(0, DIGEST_LIST).map((m) => ({ shopId: m.shopId, shopName: m.shopName, level: m.level, rate: m.rate, ratio: m.ratio })),
        left: left.slice(0, DIGEST_LIST).map((m) => ({ shopId: m.shopId, shopName: m.shopName, from: m.from })),
      },
    });
  }
}

/** The forecast crossings to check: shops flagged or restricted on the latest day with a subscription, not checked that day. */
async function forecastsToCheck(conn: DuckDBConnection, day: string): Promise<{ shopId: string; horizon: number }[]> {
  return queryRows<{ shopId: string; horizon: number }>(
    conn,
    `SELECT DISTINCT s.shop_id AS "shopId", s.horizon_days AS horizon
     FROM alert_subscriptions s JOIN queue_day d ON d.shop_id = s.shop_id AND d.day = $day::DATE
     WHERE s.deleted_at IS NULL AND s.shop_id IS NOT NULL AND list_contains(s.events, 'forecast.crossing') AND (d.flagged OR d.level IN ('restricted', 'severe'))
       AND NOT EXISTS (SELECT 1 FROM alert_forecast_checks c WHERE c.shop_id = s.shop_id AND c.horizon_days = s.horizon_days AND c.day = $day::DATE)
     ORDER BY 1, 2`,
    { day },
  );
}

/**
 * forecast.crossing, for the shops and horizons someone subscribed to, once per shop, horizon and latest
 * day. A forecast costs a few queries per shop, so this is not part of the refresh's transaction: the
 * worker runs it before each pass, computing in a snapshot (no writer held) and then storing the checks
 * and the events in one short write. A restart in between only means the check runs again (the keys
 * keep an event from being stored twice). Returns the number of new events.
 */
export async function checkForecasts(db: Database): Promise<number> {
  const plan = await db.read(async (conn) => {
    const range = await dataRange(conn);
    if (!range) return null;
    const day = range.last;
    const wanted = await forecastsToCheck(conn, day);
    if (wanted.length === 0) return null;
    const schedule = await loadSchedule(conn);
    const lifts = await loadLifts(conn);
    const forecasts = new Map<string, Awaited<ReturnType<typeof loadForecast>>>();
    const events: NewEvent[] = [];
    for (const w of wanted) {
      if (!forecasts.has(w.shopId)) forecasts.set(w.shopId, await loadForecast(conn, schedule, range.first, w.shopId, day, lifts.get(w.shopId) ?? []));
      const forecast = forecasts.get(w.shopId);
      const m = forecast && (await metricsOn(conn, w.shopId, day));
      if (!forecast || !m) continue;
      const until = addDays(day, w.horizon);
      const crossings: { crossing: 'below_threshold' | 'lift'; since: string }[] = [];
      if (m.flagged && forecast.belowThresholdOn && forecast.belowThresholdOn <= until)
        crossings.push({ crossing: 'below_threshold', since: addDays(day, -(m.consecutiveFlaggedDays - 1)) });
      const episodeStart = m.restrictions.map((r) => r.since).sort()[0];
      if (episodeStart && forecast.liftOn && forecast.liftOn <= until) crossings.push({ crossing: 'lift', since: episodeStart });
      for (const c of crossings) {
        events.push({
          key: `forecast.crossing|${w.shopId}|h${w.horizon}|${c.crossing}|${c.since}`,
          event: 'forecast.crossing',
          shopId: w.shopId,
          date: day,
          horizonDays: w.horizon,
          payload: {
            event: 'forecast.crossing',
            shopId: w.shopId,
            date: day,
            crossing: c.crossing,
            horizonDays: w.horizon,
            belowThresholdOn: forecast.belowThresholdOn,
            liftOn: forecast.liftOn,
            ...ownNumbers(m),
          },
        });
      }
    }
    return { day, wanted, events };
  });
  if (!plan) return 0;
  return db.write(async (conn) => {
    await conn.run(
      `INSERT INTO alert_forecast_checks
       SELECT j->>'shopId', CAST(j->>'horizon' AS INTEGER), $day::DATE FROM (SELECT unnest(CAST($wanted AS JSON[])) AS j) w
       WHERE NOT EXISTS (SELECT 1 FROM alert_forecast_checks c WHERE c.shop_id = j->>'shopId' AND c.horizon_days = CAST(j->>'horizon' AS INTEGER) AND c.day = $day::DATE)`,
      { wanted: JSON.stringify(plan.wanted), day: plan.day },
    );
    let stored = 0;
    for (const e of plan.events) if (await storeEvent(conn, e)) stored++;
    return stored;
  });
}

/** appeal.answered, in the transaction of the answer (server/governance/decisions.ts). */
export async function recordAppealAnswered(
  conn: DuckDBConnection,
  appeal: { id: number; shopId: string; state: string; episodeStart: string; answerReason: string | null; answeredBy: string | null },
  liftsEpisode: boolean,
): Promise<void> {
  const range = await dataRange(conn);
  const date = range?.last ?? new Date().toISOString().slice(0, 10);
  await storeEvent(conn, {
    key: `appeal.answered|${appeal.id}`,
    event: 'appeal.answered',
    shopId: appeal.shopId,
    date,
    payload: {
      event: 'appeal.answered',
      shopId: appeal.shopId,
      date,
      appealId: appeal.id,
      decision: appeal.state,
      reason: appeal.answerReason,
      answeredBy: appeal.answeredBy,
      episodeStart: appeal.episodeStart,
      liftsEpisode,
    },
  });
}

/**
 * What the derived events depend on, cheaply: the data range with the time of its last refresh, and the
 * active subscriptions. A write that changes neither (a note, an appeal filed, the worker's own
 * bookkeeping) cannot cause a new event, so the derivation is skipped. Null: do not skip.
 */
async function fingerprint(conn: DuckDBConnection): Promise<string | null> {
  const [row] = await queryRows<{ range: string | null; refreshed: string | null; subs: string }>(
    conn,
    `SELECT (SELECT concat_ws('|', first_day, last_day, policy_version) FROM data_range LIMIT 1) AS range,
            (SELECT CAST(refreshed_at AS VARCHAR) FROM data_range LIMIT 1) AS refreshed,
            (SELECT concat_ws('|', count(*), max(id), sum(id)) FROM alert_subscriptions WHERE deleted_at IS NULL) AS subs`,
  );
  return row && row.refreshed ? `${row.range}#${row.refreshed}#${row.subs}` : null;
}

const installed = new WeakSet<Database>();

/**
 * Registers the event producer on a database (once): every write then stores the events it causes, in
 * its own transaction. The fingerprint of the state last derived from counts only once committed.
 */
export function installAlerts(db: Database): void {
  if (installed.has(db)) return;
  installed.add(db);
  let derived: string | null = null;
  let pending: string | null = null;
  db.beforeCommit(async (conn) => {
    const now = await fingerprint(conn);
    pending = now;
    if (now !== null && now === derived) return;
    await produceEvents(conn);
  });
  db.onCommit(() => {
    derived = pending;
  });
}
