// A seller appeals an active restriction with a text; both sides then see the state of the appeal.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { ApiError } from '../../lib/api';
import { useAppeals, useCreateAppeal } from '../../lib/queries';

const MIN_LENGTH = 10;

export function AppealPanel({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const appeals = useAppeals({ shopId });
  const createAppeal = useCreateAppeal(shopId);
  const [text, setText] = useState('');
  const [touched, setTouched] = useState(false);
  const textId = useId();
  const hintId = useId();
  const tooShort = text.trim().length < MIN_LENGTH;
  const pending = appeals.data?.items.find((appeal) => appeal.state === 'pending');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (tooShort) return;
    createAppeal.mutate(text.trim(), { onSuccess: () => setText('') });
  };

  return (
    <div className="appeal">
      <h3>{t('appeal.title')}</h3>
      {appeals.data && appeals.data.items.length > 0 && (
        <ul className="appeal-list">
          {appeals.data.items.map((appeal) => (
            <li key={appeal.id}>
              <span className={`pill pill-${appeal.state}`}>{t(`appeal.state.${appeal.state}`)}</span> {formatDateTime(appeal.createdAt, lang)} — {appeal.text}
              {appeal.answerReason && (
                <div className="muted">
                  {t('appeal.answer')}: {appeal.answerReason}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {pending ? (
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
      )}
    </div>
  );
}
