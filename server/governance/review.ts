// The shared queue's write side: reviewers claim a queued shop (it is in review, theirs), release it, or assign
// it to a named colleague; a decision marks it decided (by whom, when, on which restriction episode). The
// state belongs to the shop's current queue entry (server/read/review.ts), so a shop that leaves the queue and
// comes back starts as new. Claiming a shop someone else has is a conflict naming them, unless the request
// says `reassign`. Every claim, release and assignment is an audit entry naming the person.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Principal } from '../auth/tokens.js';
import type { ReviewAction, ShopReview } from '../contracts/governance.js';
import { conflict, notFound } from '../errors.js';
import { dataRange, shopExists } from '../read/queries.js';
import { queueEntries, reviewOf, shopReview, type QueueEntryRow } from '../read/review.js';
import { appendAudit } from './audit.js';

interface ReviewWrite {
  state: 'new' | 'in_review' | 'decided';
  assignee: string | null;
  /** Set the claim time to now (a new holder); otherwise it is cleared, or kept for a decision. */
  claimed: 'now' | 'clear' | 'keep';
  decided?: { by: string; episodeStart: string | null; episodeLevel: string | null };
}

/** Writes the entry's review row (one per shop and entry day; writes are serialized, so update-or-insert is safe). */
async function writeReview(conn: DuckDBConnection, entry: QueueEntryRow, who: Principal, write: ReviewWrite): Promise<void> {
  const params = {
    shopId: entry.shopId,
    enteredOn: entry.enteredOn,
    state: write.state,
    assignee: write.assignee,
    decidedBy: write.decided?.by ?? null,
    episodeStart: write.decided?.episodeStart ?? null,
    episodeLevel: write.decided?.episodeLevel ?? null,
    actor: who.subject,
  };
  const claimedAt = write.claimed === 'now' ? 'now()' : write.claimed === 'clear' ? 'NULL' : 'claimed_at';
  const decided = write.decided
    ? 'decided_by = $decidedBy, decided_at = now(), decided_episode_start = $episodeStart::DATE, decided_episode_level = $episodeLevel,'
    : '';
  if (entry.state !== null) {
    // DuckDB refuses named parameters that the text does not use.
    const { decidedBy: _by, episodeStart: _start, episodeLevel: _level, ...base } = params;
    await conn.run(
      `UPDATE queue_reviews SET state = $state, assignee = $assignee, claimed_at = ${claimedAt}, ${decided} updated_by = $actor, updated_at = now()
       WHERE shop_id = $shopId AND entered_on = $enteredOn::DATE`,
      write.decided ? params : base,
    );
    return;
  }
  await conn.run(
    `INSERT INTO queue_reviews (shop_id, entered_on, state, assignee, claimed_at, decided_by, decided_at, decided_episode_start, decided_episode_level,
       updated_by, updated_at)
     VALUES ($shopId, $enteredOn::DATE, $state, $assignee, ${write.claimed === 'now' ? 'now()' : 'NULL'}, $decidedBy,
       ${write.decided ? 'now()' : 'NULL'}, $episodeStart::DATE, $episodeLevel, $actor, now())`,
    params,
  );
}

/** A claim, release or assignment on the shop's queue entry on the last day with data. */
export async function reviewShop(conn: DuckDBConnection, who: Principal, shopId: string, body: ReviewAction, serviceDays: number): Promise<ShopReview> {
  const range = await dataRange(conn);
  if (!range) throw notFound('no data has been loaded yet');
  if (!(await shopExists(conn, shopId))) throw notFound(`shop ${shopId} is not known`);
  const entry = (await queueEntries(conn, range.last, shopId)).get(shopId);
  if (!entry) throw conflict(`shop ${shopId} is not in the queue on ${range.last} (its level is none)`);
  const now = reviewOf(entry, range.last, serviceDays);
  const holder = now.state === 'in_review' ? now.assignee : null;
  const heldBy = `shop ${shopId} is in review by ${holder}${now.claimedAt ? ` since ${now.claimedAt}` : ''}`;
  const me = who.subject;
  let write: ReviewWrite;
  switch (body.action) {
    case 'claim':
      if (holder === me) return shopReview(conn, range, shopId, serviceDays);
      if (holder !== null && !body.reassign) throw conflict(`${heldBy}; to take it over, claim it with reassign`);
      write = { state: 'in_review', assignee: me, claimed: 'now' };
      break;
    case 'assign': {
      const to = body.assignee!;
      if (holder === to) return shopReview(conn, range, shopId, serviceDays);
      if (holder !== null && holder !== me && !body.reassign) throw conflict(`${heldBy}; to give it to ${to}, assign it with reassign`);
      write = { state: 'in_review', assignee: to, claimed: 'now' };
      break;
    }
    case 'release':
      if (holder === null) throw conflict(`shop ${shopId} is not in review by anyone (${now.state})`);
      if (holder !== me && !body.reassign) throw conflict(`${heldBy}; only they can release it (or release it with reassign)`);
      write = { state: 'new', assignee: null, claimed: 'clear' };
      break;
  }
  await writeReview(conn, entry, who, write);
  await appendAudit(conn, who, `review.${body.action}`, shopId, {
    enteredOn: entry.enteredOn,
    stateDate: range.last,
    from: { state: now.state, assignee: now.assignee },
    to: { state: write.state, assignee: write.assignee },
  });
  return shopReview(conn, range, shopId, serviceDays);
}

/**
 * A decision on the shop marks its queue entry of `day` decided, by the person, on the episode (and level) the
 * decision was made on. The assignee stays (who worked it); nobody's: the decider. Not in the queue: nothing.
 */
export async function markDecided(
  conn: DuckDBConnection,
  who: Principal,
  shopId: string,
  day: string,
  episode: { start: string; level: string } | null,
): Promise<void> {
  const entry = (await queueEntries(conn, day, shopId)).get(shopId);
  if (!entry) return;
  const assignee = reviewOf(entry, day, 1).assignee ?? who.subject;
  await writeReview(conn, entry, who, {
    state: 'decided',
    assignee,
    claimed: 'keep',
    decided: { by: who.subject, episodeStart: episode?.start ?? null, episodeLevel: episode?.level ?? null },
  });
}
