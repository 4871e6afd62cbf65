// The three states every piece of data can be in besides "here": loading, empty and failed (with a retry).
import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('state.loading')}
    </div>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="state state-empty" role="status">
      {children ?? t('state.empty')}
    </div>
  );
}

export function ErrorState({ error, onRetry, retrying }: { error: unknown; onRetry?: () => void; retrying?: boolean }) {
  const { t } = useTranslation();
  let detail = error instanceof Error ? error.message : String(error);
  let title = t('state.error');
  if (error instanceof ApiError) {
    if (error.status === 403) title = t('state.forbidden');
    else if (error.status === 404) title = t('state.notFound');
    else if (error.status === 0) title = t('state.network');
    if (error.requestId) detail = `${detail} (${t('state.requestId')} ${error.requestId})`;
  }
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title}</p>
      <p className="state-detail">{detail}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry} disabled={retrying}>
          {retrying ? t('state.retrying') : t('state.retry')}
        </button>
      )}
    </div>
  );
}

interface QueryStateProps<T> {
  query: UseQueryResult<T>;
  /** When the data holds nothing to show. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}

export function QueryState<T>({ query, isEmpty, empty, loadingLabel, children }: QueryStateProps<T>) {
  if (query.isPending) return <Loading label={loadingLabel} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} retrying={query.isFetching} />;
  if (isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}
