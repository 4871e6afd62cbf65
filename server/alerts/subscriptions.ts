// Webhook subscriptions: who may subscribe to what, and what each person sees of them.
//
// - A seller subscribes only for the shops of their token (403 otherwise), never to queue.daily (403).
// - A reviewer or admin subscribes to the queue (queue.daily) and to any shop.
// - The events about a shop need its shopId (400 naming shopId).
// - A seller sees (and deletes) the subscriptions of their shops; a reviewer or admin sees and deletes
//   every one (platform staff remove a webhook that misbehaves). A deleted subscription's delivery log
//   stays readable; deleting it again changes nothing. Every answer masks the URL's secrets and never
//   shows the secret, except a json secret the server made, once, in the answer that made it.
// - Every subscription names the person who made it (the token's subject), and who deleted it.
import crypto from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import type { Principal } from '../auth/tokens.js';
import { SHOP_EVENTS, type Delivery, type Subscription, type SubscriptionBody } from '../contracts/alerts.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { shopExists } from '../read/queries.js';

export const DEFAULT_HORIZON_DAYS = 7;

/** The URL as answers show it: query values and long path segments (robot tokens) masked. */
export function maskUrl(text: string): string {
  try {
    const url = new URL(text);
    const path = url.pathname
      .split('/')
      .map((seg) => (seg.length >= 16 ? `${seg.slice(0, 4)}****` : seg))
      .join('/');
    const query = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=****`).join('&');
    return `${url.protocol}//${url.host}${path}${query ? `?${query}` : ''}`;
  } catch {
    return '****';
  }
}

interface SubscriptionRow {
  id: number;
  shopId: string | null;
  url: string;
  format: Subscription['format'];
  events: Subscription['events'];
  horizonDays: number;
  hasSecret: boolean;
  createdBy: string;
  createdAt: string;
  active: boolean;
}

const COLUMNS = `id, shop_id AS "shopId", url, format, events, horizon_days AS "horizonDays", secret IS NOT NULL AS "hasSecret",
  created_by AS "createdBy", strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS "createdAt", deleted_at IS NULL AS active`;

const toSubscription = (row: SubscriptionRow): Subscription => ({ ...row, url: maskUrl(row.url) });

const isReviewer = (who: Principal) => who.role === 'reviewer' || who.role === 'admin';

/** Checks who may make this subscription; throws 400/403/404 naming the field. */
export async function checkSubscription(conn: DuckDBConnection, who: Principal, body: SubscriptionBody): Promise<void> {
  if (body.events.includes('queue.daily') && !isReviewer(who))
    throw forbidden('events: queue.daily is the reviewers’ digest of the queue; a seller subscribes to their own shops');
  const shopEvents = body.events.filter((e) => SHOP_EVENTS.includes(e));
  if (shopEvents.length > 0 && body.shopId === undefined) throw badRequest(`shopId: required for the events ${shopEvents.join(', ')}`);
  if (body.shopId !== undefined) {
    if (who.role === 'seller' && !who.shops.includes(body.shopId)) throw forbidden(`this token may not subscribe for shop ${body.shopId}`);
    if (!(await shopExists(conn, body.shopId))) throw notFound(`shop ${body.shopId} is not known`);
  }
  if (body.format === 'wecom' && body.secret !== undefined)
    throw badRequest('secret: WeCom robots have no signing (their key is in the URL); leave secret out');
  if (body.horizonDays !== undefined && !body.events.includes('forecast.crossing')) throw badRequest('horizonDays: only for the event forecast.crossing');
}

export async function createSubscription(conn: DuckDBConnection, who: Principal, body: SubscriptionBody): Promise<Subscription> {
  await checkSubscription(conn, who, body);
  // A json delivery is always signed: without a secret given, one is made and shown once.
  const made = body.format === 'json' && body.secret === undefined ? crypto.randomBytes(24).toString('hex') : undefined;
  const [{ id }] = await queryRows<{ id: number }>(conn, "SELECT nextval('alert_seq') AS id");
  await conn.run(
    'INSERT INTO alert_subscriptions VALUES ($id, $shopId, $url, $format, $events::VARCHAR[], $secret, $horizon, $actor, $role, now(), NULL, NULL)',
    {
      id,
      shopId: body.shopId ?? null,
      url: body.url,
      format: body.format,
      events: JSON.stringify(body.events),
      secret: made ?? body.secret ?? null,
      horizon: body.horizonDays ?? DEFAULT_HORIZON_DAYS,
      actor: who.subject,
      role: who.role,
    },
  );
  const row = (await queryOne<SubscriptionRow>(conn, `SELECT ${COLUMNS} FROM alert_subscriptions WHERE id = $id`, { id }))!;
  return made ? { ...toSubscription(row), secret: made } : toSubscription(row);
}

/** Sellers: the active subscriptions of their shops; reviewers and admins: every active one. */
export async function listSubscriptions(conn: DuckDBConnection, who: Principal): Promise<Subscription[]> {
  const rows = await queryRows<SubscriptionRow>(
    conn,
    `SELECT ${COLUMNS} FROM alert_subscriptions
     WHERE deleted_at IS NULL AND ($shops::VARCHAR[] IS NULL OR list_contains($shops::VARCHAR[], shop_id)) ORDER BY id`,
    { shops: isReviewer(who) ? null : JSON.stringify(who.shops) },
  );
  return rows.map(toSubscription);
}

/** The subscription if this person may see it: 403 for a seller whatever the id (no probing), 404 for a reviewer when unknown. */
async function visible(conn: DuckDBConnection, who: Principal, id: number): Promise<SubscriptionRow> {
  const row = await queryOne<SubscriptionRow>(conn, `SELECT ${COLUMNS} FROM alert_subscriptions WHERE id = $id`, { id });
  if (!isReviewer(who)) {
    if (!row || row.shopId === null || !who.shops.includes(row.shopId)) throw forbidden(`subscription ${id} is not one of your shops’`);
    return row;
  }
  if (!row) throw notFound(`subscription ${id} is not known`);
  return row;
}

/** Deletes (deactivates) a subscription and cancels its pending deliveries; `changed` is false when it was deleted already. */
export async function deleteSubscription(conn: DuckDBConnection, who: Principal, id: number): Promise<{ subscription: Subscription; changed: boolean }> {
  const row = await visible(conn, who, id);
  if (!row.active) return { subscription: toSubscription(row), changed: false };
  await conn.run('UPDATE alert_subscriptions SET deleted_at = now(), deleted_by = $actor WHERE id = $id', { id, actor: who.subject });
  await conn.run(
    "UPDATE alert_deliveries SET status = 'cancelled', last_error = 'the subscription was deleted' WHERE subscription_id = $id AND status = 'pending'",
    {
      id,
    },
  );
  return { subscription: { ...toSubscription(row), active: false }, changed: true };
}

/** The delivery log of a subscription, newest first (at most 200). */
export async function listDeliveries(conn: DuckDBConnection, who: Principal, id: number): Promise<{ subscriptionId: number; items: Delivery[] }> {
  await visible(conn, who, id);
  const ts = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
  const rows = await queryRows<Omit<Delivery, 'payload'> & { payload: string }>(
    conn,
    `SELECT d.id, d.event_id AS "eventId", e.event, e.shop_id AS "shopId", strftime(e.day, '%Y-%m-%d') AS date, d.status, d.attempts,
       CASE WHEN d.status = 'pending' THEN ${ts('d.next_attempt_at')} END AS "nextAttemptAt", ${ts('d.last_attempt_at')} AS "lastAttemptAt",
       d.last_status AS "lastStatus", d.last_error AS "lastError", ${ts('d.delivered_at')} AS "deliveredAt", ${ts('d.created_at')} AS "createdAt",
       e.payload::VARCHAR AS payload
     FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
     WHERE d.subscription_id = $id ORDER BY d.id DESC LIMIT 200`,
    { id },
  );
  return { subscriptionId: id, items: rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> })) };
}
