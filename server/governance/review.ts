// The shared queue's write side: reviewers claim a queued shop (it is in review, theirs), release it, or assign
// it to a named colleague; a decision marks it decided (by whom, when, on which restriction episode); a note
// does not. The state belongs to the shop's current queue entry (server/read/review.ts), so a shop that leaves
// the queue and comes back starts as new. Claims protect work: claiming or assigning a shop someone else has,
// reopening a decided one, and deciding one that someone else has in review are conflicts (409) naming the
// person, unless the request says `reassign`. When an entry leaves `decided` its decider and time are cleared
// (the audit log keeps them). Every claim, release and assignment is an audit entry naming the person.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Principal } from '../auth/tokens.js';
import type { Review, ReviewAction, ShopReview } from '../contracts/governance.js';
import { HttpError, conflict, notFound } from '../errors.js';
import { dataRange, shopExists } from '../read/queries.js';
import { queueEntries, reviewOf, shopReview, type QueueEntryRow } from '../read/review.js';
import { appendAudit } from './audit.js';

/**
 * The two conflicts a reviewer can resolve by saying `reassign`, told apart by their code so that the dashboard can
 * offer the right way out: someone else has the shop in review (take it over), or it was decided (reopen it).
 */
const heldElsewhere = (message: string) => new HttpError(409, 'held', message);
const alreadyDecided = (message: string) => new HttpError(409, 'decided', message);

interface ReviewWrite {
  state: 'new' | 'in_review' | 'decided';
  assignee: string | null;
  /** Set the claim time to now (a new holder); otherwise it is cleared, or kept for a decision. */
  claimed: 'now' | 'clear' | 'keep';
  /** Deciding: who, on which episode. Any other write clears the decider, the time and the episode. */
  decided?: { by: string; episodeStart: string | null; episodeLevel: string | null };
}

/**
 * Writes the entry's review row: the row it carries (under that row's key, which a correction may have moved
 * away from the entry's first day), or a new row keyed on the entry's first day. Writes are serialized, so
 * update-or-insert is safe.
 */
async function writeReview(conn: DuckDBConnection, entry: QueueEntryRow, who: Principal, write: ReviewWrite): Promise<void> {
  const params = {
    shopId: entry.shopId,
    key: entry.reviewKey ?? entry.enteredOn,
    state: write.state,
    assignee: write.assignee,
    decidedBy: write.decided?.by ?? null,
    episodeStart: write.decided?.episodeStart ?? null,
    episodeLevel: write.decided?.episodeLevel ?? null,
    actor: who.subject,
  };
  const claimedAt = write.claimed === 'now' ? 'now()' : write.claimed === 'clear' ? 'NULL' : 'claimed_at';
  const decidedAt = write.decided ? 'now()' : 'NULL';
  if (entry.reviewKey !== null) {
    await conn.run(
      `UPDATE queue_reviews SET state = $state, assignee = $assignee, claimed_at = ${claimedAt}, decided_by = $decidedBy, decided_at = ${decidedAt},
         decided_episode_start = $episodeStart::DATE, decided_episode_level = $episodeLevel, updated_by = $actor, updated_at = now()
       WHERE shop_id = $shopId AND entered_on = $key::DATE`,
      params,
    );
    return;
  }
  await conn.run(
    `INSERT INTO queue_reviews (shop_id, entered_on, state, assignee, claimed_at, decided_by, decided_at, decided_episode_start, decided_episode_level,
       updated_by, updated_at)
     VALUES ($shopId, $key::DATE, $state, $assignee, ${write.claimed === 'now' ? 'now()' : 'NULL'}, $decidedBy, ${decidedAt}, $episodeStart::DATE,
       $episodeLevel, $actor, now())`,
    params,
  );
}

/** Who has the entry in review (null: nobody), and the words that name them. */
function holderOf(shopId: string, review: Review): { holder: string | null; heldBy: string } {
  const holder = review.state === 'in_review' ? review.assignee : null;
  return { holder, heldBy: `shop ${shopId} is in review by ${holder}${review.claimedAt ? ` since ${review.claimedAt}` : ''}` };
}

/** A claim, release or assignment on the shop's queue entry on the last day with data. */
export async function reviewShop(conn: DuckDBConnection, who: Principal, shopId: string, body: ReviewAction, serviceDays: number): Promise<ShopReview> {
  const range = await dataRange(conn);
  if (!range) throw notFound('no data has been loaded yet');
  if (!(await shopExists(conn, shopId))) throw notFound(`shop ${shopId} is not known`);
  const entry = (await queueEntries(conn, range.last, shopId)).get(shopId);
  if (!entry) throw conflict(`shop ${shopId} is not in the queue on ${range.last} (its level is none)`);
  const now = reviewOf(entry, range.last, serviceDays);
  const { holder, heldBy } = holderOf(shopId, now);
  // A decided entry is reopened only on purpose: the decision stands until someone says they take it up again.
  const decidedBy = `shop ${shopId} was decided by ${now.decidedBy}${now.decidedAt ? ` at ${now.decidedAt}` : ''}`;
  const decided = now.state === 'decided' && !body.reassign;
  const me = who.subject;
  let write: ReviewWrite;
  switch (body.action) {
    case 'claim':
      if (holder === me) return shopReview(conn, range, shopId, serviceDays);
      if (holder !== null && !body.reassign) throw heldElsewhere(`${heldBy}; to take it over, claim it with reassign`);
      if (decided) throw alreadyDecided(`${decidedBy}; to reopen it, claim it with reassign`);
      write = { state: 'in_review', assignee: me, claimed: 'now' };
      break;
    case 'assign': {
      const to = body.assignee!;
      if (holder === to) return shopReview(conn, range, shopId, serviceDays);
      if (holder !== null && holder !== me && !body.reassign) throw heldElsewhere(`${heldBy}; to give it to ${to}, assign it with reassign`);
      if (decided) throw alreadyDecided(`${decidedBy}; to reopen it for ${to}, assign it with reassign`);
      write = { state: 'in_review', assignee: to, claimed: 'now' };
      break;
    }
    case 'release':
      if (holder === null) throw conflict(`shop ${shopId} is not in review by anyone (${now.state})`);
      if (holder !== me && !body.reassign) throw heldElsewhere(`${heldBy}; only they can release it (or release it with reassign)`);
      write = { state: 'new', assignee: null, claimed: 'clear' };
      break;
  }
  await writeReview(conn, entry, who, write);
  await appendAudit(conn, who, `review.${body.action}`, shopId, {
    enteredOn: entry.enteredOn,
    stateDate: range.last,
    from: { state: now.state, assignee: now.assignee, ...(now.state === 'decided' ? { decidedBy: now.decidedBy, decidedAt: now.decidedAt } : {}) },
    to: { state: write.state, assignee: write.assignee },
  });
  return shopReview(conn, range, shopId, serviceDays);
}

/**
 * Claims protect work: before a decision on these shops (on `day`), the shops someone other than the decider has
 * in review. Unless `reassign`, any is a conflict naming each shop and its holder, and nothing is recorded.
 */
export async function checkNotHeld(conn: DuckDBConnection, who: Principal, shopIds: string[], day: string, reassign: boolean | undefined): Promise<void> {
  if (reassign) return;
  const entries = await queueEntries(conn, day, shopIds.length === 1 ? shopIds[0] : null);
  const held = shopIds.flatMap((shopId) => {
    const entry = entries.get(shopId);
    const { holder, heldBy } = entry ? holderOf(shopId, reviewOf(entry, day, 1)) : { holder: null, heldBy: '' };
    return holder !== null && holder !== who.subject ? [heldBy] : [];
  });
  if (held.length === 0) return;
  if (shopIds.length === 1) throw heldElsewhere(`${held[0]}; to decide it anyway, take it over (send reassign: true)`);
  throw heldElsewhere(
    `${held.length} of the ${shopIds.length} shops are in review by someone else, so nothing was recorded: ${held.join('; ')}. ` +
      'To decide them anyway, take them over (send reassign: true), or leave them out',
  );
}

/**
 * A decision on the shop marks its queue entry of `day` decided, by the person, on the episode (and level) the
 * decision was made on. The assignee stays (who worked it) unless the decider took it over from someone else;
 * nobody's: the decider. Not in the queue: nothing. A note is not a decision: the caller does not mark it.
 * Answers who had it in review before, when that was someone else (the decision took it over).
 */
export async function markDecided(
  conn: DuckDBConnection,
  who: Principal,
  shopId: string,
  day: string,
  episode: { start: string; level: string } | null,
): Promise<string | null> {
  const entry = (await queueEntries(conn, day, shopId)).get(shopId);
  if (!entry) return null;
  const before = reviewOf(entry, day, 1);
  const { holder } = holderOf(shopId, before);
  const tookOver = holder !== null && holder !== who.subject ? holder : null;
  await writeReview(conn, entry, who, {
    state: 'decided',
    assignee: tookOver ? who.subject : (before.assignee ?? who.subject),
    claimed: tookOver ? 'now' : 'keep',
    decided: { by: who.subject, episodeStart: episode?.start ?? null, episodeLevel: episode?.level ?? null },
  });
  return tookOver;
}
