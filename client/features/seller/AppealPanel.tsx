// A seller's appeals: the form (while restrictions are in force) and every appeal of the shop with its
// outcome — who decided, when and why, and what it did. An appeal belongs to the restriction episode it was
// filed on: accepting one whose episode had already ended lifts nothing, and the seller is told so.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatDateTime } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { ApiError } from '../../lib/api';
import { Section } from '../../lib/components/Section';
import { useAppeals, useCreateAppeal, useHistory, type Appeal, type History } from '../../lib/queries';

const MIN_LENGTH = 10;

/** What an answered appeal did: lifted its episode (on which day), or nothing (the episode had ended). */
export function appealEffect(appeal: Appeal, history: History | undefined): { kind: 'lifted' | 'nothing' | 'unknown'; day: string | null } {
  if (appeal.state !== 'accepted') return { kind: 'unknown', day: null };
  if (!history) return { kind: 'unknown', day: null };
  const episode = history.episodes.find((e) => e.start === appeal.episodeStart);
  // Accepting records a lift_early decision "appeal N accepted: …" only when it lifted the episode (server governance/decisions.ts).
  const lifted = history.decisions.some((d) => d.action === 'lift_early' && d.reason.startsWith(`appeal ${appeal.id} accepted`));
  return { kind: lifted ? 'lifted' : 'nothing', day: episode?.end ?? null };
}

function AppealItem({ appeal, history }: { appeal: Appeal; history: History | undefined }) {
  const { t } = useTranslation();
  const lang = useLang();
  const effect = appealEffect(appeal, history);
  const answered = { who: appeal.answeredBy ?? '—', at: formatDateTime(appeal.answeredAt, lang), reason: appeal.answerReason ?? '' };
  return (
    <li className="appeal-card" data-testid="appeal-item" data-state={appeal.state} data-effect={effect.kind}>
      <div className="appeal-head">
        <span className={`pill pill-${appeal.state}`}>{t(`appeal.state.${appeal.state}`)}</span>
        <span className="muted">
          {t('appealOutcome.about', { date: formatDate(appeal.episodeStart, lang), level: t(`level.${appeal.level}`) })} ·{' '}
          {t('appealOutcome.filed', { at: formatDateTime(appeal.createdAt, lang) })}
        </span>
      </div>
      <p className="appeal-text">{appeal.text}</p>
      {appeal.state === 'pending' && <p className="muted">{t('appealOutcome.pending')}</p>}
      {appeal.state !== 'pending' && (
        <p data-testid="appeal-decided">
          <strong>{t(`appealOutcome.decided.${appeal.state}`, answered)}</strong> {t('appealOutcome.why', { reason: answered.reason })}
        </p>
      )}
      {appeal.state === 'rejected' && <p className="muted">{t('appealOutcome.rejectedStays')}</p>}
      {effect.kind === 'lifted' && (
        <p data-testid="appeal-effect">{effect.day ? t('appealOutcome.lifted', { date: formatDate(effect.day, lang) }) : t('appealOutcome.liftedNoDay')}</p>
      )}
      {effect.kind === 'nothing' && (
        <p className="notice notice-info" data-testid="appeal-effect">
          {effect.day ? t('appealOutcome.nothing', { date: formatDate(effect.day, lang) }) : t('appealOutcome.nothingNoDay')}
        </p>
      )}
    </li>
  );
}

export function AppealPanel({ shopId, canFile }: { shopId: string; canFile: boolean }) {
  const { t } = useTranslation();
  const appeals = useAppeals({ shopId });
  const items = appeals.data?.items ?? [];
  const answered = items.some((a) => a.state === 'accepted');
  const history = useHistory(shopId, answered);
  const createAppeal = useCreateAppeal(shopId);
  const [text, setText] = useState('');
  const [touched, setTouched] = useState(false);
  const textId = useId();
  const hintId = useId();
  const tooShort = text.trim().length < MIN_LENGTH;
  const pending = items.find((appeal) => appeal.state === 'pending');
  if (!canFile && items.length === 0) return null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (tooShort) return;
    createAppeal.mutate(text.trim(), { onSuccess: () => setText('') });
  };

  return (
    <Section title={t('appeal.title')} testId="appeal-panel">
      {items.length > 0 && (
        <>
          <h3>{t('appealOutcome.history')}</h3>
          <ul className="appeal-cards" data-testid="appeal-history">
            {items.map((appeal) => (
              <AppealItem key={appeal.id} appeal={appeal} history={history.data} />
            ))}
          </ul>
        </>
      )}
      {canFile &&
        (pending ? (
          <p className="muted">{t('appeal.pendingExists')}</p>
        ) : (
          <form onSubmit={submit} noValidate>
            <label htmlFor={textId}>{t('appeal.label')}</label>
            <textarea
              id={textId}
              rows={3}
              value={text}
              onChange={(e) => setText(e.target.value)}
              onBlur={() => setTouched(true)}
              aria-describedby={hintId}
              aria-invalid={touched && tooShort}
              required
              minLength={MIN_LENGTH}
              maxLength={5000}
            />
            <p id={hintId} className={touched && tooShort ? 'field-error' : 'muted'}>
              {t('appeal.hint', { min: MIN_LENGTH })}
            </p>
            <button type="submit" className="button button-primary" disabled={createAppeal.isPending}>
              {createAppeal.isPending ? t('common.working') : t('appeal.submit')}
            </button>
            {createAppeal.isSuccess && (
              <p role="status" className="field-ok">
                {t('appeal.sent')}
              </p>
            )}
            {createAppeal.isError && (
              <p role="alert" className="field-error">
                {createAppeal.error instanceof ApiError ? createAppeal.error.message : String(createAppeal.error)}
              </p>
            )}
          </form>
        ))}
    </Section>
  );
}
