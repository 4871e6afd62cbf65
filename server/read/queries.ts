// Read-side queries: each reads stored rows (category_day, queue_day, restriction_episodes) and the shop-days
// derived from them (shop_day, shop_days, shop_days_on: server/db/views.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryPrepared, queryRows } from '../db/database.js';
import type { FlaggedQuery, ShopMetrics } from '../contracts/metrics.js';

export interface DataRangeRow {
  first: string;
  last: string;
  windowDays: number;
  policyVersion: string;
}

export async function dataRange(conn: DuckDBConnection): Promise<DataRangeRow | null> {
  const row = await queryOne<DataRangeRow>(
    conn,
    `SELECT strftime(first_day, '%Y-%m-%d') AS first, strftime(last_day, '%Y-%m-%d') AS last,
            window_days AS "windowDays", policy_version AS "policyVersion" FROM data_range LIMIT 1`,
  );
  return row ?? null;
}

export async function shopExists(conn: DuckDBConnection, shopId: string): Promise<boolean> {
  return (await queryOne(conn, 'SELECT 1 AS one FROM shops WHERE shop_id = $shopId', { shopId })) !== undefined;
}

const SHOP_DAY_COLUMNS = `
  d.shop_id AS "shopId", s.shop_name AS "shopName", d.category_id AS "categoryId",
  strftime(d.day, '%Y-%m-%d') AS date,
  strftime(d.day - ($windowDays::INTEGER - 1), '%Y-%m-%d') AS "windowFrom",
  d.orders, d.interventions, d.complaints, d.rate, d.category_mean AS "categoryMean", d.ratio,
  d.judged, d.flagged, d.level, d.consecutive_flagged AS "consecutiveFlaggedDays"`;

type ShopDayRow = Omit<ShopMetrics, 'window' | 'restrictions' | 'policyVersion'> & { windowFrom: string };

/**
 * Whether an exemption (decisions x) covers an episode row in force ($E, with its episode's start day
 * as $E.episode_start) on $DAY: in its dates, made on that episode, and not an escalation beyond the
 * level the reviewer saw. Decisions from before episodes were recorded (NULLs) cover any.
 */
const EXEMPTION_APPLIES = `x.action = 'exempt' AND x.effective_day <= $DAY AND x.until_day >= $DAY
  AND (x.episode_start IS NULL OR x.episode_start = $E.episode_start)
  AND (x.episode_level IS NULL OR x.episode_level = 'severe' OR $E.level = 'restricted')`;

/** Restrictions in force on a date, per shop: every code of every episode level reached and not lifted. */
async function restrictionsOn(conn: DuckDBConnection, shopIds: string[], date: string): Promise<Map<string, ShopMetrics['restrictions']>> {
  const result = new Map<string, ShopMetrics['restrictions']>();
  if (shopIds.length === 0) return result;
  // Prepared once per connection (the text never changes): the queue calls it on every page.
  const rows = await queryPrepared<{
    shopId: string;
    code: ShopMetrics['restrictions'][number]['code'];
    since: string;
    exemptUntil: string | null;
    policyVersion: string;
  }>(
    conn,
    `WITH in_force AS (
       SELECT e.*, min(e.start_day) OVER (PARTITION BY e.shop_id) AS episode_start
       FROM restriction_episodes e
       WHERE list_contains($shops::VARCHAR[], e.shop_id) AND e.start_day <= $date::DATE AND (e.end_day IS NULL OR e.end_day > $date::DATE))
     SELECT i.shop_id AS "shopId", unnest(i.codes) AS code, strftime(i.start_day, '%Y-%m-%d') AS since,
       strftime((SELECT max(x.until_day) FROM decisions x
                 WHERE x.shop_id = i.shop_id AND ${EXEMPTION_APPLIES.replaceAll('$E.', 'i.').replaceAll('$DAY', '$date::DATE')}), '%Y-%m-%d') AS "exemptUntil",
       i.policy_version AS "policyVersion"
     FROM in_force i
     ORDER BY i.shop_id, i.start_day`,
    { shops: JSON.stringify(shopIds), date },
  );
  for (const row of rows) {
    const list = result.get(row.shopId) ?? [];
    list.push(
      row.exemptUntil
        ? { code: row.code, since: row.since, exemptUntil: row.exemptUntil, policyVersion: row.policyVersion }
        : { code: row.code, since: row.since, policyVersion: row.policyVersion },
    );
    result.set(row.shopId, list);
  }
  return result;
}

/** The policy version in force on a date (versions apply from their effective day on). */
export async function versionOn(conn: DuckDBConnection, range: DataRangeRow, date: string): Promise<string> {
  const row = await queryOne<{ version: string }>(
    conn,
    `SELECT version FROM policy_versions WHERE effective_from IS NULL OR effective_from <= $date::DATE
     ORDER BY effective_from DESC NULLS LAST, created_at DESC, active DESC LIMIT 1`,
    { date },
  );
  return row?.version ?? range.policyVersion;
}

function toShopMetrics(row: ShopDayRow, restrictions: ShopMetrics['restrictions'], policyVersion: string): ShopMetrics {
  const { windowFrom, ...rest } = row;
  return { ...rest, window: { from: windowFrom, to: row.date }, restrictions, policyVersion };
}

/**
 * The hot path of DESIGN §4: one prepared statement gives the shop-day row, its restrictions in force
 * (with exemptions) and the policy version of the day. The date defaults to the last day with data;
 * null when the shop is unknown or the date is outside the data (the caller says which).
 */
function shopMetricsSql(shopDays: string, shopFilter: string): string {
  return `
WITH r AS (SELECT first_day, last_day, window_days FROM data_range),
target AS (SELECT coalesce($date::DATE, (SELECT last_day FROM r)) AS day)
SELECT d.shop_id AS "shopId", s.shop_name AS "shopName", d.category_id AS "categoryId",
  strftime(d.day, '%Y-%m-%d') AS date, strftime(d.day - (r.window_days - 1), '%Y-%m-%d') AS "windowFrom",
  d.orders, d.interventions, d.complaints, d.rate, d.category_mean AS "categoryMean", d.ratio,
  d.judged, d.flagged, d.level, d.consecutive_flagged AS "consecutiveFlaggedDays",
  (SELECT version FROM policy_versions WHERE effective_from IS NULL OR effective_from <= d.day
   ORDER BY effective_from DESC NULLS LAST, created_at DESC, active DESC LIMIT 1) AS "policyVersion",
  (SELECT to_json(list({'code': c.code, 'since': strftime(c.start_day, '%Y-%m-%d'),
                        'exemptUntil': strftime(c.exempt_until, '%Y-%m-%d'), 'policyVersion': c.policy_version} ORDER BY c.start_day, c.n))
   FROM (SELECT unnest(e.codes) AS code, generate_subscripts(e.codes, 1) AS n, e.start_day, e.policy_version,
           (SELECT max(x.until_day) FROM decisions x WHERE x.shop_id = e.shop_id AND ${EXEMPTION_APPLIES.replaceAll('$E.', 'e.').replaceAll('$DAY', 'd.day')}) AS exempt_until
         FROM (SELECT e.*, min(e.start_day) OVER (PARTITION BY e.shop_id) AS episode_start FROM restriction_episodes e
               WHERE e.shop_id = d.shop_id AND e.start_day <= d.day AND (e.end_day IS NULL OR e.end_day > d.day)) e
         WHERE e.shop_id = d.shop_id AND e.start_day <= d.day AND (e.end_day IS NULL OR e.end_day > d.day)) c
  )::VARCHAR AS restrictions
FROM ${shopDays} d JOIN shops s ON s.shop_id = d.shop_id, r, target t
WHERE ${shopFilter} d.day = t.day AND t.day BETWEEN r.first_day AND r.last_day`;
}

// One shop: its days from the macro (server/db/views.ts), a few row groups; every shop: the view.
const SHOP_METRICS = shopMetricsSql(
  'shop_days($shopId, coalesce($date::DATE, (SELECT last_day FROM data_range)), coalesce($date::DATE, (SELECT last_day FROM data_range)))',
  's.shop_id = $shopId AND',
);
// Every shop of the day: one pass over the window's days (shop_days_on).
const ALL_SHOP_METRICS = shopMetricsSql('shop_days_on($day::DATE)', '');

type ShopMetricsRow = ShopDayRow & { policyVersion: string; restrictions: string | null };

function toMetrics(row: ShopMetricsRow): ShopMetrics {
  const { windowFrom, restrictions, ...rest } = row;
  const list = (
    restrictions
      ? (JSON.parse(restrictions) as { code: ShopMetrics['restrictions'][number]['code']; since: string; exemptUntil: string | null; policyVersion: string }[])
      : []
  ).map((r) =>
    r.exemptUntil
      ? { code: r.code, since: r.since, exemptUntil: r.exemptUntil, policyVersion: r.policyVersion }
      : { code: r.code, since: r.since, policyVersion: r.policyVersion },
  );
  return { ...rest, window: { from: windowFrom, to: row.date }, restrictions: list };
}

export async function shopMetricsOn(conn: DuckDBConnection, shopId: string, date: string | null): Promise<ShopMetrics | null> {
  const rows = await queryPrepared<ShopMetricsRow>(conn, SHOP_METRICS, { shopId, date });
  return rows[0] ? toMetrics(rows[0]) : null;
}

/** Every shop's metrics on the last day with data (what most requests ask for), in one query. */
export async function latestShopMetrics(conn: DuckDBConnection): Promise<ShopMetrics[]> {
  const range = await dataRange(conn);
  if (!range) return [];
  return (await queryRows<ShopMetricsRow>(conn, ALL_SHOP_METRICS, { date: range.last, day: range.last })).map(toMetrics);
}

// Sort keys come from this whitelist only; never from the request text.
const SORT_SQL: Record<FlaggedQuery['sort'], string> = {
  ratio: 'd.ratio',
  rate: 'd.rate',
  interventions: 'd.interventions',
  orders: 'd.orders',
  complaints: 'd.complaints',
  consecutiveFlaggedDays: 'd.consecutive_flagged',
  level: "CASE d.level WHEN 'severe' THEN 3 WHEN 'restricted' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END",
  shopId: 'd.shop_id',
};

export async function flaggedShops(
  conn: DuckDBConnection,
  range: DataRangeRow,
  query: Pick<FlaggedQuery, 'categoryId' | 'level' | 'minRatio' | 'sort' | 'order' | 'limit' | 'offset'> & { date: string; exempt?: FlaggedQuery['exempt'] },
): Promise<{ total: number; items: ShopMetrics[] }> {
  // queue_day holds the non-none shop-days (written by every refresh from the walk's results), so the queue reads a
  // few thousand rows, not every shop-day. Only the filters asked for are in the text (each text is
  // prepared once per connection), so the plan of a plain page has no filter it does not need.
  const filters: string[] = ['d.day = $date::DATE'];
  const params: Record<string, string | number> = { date: query.date };
  if (query.categoryId !== undefined) {
    filters.push('d.category_id = $categoryId');
    params.categoryId = query.categoryId;
  }
  if (query.level !== undefined) {
    filters.push('d.level = $level');
    params.level = query.level;
  }
  if (query.minRatio !== undefined) {
    filters.push('d.ratio >= $minRatio::DOUBLE');
    params.minRatio = query.minRatio;
  }
  if (query.exempt !== undefined) {
    filters.push(`${query.exempt === 'only' ? '' : 'NOT '}EXISTS (
      SELECT 1 FROM (SELECT e.*, min(e.start_day) OVER (PARTITION BY e.shop_id) AS episode_start FROM restriction_episodes e
                     WHERE e.shop_id = d.shop_id AND e.start_day <= d.day AND (e.end_day IS NULL OR e.end_day > d.day)) e, decisions x
      WHERE x.shop_id = e.shop_id AND ${EXEMPTION_APPLIES.replaceAll('$E.', 'e.').replaceAll('$DAY', 'd.day')})`);
  }
  const where = filters.join(' AND ');
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  // One statement: the page, the total (a window count before LIMIT), the unflagged days in a row while
  // restricted (the walk's clean count) and the policy version in force on the date.
  const rows = await queryPrepared<ShopDayRow & { unflaggedDays: number; total: number; policyVersion: string | null }>(
    conn,
    `SELECT ${SHOP_DAY_COLUMNS}, d.clean_days AS "unflaggedDays", count(*) OVER () AS total,
       (SELECT version FROM policy_versions WHERE effective_from IS NULL OR effective_from <= $date::DATE
        ORDER BY effective_from DESC NULLS LAST, created_at DESC, active DESC LIMIT 1) AS "policyVersion"
     FROM queue_day d JOIN shops s ON s.shop_id = d.shop_id
     WHERE ${where}
     ORDER BY ${SORT_SQL[query.sort]} ${direction} NULLS LAST, d.ratio DESC NULLS LAST, d.shop_id
     LIMIT $limit OFFSET $offset`,
    { ...params, windowDays: range.windowDays, limit: query.limit, offset: query.offset },
  );
  // A page past the end has no row to carry the total.
  const total =
    rows[0]?.total ??
    (query.offset > 0 ? ((await queryPrepared<{ n: number }>(conn, `SELECT count(*) AS n FROM queue_day d WHERE ${where}`, params))[0]?.n ?? 0) : 0);
  const restrictions = await restrictionsOn(
    conn,
    rows.map((r) => r.shopId),
    query.date,
  );
  const version = rows[0]?.policyVersion ?? range.policyVersion;
  return {
    total,
    items: rows.map(({ unflaggedDays, total: _total, policyVersion: _version, ...r }) => ({
      ...toShopMetrics(r, restrictions.get(r.shopId) ?? [], version),
      unflaggedDays,
    })),
  };
}
