// The append-only audit log: every decision, appeal and policy change, with who, when, what and the
// numbers at that moment. Nothing in the code updates or deletes its rows.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import type { Principal } from '../auth/tokens.js';
import type { AuditEntry, AuditFilter } from '../contracts/governance.js';

export async function nextId(conn: DuckDBConnection): Promise<number> {
  const row = await queryOne<{ id: number }>(conn, "SELECT nextval('governance_seq') AS id");
  return row!.id;
}

export async function appendAudit(
  conn: DuckDBConnection,
  who: Principal,
  action: string,
  shopId: string | null,
  details: Record<string, unknown>,
): Promise<number> {
  const id = await nextId(conn);
  await conn.run('INSERT INTO audit_log VALUES ($id, now(), $actor, $role, $action, $shopId, $details::JSON)', {
    id,
    actor: who.subject,
    role: who.role,
    action,
    shopId,
    details: JSON.stringify(details),
  });
  return id;
}

export async function readAudit(conn: DuckDBConnection, filter: AuditFilter): Promise<{ total: number; items: AuditEntry[] }> {
  const where = `($shopId::VARCHAR IS NULL OR shop_id = $shopId) AND ($actor::VARCHAR IS NULL OR actor = $actor)
    AND ($action::VARCHAR IS NULL OR action = $action)
    AND ($from::DATE IS NULL OR logged_at >= $from::DATE) AND ($to::DATE IS NULL OR logged_at < $to::DATE + 1)`;
  const params = {
    shopId: filter.shopId ?? null,
    actor: filter.actor ?? null,
    action: filter.action ?? null,
    from: filter.from ?? null,
    to: filter.to ?? null,
  };
  const total = await queryOne<{ n: number }>(conn, `SELECT count(*) AS n FROM audit_log WHERE ${where}`, params);
  const rows = await queryRows<Omit<AuditEntry, 'details'> & { details: string }>(
    conn,
    `SELECT id, strftime(logged_at, '%Y-%m-%dT%H:%M:%SZ') AS at, actor, role, action, shop_id AS "shopId", details::VARCHAR AS details
     FROM audit_log WHERE ${where} ORDER BY id DESC LIMIT $limit OFFSET $offset`,
    { ...params, limit: filter.limit, offset: filter.offset },
  );
  return { total: total?.n ?? 0, items: rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> })) };
}
