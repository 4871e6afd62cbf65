// The shared queue on the screen: a shop's review state and who has it, its age in the queue (marked in words
// past the service time, not by colour alone), and the Claim / Release / Take over / Reopen / Assign actions. A
// conflict (someone else claimed it first, or decided it) shows the server's message, which names them; a decision
// refused because someone else has the shop in review offers "Take over and decide" (DecisionError).
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../lib/api';
import { formatDate, formatDateTime } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { useReview, useReviewAction, type Review } from '../../lib/queries';

/** Hours since a timestamp (whole hours, never negative). */
function hoursSince(timestamp: string | null): number | null {
  if (!timestamp) return null;
  const ms = Date.now() - Date.parse(timestamp);
  return Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 3_600_000)) : null;
}

/** The state in words and who has it or decided it (`pillOnly`: the state alone, where a sentence beside it names the person). */
export function ReviewStateCell({ review, me, pillOnly }: { review: Review | undefined; me?: string; pillOnly?: boolean }) {
  const { t } = useTranslation();
  if (!review) return <>—</>;
  const who = (name: string | null) => (name && name === me ? t('review.you') : (name ?? t('review.nobody')));
  return (
    <span className="review-state" data-testid="review-state" data-state={review.state}>
      <span className={`pill ${review.state === 'in_review' ? 'pill-pending' : review.state === 'decided' ? 'pill-accepted' : 'pill-neutral'}`}>
        {t(`review.state.${review.state}`)}
      </span>
      {!pillOnly && review.state === 'in_review' && review.assignee && (
        <span className="muted" data-testid="review-assignee">
          {' '}
          {t('review.claimedBy', { who: who(review.assignee) })}
        </span>
      )}
      {!pillOnly && review.state === 'decided' && review.decidedBy && <span className="muted"> {t('review.decidedBy', { who: who(review.decidedBy) })}</span>}
    </span>
  );
}

/**
 * Days in the queue, and past the service time in words (never by colour alone). `compact` (a queue row) says
 * "Overdue", with the full sentence as its accessible name and tooltip.
 */
export function ReviewAgeCell({ review, serviceDays, compact }: { review: Review | undefined; serviceDays: number | undefined; compact?: boolean }) {
  const { t } = useTranslation();
  const lang = useLang();
  if (!review) return <>—</>;
  const hours = review.state === 'in_review' ? hoursSince(review.claimedAt) : null;
  const past = serviceDays === undefined ? t('review.pastServiceShort') : t('review.pastService', { days: serviceDays });
  return (
    <span className="review-age" data-testid="review-age" data-age-days={review.ageDays}>
      <span title={t('review.since', { date: formatDate(review.enteredOn, lang) })}>{t('review.days', { count: review.ageDays })}</span>
      {review.pastService && (
        <>
          {' '}
          <span className="pill pill-rejected" data-testid="past-service" title={past} aria-label={past} role="img">
            ⚠ {compact ? t('review.pastServiceShort') : past}
          </span>
        </>
      )}
      {hours !== null && hours > 0 && (
        <span className="muted" data-testid="claimed-hours">
          {' '}
          · {t('review.hours', { count: hours })}
        </span>
      )}
    </span>
  );
}

/**
 * Claim (new), Release (mine), Take over (someone else's) or Reopen (decided: the server refuses a plain claim on
 * a decided shop, so reopening is said in words) — one button for a queue row.
 */
export function ReviewButton({ shopId, review, me }: { shopId: string; review: Review | undefined; me?: string }) {
  const { t } = useTranslation();
  const act = useReviewAction(shopId);
  if (!review) return null;
  const mine = review.state === 'in_review' && review.assignee !== null && review.assignee === me;
  const others = review.state === 'in_review' && !mine ? review.assignee : null;
  const decided = review.state === 'decided';
  const label = mine ? t('review.release') : others ? t('review.takeOver') : decided ? t('review.reopen') : t('review.claim');
  const name = mine
    ? t('review.releaseShop', { shop: shopId })
    : others
      ? t('review.takeOverShop', { shop: shopId, who: others })
      : decided
        ? t('review.reopenShop', { shop: shopId, who: review.decidedBy ?? t('review.nobody') })
        : t('review.claimShop', { shop: shopId });
  return (
    <span className="review-action">
      <button
        type="button"
        className={`button ${mine ? '' : 'button-primary'}`}
        aria-label={name}
        disabled={act.isPending}
        data-testid={`review-${mine ? 'release' : 'claim'}-${shopId}`}
        onClick={() => act.mutate(mine ? { action: 'release' } : others || decided ? { action: 'claim', reassign: true } : { action: 'claim' })}
      >
        {act.isPending ? t('common.working') : label}
      </button>
      {act.isError && (
        <span role="alert" className="field-error" data-testid="review-error">
          {' '}
          {act.error instanceof ApiError ? act.error.message : String(act.error)}
        </span>
      )}
    </span>
  );
}

/**
 * A decision's error. When someone else has the shop in review (409 `held`, the message names them and since
 * when) it offers to take it over and decide anyway (`onTakeOver` sends the same decision with reassign).
 */
export function DecisionError({ error, busy, onTakeOver }: { error: unknown; busy: boolean; onTakeOver: () => void }) {
  const { t } = useTranslation();
  const held = error instanceof ApiError && error.status === 409 && error.code === 'held';
  return (
    <div role="alert" className="field-error" data-testid="decision-error">
      <p>{error instanceof ApiError ? error.message : String(error)}</p>
      {held && (
        <button type="button" className="button" disabled={busy} onClick={onTakeOver} data-testid="take-over-decide">
          {busy ? t('common.working') : t('review.takeOverAndDecide')}
        </button>
      )}
    </div>
  );
}

/** The shop page's review bar: state, who has it, age, and the actions (claim, release, take over, assign). */
export function ReviewBar({ shopId, me }: { shopId: string; me?: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const query = useReview(shopId);
  const act = useReviewAction(shopId);
  const [assignee, setAssignee] = useState('');
  const assigneeId = useId();
  const data = query.data;
  if (!data) return null;
  const review = data.review;
  if (!review)
    return (
      <p className="muted" data-testid="review-bar" data-state="none">
        {t('review.notInQueue', { date: formatDate(data.date, lang) })}
      </p>
    );
  const who = (name: string | null) => (name && name === me ? t('review.you') : (name ?? t('review.nobody')));
  const line =
    review.state === 'in_review'
      ? t('review.inReviewLine', { who: who(review.assignee), time: formatDateTime(review.claimedAt, lang) })
      : review.state === 'decided'
        ? t('review.decidedLine', { who: who(review.decidedBy), time: formatDateTime(review.decidedAt, lang) })
        : t('review.newLine');
  return (
    <div className="review-bar" data-testid="review-bar" data-state={review.state}>
      <p>
        <ReviewStateCell review={review} me={me} pillOnly /> <span data-testid="review-line">{line}</span>{' '}
        <span className="muted">{t('review.ageLine', { days: t('review.days', { count: review.ageDays }), date: formatDate(review.enteredOn, lang) })}</span>
        {review.pastService && (
          <span className="pill pill-rejected" data-testid="past-service">
            {' '}
            ⚠ {t('review.pastService', { days: data.serviceDays })}
          </span>
        )}
      </p>
      <div className="action-bar-buttons">
        <ReviewButton shopId={shopId} review={review} me={me} />
        <form
          className="field-inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (assignee.trim()) act.mutate({ action: 'assign', assignee: assignee.trim() }, { onSuccess: () => setAssignee('') });
          }}
        >
          <label htmlFor={assigneeId}>{t('review.assignTo')}</label>
          <input
            id={assigneeId}
            value={assignee}
            placeholder={t('review.assigneePlaceholder')}
            onChange={(e) => setAssignee(e.target.value)}
            maxLength={200}
            data-testid="review-assignee-input"
          />
          <button type="submit" className="button" disabled={act.isPending || assignee.trim() === ''} data-testid="review-assign">
            {t('review.assign')}
          </button>
        </form>
        {act.isError && (
          <span role="alert" className="field-error">
            {act.error instanceof ApiError ? act.error.message : String(act.error)}
          </span>
        )}
      </div>
    </div>
  );
}
