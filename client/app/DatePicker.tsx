// The stat date: defaults to the latest day with data; bounded by the data's first and last days. A day
// typed outside them is not taken silently: the picker says which days there are.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, isIsoDay } from '../lib/format';
import { useLang } from '../lib/i18n';
import { navigate } from '../lib/url-state';

export function DatePicker({ date, min, max }: { date: string; min?: string | null; max: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const id = useId();
  const errorId = useId();
  const [outside, setOutside] = useState(false);
  return (
    <div className="field-inline">
      <label htmlFor={id}>{t('app.statDate')}</label>
      <input
        id={id}
        type="date"
        value={date}
        min={min ?? undefined}
        max={max}
        data-testid="date-picker"
        aria-invalid={outside}
        aria-describedby={outside ? errorId : undefined}
        onChange={(event) => {
          const value = event.target.value;
          if (!isIsoDay(value)) return;
          if (value > max || (min && value < min)) {
            setOutside(true);
            return;
          }
          setOutside(false);
          // The latest day is the default: keep it out of the address so links follow new data.
          navigate({ date: value === max ? null : value });
        }}
      />
      {outside && (
        <span id={errorId} className="field-error" role="alert" data-testid="date-picker-outside">
          {t('dateFix.pick', { from: formatDate(min ?? null, lang), to: formatDate(max, lang) })}
        </span>
      )}
    </div>
  );
}
