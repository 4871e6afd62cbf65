// DESIGN §3 small categories: below the minimum of other shops with orders, a seller sees that the category
// is too small to compare (the figures are null in the API), never an empty or broken chart. A reviewer
// still sees the figures, with a note that the seller does not.
import { useTranslation } from 'react-i18next';

/** True when the answer had its category figures withheld (a seller, a small category). */
export function isWithheld(data: { categoryComparable?: boolean }, figures: readonly (number | null | undefined)[]): boolean {
  return data.categoryComparable === false && figures.every((f) => f === null || f === undefined);
}

export function CategoryTooSmall({ min, testId = 'category-too-small' }: { min: number | undefined; testId?: string }) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-info" role="note" data-testid={testId}>
      <p className="notice-title">{t('smallCategory.title')}</p>
      <p>{t('smallCategory.body', { min: min ?? '' })}</p>
    </div>
  );
}

/** For a reviewer: the figures shown here are withheld from the shop's seller. */
export function WithheldFromSeller({ min }: { min: number | undefined }) {
  const { t } = useTranslation();
  return (
    <p className="muted" data-testid="category-withheld-from-seller">
      {t('smallCategory.reviewer', { min: min ?? '' })}
    </p>
  );
}
