// The stat date: defaults to the latest day with data; bounded by the data's first and last days.
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { isIsoDay } from '../lib/format';
import { navigate } from '../lib/url-state';

export function DatePicker({ date, min, max }: { date: string; min?: string | null; max: string }) {
  const { t } = useTranslation();
  const id = useId();
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
        onChange={(event) => {
          const value = event.target.value;
          if (!isIsoDay(value) || value > max || (min && value < min)) return;
          // The latest day is the default: keep it out of the address so links follow new data.
          navigate({ date: value === max ? null : value });
        }}
      />
    </div>
  );
}
