// Sellers' appeals against active restrictions; a reviewer accepts or rejects each with a reason.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DecisionError } from './ReviewControls';
import { formatDate, formatDateTime, formatNumber, formatPercent, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { oneOf, patchedUrl, useUrlState } from '../../lib/url-state';
import { Section } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useQuery } from '@tanstack/react-query';
import { ConfirmDialog } from '../../lib/components/ConfirmDialog';
import { forecastQueryOptions, useAnswerAppeal, useAppeals, useCategories, useHealth, useHistory, type Appeal, type AppealState } from '../../lib/queries';
import { ReturnsLines } from '../seller/ReturnsNotice';
import { appealEffect } from '../seller/AppealPanel';

const STATES = ['pending', 'accepted', 'rejected', 'all'] as const;

/**
 * What accepting would do, said before it is done: it lifts the appealed episode today — unless that
 * episode has ended already (then it lifts nothing) — and, while the shop stays flagged, when restrictions
 * would come back if nothing changes (the forecast's returnsIfLifted).
 */
function AcceptWarning({ appeal }: { appeal: Appeal }) {
  const { t } = useTranslation();
  const lang = useLang();
  const last = useHealth().data?.dataThrough ?? null;
  const history = useHistory(appeal.shopId);
  const forecast = useQuery({ ...forecastQueryOptions(appeal.shopId, last ?? ''), enabled: last !== null });
  const episode = history.data?.episodes.find((e) => e.start === appeal.episodeStart);
  if (history.isPending || forecast.isPending) return <p className="muted">{t('state.loading')}</p>;
  if (episode?.end) {
    return (
      <p className="notice notice-info" data-testid="accept-lifts-nothing">
        {t('appealAccept.alreadyEnded', { start: formatDate(appeal.episodeStart, lang), end: formatDate(episode.end, lang) })}
      </p>
    );
  }
  const returns = forecast.data?.returnsIfLifted ?? null;
  return (
    <>
      <p>{t('appealAccept.lifts', { start: formatDate(appeal.episodeStart, lang), date: formatDate(last, lang) })}</p>
      {returns && (returns.restrictedOn || returns.severeOn) ? (
        <div className="notice notice-warn" data-testid="accept-returns">
          <p className="notice-title">{t('appealAccept.stillFlagged')}</p>
          <ReturnsLines returns={returns} testId="accept-returns-lines" />
        </div>
      ) : (
        <p className="muted">{t('appealAccept.noReturn')}</p>
      )}
    </>
  );
}

/** What an accepted appeal did, as its seller sees it: lifted its episode, or nothing (it had ended). */
function AcceptedEffect({ appeal }: { appeal: Appeal }) {
  const { t } = useTranslation();
  const lang = useLang();
  const effect = appealEffect(appeal, useHistory(appeal.shopId).data);
  if (effect.kind === 'unknown') return null;
  return (
    <p className="muted" data-testid="appeal-effect">
      {effect.kind === 'lifted'
        ? effect.day
          ? t('appealOutcome.lifted', { date: formatDate(effect.day, lang) })
          : t('appealOutcome.liftedNoDay')
        : effect.day
          ? t('appealOutcome.nothing', { date: formatDate(effect.day, lang) })
          : t('appealOutcome.nothingNoDay')}
    </p>
  );
}

function AnswerForm({ appeal }: { appeal: Appeal }) {
  const { t } = useTranslation();
  const answer = useAnswerAppeal();
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const reasonId = useId();
  const tooShort = reason.trim().length < 3;
  const [last, setLast] = useState<'accept' | 'reject'>('reject');
  // reassign: after the server refused because someone else has the shop in review (its queue entry is decided by the answer).
  const send = (decision: 'accept' | 'reject', reassign?: boolean) => {
    setTried(true);
    if (tooShort) return;
    setLast(decision);
    answer.mutate({ id: appeal.id, decision, reason: reason.trim(), reassign }, { onSettled: () => setConfirming(false) });
  };
  return (
    <div className="answer-form">
      <label htmlFor={reasonId}>{t('appeals.answerReason', { id: appeal.id })}</label>
      <textarea id={reasonId} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={tried && tooShort} required />
      {tried && tooShort && <p className="field-error">{t('decision.errors.reason')}</p>}
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          onClick={() => {
            setTried(true);
            if (!tooShort) setConfirming(true);
          }}
          disabled={answer.isPending}
        >
          {t('appealAccept.acceptEllipsis')}
        </button>
        <button type="button" className="button button-danger" onClick={() => send('reject')} disabled={answer.isPending}>
          {t('appeals.reject')}
        </button>
      </div>
      {confirming && (
        <ConfirmDialog
          title={t('appealAccept.title', { id: appeal.id, shop: appeal.shopId })}
          confirmLabel={t('appeals.accept')}
          onConfirm={() => send('accept')}
          onCancel={() => setConfirming(false)}
          busy={answer.isPending}
        >
          <AcceptWarning appeal={appeal} />
        </ConfirmDialog>
      )}
      {answer.isError && <DecisionError error={answer.error} busy={answer.isPending} onTakeOver={() => send(last, true)} />}
    </div>
  );
}

/** The shop's numbers today, inline in the queue (reviewers): where it stands while the appeal waits. */
function ShopNumbers({ shop }: { shop: NonNullable<Appeal['shop']> }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <p className="muted" data-testid="appeal-shop-numbers">
      {shop.shopName} · {t('appeals.now')} <LevelBadge level={shop.level} /> ·{' '}
      {t('appeals.numbers', {
        interventions: formatNumber(shop.interventions, lang),
        orders: formatNumber(shop.orders, lang),
        rate: formatPercent(shop.rate, lang),
        ratio: formatRatio(shop.ratio, lang),
        days: shop.consecutiveFlaggedDays,
      })}
    </p>
  );
}

export function AppealsList({ shopId, state, categoryId, order }: { shopId?: string; state?: AppealState; categoryId?: string; order?: 'oldest' | 'newest' }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const appeals = useAppeals({ shopId, state, categoryId, order });
  return (
    <QueryState query={appeals} isEmpty={(data) => data.items.length === 0} empty={t('appeals.empty')}>
      {(data) => (
        <ul className="appeal-cards" data-testid="appeals-list">
          {data.items.map((appeal) => (
            <li key={appeal.id} className="appeal-card">
              <div className="appeal-head">
                <span className={`pill pill-${appeal.state}`}>{t(`appeal.state.${appeal.state}`)}</span>
                {!shopId && (
                  <a
                    href={patchedUrl(url.params.toString(), { tab: 'shop', shop: appeal.shopId })}
                    onClick={(e) => {
                      if (e.metaKey || e.ctrlKey || e.shiftKey) return;
                      e.preventDefault();
                      url.set({ tab: 'shop', shop: appeal.shopId });
                    }}
                    className="mono"
                  >
                    {appeal.shopId}
                  </a>
                )}
                <LevelBadge level={appeal.level} />
                {appeal.ageDays !== undefined && (
                  <span className={`pill ${appeal.state === 'pending' && appeal.ageDays >= 3 ? 'pill-rejected' : 'pill-neutral'}`} data-testid="appeal-age">
                    {t('appeals.age', { count: appeal.ageDays })}
                  </span>
                )}
                <span className="muted">
                  {t('appeals.episode', { date: formatDate(appeal.episodeStart, lang) })} · {appeal.createdBy} · {formatDateTime(appeal.createdAt, lang)}
                </span>
              </div>
              {appeal.shop && <ShopNumbers shop={appeal.shop} />}
              <p className="appeal-text">{appeal.text}</p>
              {appeal.state === 'pending' ? (
                <AnswerForm appeal={appeal} />
              ) : (
                <>
                  <p className="muted">
                    {t('appeals.answered', { who: appeal.answeredBy ?? '—', at: formatDateTime(appeal.answeredAt, lang) })}: {appeal.answerReason}
                  </p>
                  {appeal.state === 'accepted' && <AcceptedEffect appeal={appeal} />}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </QueryState>
  );
}

const ORDERS = ['oldest', 'newest'] as const;

/** The appeals queue: pending ones oldest first by default, filtered by state and category, in the address. */
export function AppealsPanel({ date }: { date?: string }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const stateId = useId();
  const categoryId = useId();
  const orderId = useId();
  const state = oneOf(url.get('appealState'), STATES, 'pending');
  const order = oneOf(url.get('appealOrder'), ORDERS, state === 'pending' ? 'oldest' : 'newest');
  const category = url.get('appealCategory') ?? undefined;
  const categories = useCategories(date ?? '', date !== undefined);
  return (
    <Section
      title={t('appeals.title')}
      actions={
        <div className="filters">
          <div className="field-inline">
            <label htmlFor={stateId}>{t('appeals.state')}</label>
            <select id={stateId} value={state} onChange={(e) => url.set({ appealState: e.target.value === 'pending' ? null : e.target.value })}>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s === 'all' ? t('appeals.all') : t(`appeal.state.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="field-inline">
            <label htmlFor={categoryId}>{t('appeals.category')}</label>
            <select id={categoryId} value={category ?? ''} onChange={(e) => url.set({ appealCategory: e.target.value || null })} data-testid="appeals-category">
              <option value="">{t('appeals.allCategories')}</option>
              {(categories.data?.categories ?? []).map((c) => (
                <option key={c.categoryId} value={c.categoryId}>
                  {c.categoryName}
                </option>
              ))}
            </select>
          </div>
          <div className="field-inline">
            <label htmlFor={orderId}>{t('appeals.order')}</label>
            <select id={orderId} value={order} onChange={(e) => url.set({ appealOrder: e.target.value })} data-testid="appeals-order">
              {ORDERS.map((o) => (
                <option key={o} value={o}>
                  {t(`appeals.orderBy.${o}`)}
                </option>
              ))}
            </select>
          </div>
        </div>
      }
    >
      <AppealsList state={state === 'all' ? undefined : state} categoryId={category} order={order} />
    </Section>
  );
}
