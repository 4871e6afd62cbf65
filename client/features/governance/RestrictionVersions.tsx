// The restrictions in force on a day, each with the policy version that made it (restriction_episodes.policy_version).
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import type { ShopMetrics } from '../../lib/queries';

export function RestrictionVersions({ restrictions, date, testId }: { restrictions: ShopMetrics['restrictions']; date: string; testId?: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  if (restrictions.length === 0) return <p className="muted">{t('gov.restrictions.none', { date: formatDate(date, lang) })}</p>;
  return (
    <ul className="restriction-versions" data-testid={testId} aria-label={t('gov.restrictions.title')}>
      {restrictions.map((r) => (
        <li key={`${r.code}-${r.since}`} data-code={r.code} data-policy-version={r.policyVersion ?? ''}>
          {t('gov.restrictions.item', {
            name: t(`restrictionShort.${r.code}`, { defaultValue: r.code }),
            since: formatDate(r.since, lang),
            version: r.policyVersion ?? t('gov.restrictions.versionUnknown'),
          })}
          {r.exemptUntil && <strong className="pill pill-exempt"> {t('gov.restrictions.exempt', { date: formatDate(r.exemptUntil, lang) })}</strong>}
        </li>
      ))}
    </ul>
  );
}
