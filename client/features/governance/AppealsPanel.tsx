// Sellers' appeals against active restrictions; a reviewer accepts or rejects each with a reason.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../lib/api';
import { formatDate, formatDateTime } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { oneOf, patchedUrl, useUrlState } from '../../lib/url-state';
import { Section } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useAnswerAppeal, useAppeals, type Appeal, type AppealState } from '../../lib/queries';

const STATES = ['pending', 'accepted', 'rejected', 'all'] as const;

function AnswerForm({ appeal }: { appeal: Appeal }) {
  const { t } = useTranslation();
  const answer = useAnswerAppeal();
  const [reason, setReason] = useState('');
  const [tried, setTried] = useState(false);
  const reasonId = useId();
  const tooShort = reason.trim().length < 3;
  const send = (decision: 'accept' | 'reject') => {
    setTried(true);
    if (tooShort) return;
    answer.mutate({ id: appeal.id, decision, reason: reason.trim() });
  };
  return (
    <div className="answer-form">
      <label htmlFor={reasonId}>{t('appeals.answerReason', { id: appeal.id })}</label>
      <textarea id={reasonId} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={tried && tooShort} required />
      {tried && tooShort && <p className="field-error">{t('decision.errors.reason')}</p>}
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={() => send('accept')} disabled={answer.isPending}>
          {t('appeals.accept')}
        </button>
        <button type="button" className="button button-danger" onClick={() => send('reject')} disabled={answer.isPending}>
          {t('appeals.reject')}
        </button>
      </div>
      {answer.isError && (
        <p role="alert" className="field-error">
          {answer.error instanceof ApiError ? answer.error.message : String(answer.error)}
        </p>
      )}
    </div>
  );
}

export function AppealsList({ shopId, state }: { shopId?: string; state?: AppealState }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const appeals = useAppeals({ shopId, state });
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
                <span className="muted">
                  {t('appeals.episode', { date: formatDate(appeal.episodeStart, lang) })} · {appeal.createdBy} · {formatDateTime(appeal.createdAt, lang)}
                </span>
              </div>
              <p className="appeal-text">{appeal.text}</p>
              {appeal.state === 'pending' ? (
                <AnswerForm appeal={appeal} />
              ) : (
                <p className="muted">
                  {t('appeals.answered', { who: appeal.answeredBy ?? '—', at: formatDateTime(appeal.answeredAt, lang) })}: {appeal.answerReason}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </QueryState>
  );
}

export function AppealsPanel() {
  const { t } = useTranslation();
  const url = useUrlState();
  const stateId = useId();
  const state = oneOf(url.get('appealState'), STATES, 'pending');
  return (
    <Section
      title={t('appeals.title')}
      actions={
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
      }
    >
      <AppealsList state={state === 'all' ? undefined : state} />
    </Section>
  );
}
