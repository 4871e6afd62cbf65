// Reviewers' decisions on a shop's restrictions and sellers' appeals. A decision is taken on the
// data's last day (the day the reviewer looks at) and belongs to the restriction episode in force then
// (its start day and the level the reviewer saw): confirm and note only record; exempt makes that
// episode's restrictions, up to that level, stop applying until its end date; lift early ends that
// episode on that day (the level evaluator replays it on every refresh, so it survives new data).
// Neither reaches a later episode nor an escalation the reviewer did not see.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import type { Principal } from '../auth/tokens.js';
import type { Appeal } from '../contracts/governance.js';
import type { Decision } from '../contracts/shop.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { refreshMetrics } from '../pipeline/refresh.js';
import { dataRange, shopMetricsOn } from '../read/queries.js';
import { appendAudit, nextId } from './audit.js';
import { recordAppealAnswered } from '../alerts/events.js';
import { checkNotHeld, markDecided } from './review.js';

interface ActiveEpisode {
  start: string;
  level: 'restricted' | 'severe';
}

/** The restriction episode in force on the data's last day, if any. */
async function activeEpisode(conn: DuckDBConnection, shopId: string, day: string): Promise<ActiveEpisode | null> {
  const row = await queryOne<ActiveEpisode>(
    conn,
    `SELECT strftime(min(start_day), '%Y-%m-%d') AS start, max(level) AS level FROM restriction_episodes
     WHERE shop_id = $shopId AND start_day <= $day::DATE AND (end_day IS NULL OR end_day > $day::DATE)
     HAVING count(*) > 0`,
    { shopId, day },
  );
  return row ?? null;
}

const DECISION_COLUMNS = `id, shop_id AS "shopId", action, reason, strftime(until_day, '%Y-%m-%d') AS until,
  strftime(episode_start, '%Y-%m-%d') AS "episodeStart", actor, strftime(decided_at, '%Y-%m-%dT%H:%M:%SZ') AS at`;

export async function decisionsOf(conn: DuckDBConnection, shopId: string): Promise<Decision[]> {
  return queryRows<Decision>(conn, `SELECT ${DECISION_COLUMNS} FROM decisions WHERE shop_id = $shopId ORDER BY id`, { shopId });
}

export async function decide(
  conn: DuckDBConnection,
  who: Principal,
  shopId: string,
  body: { action: Decision['action']; reason: string; until?: string; reassign?: boolean },
  options: { refresh?: boolean } = {},
): Promise<Decision> {
  const range = await dataRange(conn);
  if (!range) throw notFound('no data has been loaded yet');
  if (!(await queryOne(conn, 'SELECT 1 AS one FROM shops WHERE shop_id = $shopId', { shopId }))) throw notFound(`shop ${shopId} is not known`);
  const day = range.last;
  const episode = await activeEpisode(conn, shopId, day);
  if (body.action !== 'note' && !episode) throw conflict(`shop ${shopId} has no restriction in force on ${day}; only a note can be recorded`);
  if (body.action === 'exempt' && body.until! < day) throw badRequest(`until: ${body.until} is before the stat date ${day}`);
  // The shared queue: a decision on a shop someone else has in review takes it over only when asked to; a note may always be added.
  const decides = body.action !== 'note';
  if (decides) await checkNotHeld(conn, who, [shopId], day, body.reassign);
  const before = await shopMetricsOn(conn, shopId, day);
  const id = await nextId(conn);
  await conn.run(
    `INSERT INTO decisions (id, shop_id, action, reason, effective_day, until_day, episode_start, actor, role, decided_at, episode_level)
     VALUES ($id, $shopId, $action, $reason, $day::DATE, $until::DATE, $episodeStart::DATE, $actor, $role, now(), $episodeLevel)`,
    {
      id,
      shopId,
      action: body.action,
      reason: body.reason,
      day,
      until: body.until ?? null,
      episodeStart: episode?.start ?? null,
      episodeLevel: episode?.level ?? null,
      actor: who.subject,
      role: who.role,
    },
  );
  // The shared queue: the shop's queue entry as the reviewer saw it (before an early lift recomputes the day) is decided.
  const tookOverFrom = decides ? await markDecided(conn, who, shopId, day, episode) : null;
  if (body.action === 'lift_early' && options.refresh !== false) await refreshMetrics(conn, { from: day });
  await appendAudit(conn, who, `decision.${body.action}`, shopId, {
    decisionId: id,
    reason: body.reason,
    until: body.until ?? null,
    stateDate: day,
    episodeStart: episode?.start ?? null,
    episodeLevel: episode?.level ?? null,
    ...(tookOverFrom ? { tookOverFrom } : {}),
    numbers: before && {
      orders: before.orders,
      interventions: before.interventions,
      rate: before.rate,
      categoryMean: before.categoryMean,
      ratio: before.ratio,
      level: before.level,
      consecutiveFlaggedDays: before.consecutiveFlaggedDays,
      policyVersion: before.policyVersion,
    },
  });
  const row = await queryOne<Decision>(conn, `SELECT ${DECISION_COLUMNS} FROM decisions WHERE id = $id`, { id });
  return row!;
}

const APPEAL_COLUMNS = `id, shop_id AS "shopId", strftime(episode_start, '%Y-%m-%d') AS "episodeStart", level, text, state,
  created_by AS "createdBy", strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS "createdAt", answered_by AS "answeredBy",
  strftime(answered_at, '%Y-%m-%dT%H:%M:%SZ') AS "answeredAt", answer_reason AS "answerReason"`;

export async function fileAppeal(conn: DuckDBConnection, who: Principal, shopId: string, text: string): Promise<Appeal> {
  const range = await dataRange(conn);
  if (!range) throw notFound('no data has been loaded yet');
  const episode = await activeEpisode(conn, shopId, range.last);
  if (!episode) throw conflict(`shop ${shopId} has no restriction in force on ${range.last} to appeal`);
  const pending = await queryOne(conn, "SELECT 1 AS one FROM appeals WHERE shop_id = $shopId AND episode_start = $start::DATE AND state = 'pending'", {
    shopId,
    start: episode.start,
  });
  if (pending) throw conflict(`an appeal on the restriction since ${episode.start} is already waiting for an answer`);
  const id = await nextId(conn);
  await conn.run("INSERT INTO appeals VALUES ($id, $shopId, $start::DATE, $level, $text, 'pending', $actor, now(), NULL, NULL, NULL)", {
    id,
    shopId,
    start: episode.start,
    level: episode.level,
    text,
    actor: who.subject,
  });
  await appendAudit(conn, who, 'appeal.filed', shopId, { appealId: id, episodeStart: episode.start, level: episode.level, text });
  return (await queryOne<Appeal>(conn, `SELECT ${APPEAL_COLUMNS} FROM appeals WHERE id = $id`, { id }))!;
}

/**
 * One decision with one reason on several shops, in one transaction: each shop's decision is made and
 * audited on its own (as if taken one by one), and an early lift recomputes the levels once at the end.
 * If any shop cannot take it (no restriction in force, unknown), nothing is recorded.
 */
export async function decideMany(
  conn: DuckDBConnection,
  who: Principal,
  body: { shopIds: string[]; action: Decision['action']; reason: string; until?: string; reassign?: boolean },
): Promise<Decision[]> {
  // Every conflict at once, before anything is recorded: the shops someone else has in review, each with its holder.
  const range = await dataRange(conn);
  if (range && body.action !== 'note') await checkNotHeld(conn, who, body.shopIds, range.last, body.reassign);
  const decisions: Decision[] = [];
  for (const shopId of body.shopIds) {
    decisions.push(
      // The conflicts were checked above, for all of them at once.
      await decide(conn, who, shopId, { action: body.action, reason: body.reason, until: body.until, reassign: true }, { refresh: false }),
    );
  }
  if (body.action === 'lift_early' && range) await refreshMetrics(conn, { from: range.last });
  return decisions;
}

/**
 * Appeals as a queue: filtered by state, shops and category, oldest or newest first, each with its age in
 * days and — for reviewers (`withNumbers`) — the shop's numbers on the last day with data.
 */
export async function listAppeals(
  conn: DuckDBConnection,
  filter: { state?: string; shopIds?: string[]; categoryId?: string; order?: 'oldest' | 'newest'; withNumbers?: boolean },
): Promise<Appeal[]> {
  const rows = await queryRows<
    Appeal & {
      shopName: string | null;
      categoryId: string | null;
      dayLevel: Appeal['level'] | null;
      orders: number | null;
      interventions: number | null;
      rate: number | null;
      ratio: number | null;
      consecutiveFlaggedDays: number | null;
    }
  >(
    conn,
    `SELECT a.* EXCLUDE (sid, filed_at), datediff('day', a.filed_at, now())::INTEGER AS "ageDays",
       s.shop_name AS "shopName", s.category_id AS "categoryId", d.level AS "dayLevel", d.orders, d.interventions, d.rate, d.ratio,
       d.consecutive_flagged AS "consecutiveFlaggedDays"
     FROM (SELECT ${APPEAL_COLUMNS}, shop_id AS sid, created_at AS filed_at FROM appeals) a
     JOIN shops s ON s.shop_id = a.sid
     LEFT JOIN shop_days_on((SELECT last_day FROM data_range)) d ON d.shop_id = a.sid
     WHERE ($state::VARCHAR IS NULL OR a.state = $state) AND ($shops::VARCHAR[] IS NULL OR list_contains($shops::VARCHAR[], a.sid))
       AND ($categoryId::VARCHAR IS NULL OR s.category_id = $categoryId)
     ORDER BY CASE WHEN $oldest THEN a.id END ASC, a.id DESC LIMIT 1000`,
    {
      state: filter.state ?? null,
      shops: filter.shopIds ? JSON.stringify(filter.shopIds) : null,
      categoryId: filter.categoryId ?? null,
      oldest: filter.order === 'oldest',
    },
  );
  return rows.map(({ shopName, categoryId, dayLevel, orders, interventions, rate, ratio, consecutiveFlaggedDays, ...appeal }) => ({
    ...appeal,
    ...(filter.withNumbers
      ? {
          shop:
            dayLevel === null || shopName === null || categoryId === null
              ? null
              : {
                  shopName,
                  categoryId,
                  level: dayLevel,
                  orders: orders!,
                  interventions: interventions!,
                  rate,
                  ratio,
                  consecutiveFlaggedDays: consecutiveFlaggedDays!,
                },
        }
      : {}),
  }));
}

/**
 * A reviewer's answer; accepting lifts the restriction early, with the appeal as the reason. An answer on the
 * episode in force is a decision for the shared queue: it marks the shop's queue entry decided by the person who
 * answered, and, like a decision, is refused while someone else has the shop in review unless `reassign`.
 */
export async function answerAppeal(
  conn: DuckDBConnection,
  who: Principal,
  id: number,
  answer: { decision: 'accept' | 'reject'; reason: string; reassign?: boolean },
): Promise<Appeal> {
  const appeal = await queryOne<Appeal>(conn, `SELECT ${APPEAL_COLUMNS} FROM appeals WHERE id = $id`, { id });
  if (!appeal) throw notFound(`appeal ${id} is not known`);
  if (appeal.state !== 'pending') throw conflict(`appeal ${id} was already ${appeal.state}`);
  // Accepting lifts the episode appealed, if it is still the one in force; an episode that has lifted
  // already leaves nothing to lift, and a later episode is not the one appealed.
  const range = await dataRange(conn);
  const episode = range && (await activeEpisode(conn, appeal.shopId, range.last));
  const inForce = !!episode && episode.start === appeal.episodeStart;
  if (inForce) await checkNotHeld(conn, who, [appeal.shopId], range.last, answer.reassign);
  const state = answer.decision === 'accept' ? 'accepted' : 'rejected';
  await conn.run('UPDATE appeals SET state = $state, answered_by = $actor, answered_at = now(), answer_reason = $reason WHERE id = $id', {
    id,
    state,
    actor: who.subject,
    reason: answer.reason,
  });
  const lifts = answer.decision === 'accept' && inForce;
  // The early lift is a decision (it marks the queue entry, and its audit entry names whom it was taken from); any
  // other answer on the episode in force marks it here.
  const tookOverFrom = inForce && !lifts ? await markDecided(conn, who, appeal.shopId, range.last, episode) : null;
  await appendAudit(conn, who, `appeal.${state}`, appeal.shopId, {
    appealId: id,
    reason: answer.reason,
    episodeStart: appeal.episodeStart,
    liftsEpisode: lifts,
    ...(tookOverFrom ? { tookOverFrom } : {}),
  });
  if (lifts) await decide(conn, who, appeal.shopId, { action: 'lift_early', reason: `appeal ${id} accepted: ${answer.reason}`, reassign: true });
  const answered = (await queryOne<Appeal>(conn, `SELECT ${APPEAL_COLUMNS} FROM appeals WHERE id = $id`, { id }))!;
  // The seller's alert (appeal.answered), stored in this transaction.
  await recordAppealAnswered(conn, answered, lifts);
  return answered;
}
