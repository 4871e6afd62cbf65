// Schema migrations, applied in order at start. A migration is never edited once shipped:
// a change to the schema is a new entry at the end.
import type { DuckDBConnection } from '@duckdb/node-api';

const MIGRATIONS: string[] = [
  // 1: raw tables (the ingest contract of DESIGN §2), ingest log, policy versions, materialized metrics.
  `
  CREATE TABLE categories (
    category_id VARCHAR NOT NULL, category_name VARCHAR NOT NULL, parent_id VARCHAR);
  CREATE TABLE shops (
    shop_id VARCHAR NOT NULL, shop_name VARCHAR NOT NULL, category_id VARCHAR NOT NULL);
  CREATE TABLE orders (
    order_id VARCHAR NOT NULL, shop_id VARCHAR NOT NULL, paid_at TIMESTAMPTZ NOT NULL, amount DECIMAL(18, 2) NOT NULL);
  CREATE TABLE cases (
    case_id VARCHAR NOT NULL, order_id VARCHAR NOT NULL, shop_id VARCHAR NOT NULL, opened_at TIMESTAMPTZ NOT NULL,
    kind VARCHAR NOT NULL, reason VARCHAR, status VARCHAR NOT NULL, outcome VARCHAR,
    excluded BOOLEAN NOT NULL, exclusion_reason VARCHAR);

  CREATE SEQUENCE ingest_batch_seq START 1;
  CREATE TABLE ingest_batches (
    batch_id BIGINT NOT NULL, source VARCHAR NOT NULL, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ NOT NULL,
    files INTEGER NOT NULL, accepted BIGINT NOT NULL, rejected BIGINT NOT NULL, outcome VARCHAR NOT NULL);
  CREATE TABLE ingest_files (
    batch_id BIGINT NOT NULL, file VARCHAR NOT NULL, kind VARCHAR, accepted BIGINT NOT NULL, rejected BIGINT NOT NULL,
    error VARCHAR);
  CREATE TABLE ingest_rejects (
    batch_id BIGINT NOT NULL, file VARCHAR NOT NULL, line BIGINT, column_name VARCHAR, reason VARCHAR NOT NULL);

  -- A version applies to the days from effective_from on (NULL: from the beginning of the data).
  CREATE TABLE policy_versions (
    version VARCHAR NOT NULL, body JSON NOT NULL, created_at TIMESTAMPTZ NOT NULL, created_by VARCHAR NOT NULL,
    active BOOLEAN NOT NULL, effective_from DATE);

  -- Governance: decisions on a shop's restrictions, sellers' appeals, and the append-only audit log.
  CREATE SEQUENCE governance_seq START 1;
  CREATE TABLE decisions (
    id BIGINT NOT NULL, shop_id VARCHAR NOT NULL, action VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    effective_day DATE NOT NULL, until_day DATE, episode_start DATE, actor VARCHAR NOT NULL, role VARCHAR NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL);
  CREATE TABLE appeals (
    id BIGINT NOT NULL, shop_id VARCHAR NOT NULL, episode_start DATE NOT NULL, level VARCHAR NOT NULL, text VARCHAR NOT NULL,
    state VARCHAR NOT NULL, created_by VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL,
    answered_by VARCHAR, answered_at TIMESTAMPTZ, answer_reason VARCHAR);
  CREATE TABLE audit_log (
    id BIGINT NOT NULL, logged_at TIMESTAMPTZ NOT NULL, actor VARCHAR NOT NULL, role VARCHAR NOT NULL, action VARCHAR NOT NULL,
    shop_id VARCHAR, details JSON NOT NULL);

  CREATE TABLE data_range (first_day DATE, last_day DATE, window_days INTEGER, policy_version VARCHAR, refreshed_at TIMESTAMPTZ);

  CREATE TABLE shop_day (
    shop_id VARCHAR NOT NULL, day DATE NOT NULL, category_id VARCHAR NOT NULL,
    orders INTEGER NOT NULL, interventions INTEGER NOT NULL, complaints INTEGER NOT NULL,
    category_orders BIGINT NOT NULL, category_interventions BIGINT NOT NULL,
    rate DOUBLE, category_mean DOUBLE, ratio DOUBLE,
    judged BOOLEAN NOT NULL, complete BOOLEAN NOT NULL, flagged BOOLEAN NOT NULL,
    consecutive_flagged INTEGER NOT NULL, level VARCHAR NOT NULL,
    -- The level walk's state after the day, so a refresh can resume from any day.
    run_days INTEGER NOT NULL, clean_days INTEGER NOT NULL);
  -- Orders paid per shop and local day: the daily shop counts that the window sums run over.
  CREATE TABLE daily_orders (shop_id VARCHAR NOT NULL, day DATE NOT NULL, orders BIGINT NOT NULL);
  -- Daily shop counts handed over by a distributed engine (server/seam): when present they replace
  -- the counts computed from raw orders and cases.
  CREATE TABLE seam_daily (
    shop_id VARCHAR NOT NULL, day DATE NOT NULL, orders BIGINT NOT NULL,
    interventions_in BIGINT NOT NULL, interventions_out BIGINT NOT NULL, complaints_in BIGINT NOT NULL, complaints_out BIGINT NOT NULL);
  CREATE TABLE category_day (
    category_id VARCHAR NOT NULL, day DATE NOT NULL, shops INTEGER NOT NULL,
    orders BIGINT NOT NULL, interventions BIGINT NOT NULL, complaints BIGINT NOT NULL, mean DOUBLE);
  -- One row per level reached in a restriction episode: 'restricted' and, if it escalated, 'severe'.
  -- end_day is the day the episode's restrictions lifted (NULL while active).
  CREATE TABLE restriction_episodes (
    shop_id VARCHAR NOT NULL, level VARCHAR NOT NULL, codes VARCHAR[] NOT NULL,
    start_day DATE NOT NULL, end_day DATE,
    orders INTEGER NOT NULL, interventions INTEGER NOT NULL, rate DOUBLE, category_mean DOUBLE, ratio DOUBLE,
    flagged_days INTEGER NOT NULL, policy_version VARCHAR NOT NULL);
  `,
  // 2: a decision belongs to the restriction episode it was made on: its start day (episode_start) and
  // the level the reviewer saw (episode_level). An exemption or early lift never reaches a later
  // episode, nor an escalation beyond that level. NULL for decisions recorded before this migration.
  `ALTER TABLE decisions ADD COLUMN episode_level VARCHAR;`,
  // 3: the flagged queue's own table: the shop-days whose level is not none (shop_day's columns that the
  // queue filters, sorts and shows), written by every refresh beside shop_day, so that the queue reads a
  // few thousand rows instead of scanning every shop-day. Filled from shop_day as it stands.
  `
  CREATE TABLE queue_day (
    shop_id VARCHAR NOT NULL, day DATE NOT NULL, category_id VARCHAR NOT NULL,
    orders INTEGER NOT NULL, interventions INTEGER NOT NULL, complaints INTEGER NOT NULL,
    rate DOUBLE, category_mean DOUBLE, ratio DOUBLE, judged BOOLEAN NOT NULL, flagged BOOLEAN NOT NULL,
    level VARCHAR NOT NULL, consecutive_flagged INTEGER NOT NULL, run_days INTEGER NOT NULL, clean_days INTEGER NOT NULL);
  INSERT INTO queue_day
  SELECT shop_id, day, category_id, orders, interventions, complaints, rate, category_mean, ratio, judged, flagged, level, consecutive_flagged,
    run_days, clean_days
  FROM shop_day WHERE level <> 'none' ORDER BY day, shop_id;
  `,
  // 4: alerts (server/alerts): webhook subscriptions, the events a refresh (or an answered appeal) caused,
  // one row per event key so that nothing is emitted twice, and one delivery per event and subscription,
  // all written in the transaction that caused them; a background worker sends the deliveries.
  `
  CREATE SEQUENCE alert_seq START 1;
  CREATE TABLE alert_subscriptions (
    id BIGINT NOT NULL, shop_id VARCHAR, url VARCHAR NOT NULL, format VARCHAR NOT NULL, events VARCHAR[] NOT NULL,
    secret VARCHAR, horizon_days INTEGER NOT NULL, created_by VARCHAR NOT NULL, role VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ, deleted_by VARCHAR);
  CREATE TABLE alert_events (
    id BIGINT NOT NULL, event_key VARCHAR NOT NULL, event VARCHAR NOT NULL, shop_id VARCHAR, day DATE NOT NULL,
    horizon_days INTEGER, payload JSON NOT NULL, created_at TIMESTAMPTZ NOT NULL);
  CREATE TABLE alert_deliveries (
    id BIGINT NOT NULL, event_id BIGINT NOT NULL, subscription_id BIGINT NOT NULL, status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL, next_attempt_at TIMESTAMPTZ NOT NULL, last_attempt_at TIMESTAMPTZ, last_status INTEGER,
    last_error VARCHAR, delivered_at TIMESTAMPTZ, created_at TIMESTAMPTZ NOT NULL);
  `,
  // 5: alerts: the shops and horizons whose forecast crossing was checked on a latest day (a forecast per
  // subscribed shop costs a few queries: once per new latest day, not on every write).
  `CREATE TABLE alert_forecast_checks (shop_id VARCHAR NOT NULL, horizon_days INTEGER NOT NULL, day DATE NOT NULL);`,
  // 6: goods (DESIGN §2): an order may name the goods it sold (NULL for orders loaded without it), and the
  // optional goods table names each goods and its shop.
  `
  ALTER TABLE orders ADD COLUMN goods_id VARCHAR;
  CREATE TABLE goods (goods_id VARCHAR NOT NULL, shop_id VARCHAR NOT NULL, goods_name VARCHAR NOT NULL);
  `,
  // 7: the shared queue (server/governance/review.ts): one row per queue entry of a shop — keyed by the first day
  // of its run of days at a level other than none when the row was written (entered_on; a later correction may
  // move the run's start, server/read/review.ts still finds the row) — with its review state (in_review, decided;
  // no row or 'new': nobody has it), the assignee and since when, and who decided and on which restriction episode
  // (a later episode or an escalation the decider did not see reads as new again). A shop that leaves the queue
  // and comes back has a new entry, so it starts as new. Every change is also an audit entry.
  `
  CREATE TABLE queue_reviews (
    shop_id VARCHAR NOT NULL, entered_on DATE NOT NULL, state VARCHAR NOT NULL, assignee VARCHAR, claimed_at TIMESTAMPTZ,
    decided_by VARCHAR, decided_at TIMESTAMPTZ, decided_episode_start DATE, decided_episode_level VARCHAR,
    updated_by VARCHAR NOT NULL, updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (shop_id, entered_on));
  `,
  // 8: per category and day, the shops with orders in the window: the small-category rule (server/read/privacy.ts)
  // reads it instead of counting a category's shops in shop_day on every request. Filled from shop_day here.
  `
  ALTER TABLE category_day ADD COLUMN shops_with_orders INTEGER;
  UPDATE category_day c SET shops_with_orders = coalesce(
    (SELECT count(*) FROM shop_day d WHERE d.category_id = c.category_id AND d.day = c.day AND d.orders > 0), 0);
  `,
  // 9: the orders that have a case, as stored in orders (kept by every ingest, server/ingest/ingest.ts): the
  // case list, the case drawer, the breakdown and the goods read a shop's cases with their orders from here,
  // not from a pass over every order of the platform.
  `
  CREATE TABLE case_orders AS SELECT * FROM orders WHERE order_id IN (SELECT order_id FROM cases);
  `,
  // 10: the sparse engine (server/pipeline/sql.ts, server/db/views.ts): shop-days are derived on read from what a
  // refresh stores — daily_orders, the change of the window's case counts per shop and day (daily_cases), category_day,
  // the policy's numbers per day (policy_day) and the level walk's results for the shops it walked (shop_levels) —
  // instead of a stored row for every shop and day. shop_day becomes a view (created at start); a database that
  // had metrics is rebuilt once at start (server/main.ts), as policy_day cannot be recovered from the old table.
  `
  CREATE TABLE daily_cases (shop_id VARCHAR NOT NULL, day DATE NOT NULL, d_interventions INTEGER NOT NULL, d_complaints INTEGER NOT NULL);
  CREATE TABLE policy_day (
    day DATE NOT NULL, flag_ratio DOUBLE NOT NULL, flag_ratio_micro HUGEINT NOT NULL, min_orders INTEGER NOT NULL,
    min_interventions INTEGER NOT NULL, complete BOOLEAN NOT NULL, method VARCHAR NOT NULL);
  CREATE TABLE shop_levels (
    shop_id VARCHAR NOT NULL, day DATE NOT NULL, level VARCHAR NOT NULL, run_days INTEGER NOT NULL, clean_days INTEGER NOT NULL,
    consecutive_flagged INTEGER NOT NULL);
  DROP TABLE shop_day;
  `,
  // 11: every shop's window counts on the last day (server/pipeline/sql.ts ONE_DAY_COUNTS): a new day adds its changes
  // to them instead of summing the window's days again. Written by the next refresh.
  `
  CREATE TABLE shop_last (shop_id VARCHAR NOT NULL, day DATE NOT NULL, orders INTEGER NOT NULL, interventions INTEGER NOT NULL,
    complaints INTEGER NOT NULL);
  `,
];

export async function migrate(conn: DuckDBConnection): Promise<void> {
  await conn.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
  const reader = await conn.runAndReadAll('SELECT coalesce(max(version), 0)::INTEGER AS v FROM schema_migrations');
  const applied = Number(reader.getRowObjectsJS()[0]?.v ?? 0);
  for (let version = applied + 1; version <= MIGRATIONS.length; version++) {
    await conn.run(MIGRATIONS[version - 1]);
    await conn.run('INSERT INTO schema_migrations VALUES ($v, now())', { v: version });
  }
}
