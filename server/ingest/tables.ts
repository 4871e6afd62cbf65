// The input tables of DESIGN §2: their columns in order, how each field is read, and the checks
// that need the database (unknown shop, an order of another shop...). One declaration per table
// serves the CSV reader, the Parquet reader, the staging table and the upsert.
import { BIGINT, BOOLEAN, TIMESTAMPTZ, VARCHAR, DuckDBTimestampTZValue, type DuckDBType } from '@duckdb/node-api';
import { clip, parseTimestamp, type EarliestDayRule } from './timestamps.js';

export const KINDS = ['categories', 'shops', 'goods', 'orders', 'interventions'] as const;
export type Kind = (typeof KINDS)[number];

export interface FieldContext {
  timeZone: string;
  nowMicros: bigint;
  /** Instants on a calendar day (platform zone) before this day are rejected (see earliestDayRule). */
  earliest?: EarliestDayRule;
}

/** A field's reader: the value to stage, or throws FieldError with the reason. */
export class FieldError extends Error {}

export interface ColumnSpec {
  name: string;
  stageType: DuckDBType;
  read: (raw: string, ctx: FieldContext) => unknown;
  /** The same rule for the bulk path (bulk.ts), which checks in SQL and hands doubtful rows to `read`. */
  rule: ColumnRule;
}

export type ColumnRule =
  | { type: 'id' | 'text'; required: boolean; max: number }
  | { type: 'choice'; required: boolean; values: readonly string[] }
  | { type: 'timestamp' | 'amount' | 'bool' };

export interface TableSpec {
  kind: Kind;
  target: string;
  id: string;
  columns: ColumnSpec[];
  /** The stage's column list as the target table wants it (amounts come in as cents). */
  insertSelect: string;
  /** SQL over `stage` that names rows to reject: (line, column_name, reason). Runs before the upsert. */
  checks: string[];
  /**
   * Trailing columns a file may leave out (its header says which): a file without them is read with the
   * columns before them, and they are staged as NULL. Orders: goods_id.
   */
  optional?: string[];
}

/** The spec for a file whose header (CSV) or columns (Parquet) leave out the spec's optional columns. */
export function withoutOptional(spec: TableSpec): TableSpec {
  if (!spec.optional?.length) return spec;
  return { ...spec, columns: spec.columns.filter((c) => !spec.optional!.includes(c.name)) };
}

const MAX_ID = 128;
const MAX_TEXT = 1000;

function id(name: string, required = true): ColumnSpec {
  return {
    name,
    stageType: VARCHAR,
    rule: { type: 'id', required, max: MAX_ID },
    read: (raw) => {
      const value = raw.trim();
      if (value === '') {
        if (required) throw new FieldError('is empty');
        return null;
      }
      if (value.length > MAX_ID) throw new FieldError(`is longer than ${MAX_ID} characters`);
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
      if (/[\u0000-\u001f]/.test(value)) throw new FieldError('contains control characters');
      return value;
    },
  };
}

function text(name: string, required: boolean): ColumnSpec {
  return {
    name,
    stageType: VARCHAR,
    rule: { type: 'text', required, max: MAX_TEXT },
    read: (raw) => {
      const value = raw.trim();
      if (value === '') {
        if (required) throw new FieldError('is empty');
        return null;
      }
      if (value.length > MAX_TEXT) throw new FieldError(`is longer than ${MAX_TEXT} characters`);
      return value;
    },
  };
}

function timestamp(name: string): ColumnSpec {
  return {
    name,
    stageType: TIMESTAMPTZ,
    rule: { type: 'timestamp' },
    read: (raw, ctx) => {
      const parsed = parseTimestamp(raw.trim(), ctx.timeZone);
      if ('error' in parsed) throw new FieldError(parsed.error);
      if (parsed.micros > ctx.nowMicros) throw new FieldError(`'${clip(raw.trim())}' is in the future (after the ingest time)`);
      if (ctx.earliest?.before(parsed.micros)) throw new FieldError(`'${clip(raw.trim())}' is before the earliest accepted day ${ctx.earliest.day}`);
      return new DuckDBTimestampTZValue(parsed.micros);
    },
  };
}

function choice(name: string, values: readonly string[], required: boolean): ColumnSpec {
  return {
    name,
    stageType: VARCHAR,
    rule: { type: 'choice', required, values },
    read: (raw) => {
      const value = raw.trim();
      if (value === '' && !required) return null;
      if (!values.includes(value)) throw new FieldError(`'${clip(value)}' is not one of ${values.join(', ')}${required ? '' : ' (or empty)'}`);
      return value;
    },
  };
}

const AMOUNT = /^\d{1,15}(\.\d+)?$/;
function amount(name: string): ColumnSpec {
  return {
    name,
    stageType: BIGINT,
    rule: { type: 'amount' },
    // CNY in fen (cents): amounts are rounded half up to 2 decimals.
    read: (raw) => {
      const value = raw.trim();
      if (!AMOUNT.test(value)) throw new FieldError(`'${clip(value)}' is not a non-negative decimal amount`);
      const [whole, frac = ''] = value.split('.');
      const cents = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2)) + (Number(frac[2] ?? '0') >= 5 ? 1n : 0n);
      return cents;
    },
  };
}

function bool(name: string): ColumnSpec {
  return {
    name,
    stageType: BOOLEAN,
    rule: { type: 'bool' },
    read: (raw) => {
      const value = raw.trim().toLowerCase();
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new FieldError(`'${clip(raw)}' is not true or false`);
    },
  };
}

/**
 * A case and its order name the same shop, whichever arrives first (DESIGN §2): a staged order or case
 * whose order already has a stored case of another shop is rejected, naming that case (the first by id).
 * Checked after the stored order itself, so within one batch the orders file (loaded before the
 * interventions files) is the authority. Re-sending a stored case with another shop on the same order is
 * rejected too, naming its stored self (an upsert must not split an order between shops).
 *
 * The interventions checks also read `batch_orders`, a temporary table of the order ids the current
 * batch has loaded so far (created and dropped by the ingest), to tell an order stored by an earlier
 * batch from one loaded in this batch.
 */
const CASES_OF_ANOTHER_SHOP = `SELECT s.line, 'shop_id', 'order ' || s.order_id || ' has case ' || min(c.case_id) || ' stored for shop '
         || arg_min(c.shop_id, c.case_id) || ', not ' || s.shop_id
       FROM stage s JOIN cases c ON c.order_id = s.order_id AND c.shop_id <> s.shop_id
       GROUP BY s.line, s.order_id, s.shop_id`;

export const TABLES: Record<Kind, TableSpec> = {
  categories: {
    kind: 'categories',
    target: 'categories',
    id: 'category_id',
    columns: [id('category_id'), text('category_name', true), id('parent_id', false)],
    insertSelect: 'category_id, category_name, parent_id',
    checks: [
      `SELECT line, 'parent_id', 'is the category itself' FROM stage WHERE parent_id = category_id`,
      `SELECT line, 'parent_id', 'unknown category ' || parent_id FROM stage
       WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT category_id FROM stage UNION SELECT category_id FROM categories)`,
    ],
  },
  shops: {
    kind: 'shops',
    target: 'shops',
    id: 'shop_id',
    columns: [id('shop_id'), text('shop_name', true), id('category_id')],
    insertSelect: 'shop_id, shop_name, category_id',
    checks: [`SELECT line, 'category_id', 'unknown category ' || category_id FROM stage WHERE category_id NOT IN (SELECT category_id FROM categories)`],
  },
  goods: {
    kind: 'goods',
    target: 'goods',
    id: 'goods_id',
    columns: [id('goods_id'), id('shop_id'), text('goods_name', true)],
    insertSelect: 'goods_id, shop_id, goods_name',
    checks: [
      `SELECT line, 'shop_id', 'unknown shop ' || shop_id FROM stage WHERE shop_id NOT IN (SELECT shop_id FROM shops)`,
      // A goods never moves between shops: its orders name its shop.
      `SELECT s.line, 'shop_id', 'goods ' || s.goods_id || ' is stored for shop ' || g.shop_id || ', not ' || s.shop_id
       FROM stage s JOIN goods g ON g.goods_id = s.goods_id WHERE g.shop_id <> s.shop_id`,
    ],
  },
  orders: {
    kind: 'orders',
    target: 'orders',
    id: 'order_id',
    columns: [id('order_id'), id('shop_id'), timestamp('paid_at'), amount('amount'), id('goods_id', false)],
    optional: ['goods_id'],
    insertSelect: 'order_id, shop_id, paid_at, (amount::DECIMAL(20, 0) / 100)::DECIMAL(18, 2), goods_id',
    checks: [
      `SELECT line, 'shop_id', 'unknown shop ' || shop_id FROM stage WHERE shop_id NOT IN (SELECT shop_id FROM shops)`,
      `SELECT s.line, 'shop_id', 'order ' || s.order_id || ' is stored for shop ' || o.shop_id || ', not ' || s.shop_id
       FROM stage s JOIN orders o ON o.order_id = s.order_id WHERE o.shop_id <> s.shop_id`,
      // A case that arrived before its order decides the order's shop.
      CASES_OF_ANOTHER_SHOP,
      // A goods of another shop (one not in the goods table is accepted: it is named by its id).
      `SELECT s.line, 'goods_id', 'goods ' || s.goods_id || ' belongs to shop ' || g.shop_id || ', not ' || s.shop_id
       FROM stage s JOIN goods g ON g.goods_id = s.goods_id WHERE g.shop_id <> s.shop_id`,
    ],
  },
  interventions: {
    kind: 'interventions',
    target: 'cases',
    id: 'case_id',
    columns: [
      id('case_id'),
      id('order_id'),
      id('shop_id'),
      timestamp('opened_at'),
      choice('kind', ['intervention', 'complaint'], true),
      text('reason', false),
      choice('status', ['open', 'closed'], true),
      choice('outcome', ['seller_responsible', 'buyer_responsible', 'withdrawn'], false),
      bool('excluded'),
      text('exclusion_reason', false),
    ],
    insertSelect: 'case_id, order_id, shop_id, opened_at, kind, reason, status, outcome, excluded, exclusion_reason',
    checks: [
      `SELECT line, 'shop_id', 'unknown shop ' || shop_id FROM stage WHERE shop_id NOT IN (SELECT shop_id FROM shops)`,
      // The order decides; "(stored)" when it came before this batch (batch_orders: see below).
      `SELECT s.line, 'order_id', 'order ' || s.order_id || ' belongs to shop ' || o.shop_id
         || CASE WHEN s.order_id IN (SELECT order_id FROM batch_orders) THEN '' ELSE ' (stored)' END || ', not ' || s.shop_id
       FROM stage s JOIN orders o ON o.order_id = s.order_id WHERE o.shop_id <> s.shop_id`,
      // No order yet: the cases stored on it decide (a case re-sent with another shop included).
      CASES_OF_ANOTHER_SHOP,
      // No order and no stored case yet: the first line in the file on that order decides.
      `SELECT line, 'shop_id', 'order ' || order_id || ' has case ' || first_case || ' on line ' || first_line || ' for shop ' || first_shop || ', not ' || shop_id
       FROM (SELECT line, order_id, shop_id, first_value(line) OVER w AS first_line, first_value(case_id) OVER w AS first_case,
                    first_value(shop_id) OVER w AS first_shop
             FROM stage WINDOW w AS (PARTITION BY order_id ORDER BY line))
       WHERE shop_id <> first_shop`,
    ],
  },
};

/** The kind of a file from its name stem: orders.csv, orders-2026-11-25.csv, orders.parquet. */
export function kindOfFile(fileName: string): Kind | null {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.(csv|parquet)$/i, '');
  const match = /^(categories|shops|goods|orders|interventions)(?:[-_.].*)?$/i.exec(stem);
  return match ? (match[1].toLowerCase() as Kind) : null;
}
