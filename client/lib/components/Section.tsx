import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** A titled block of the page (a landmark region named by its heading). */
export function Section({
  title,
  actions,
  children,
  className,
  testId,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const id = useId();
  return (
    <section className={`panel ${className ?? ''}`} aria-labelledby={id} data-testid={testId}>
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        {actions && <div className="panel-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** A horizontally scrollable table wrapper that a keyboard user can scroll too. */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const { t } = useTranslation();
  // Named "Table: …" so the region never shares the name of the section around it. Focusable so that a
  // keyboard can scroll it (axe: scrollable-region-focusable).
  return (
    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
    <div className="table-scroll" role="region" aria-label={t('common.table', { name: label })} tabIndex={0}>
      {children}
    </div>
  );
}
