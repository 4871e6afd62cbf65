// The shell: sign-in gate, who is signed in, the stat date, the language, and the view for the role.
import { lazy, Suspense, useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { signOut, useAuth } from './auth';
import { SignInPage } from './SignInPage';
import { LangToggle } from './LangToggle';
import { DatePicker } from './DatePicker';
import { ExpiryBanner } from './ExpiryBanner';
import { formatDate, isIsoDay } from '../lib/format';
import { initI18n, isLang, useLang } from '../lib/i18n';
import { useUrlState } from '../lib/url-state';
import { ErrorState, Loading } from '../lib/components/QueryState';
import { useHealth, useMe, type Health, type Me } from '../lib/queries';
// The governance workbench is its own chunk: a seller never downloads it. The seller's view is in the main
// bundle (about 6 kB gzipped; the reviewer's shop page uses it too): loading it lazily put a Suspense
// fallback on the headline's path, and React reveals suspended content no sooner than 300 ms after its
// fallback showed — a third of the first load's budget (issue 11). Its charts still load after the headline.
import SellerHome from '../features/seller/SellerHome';

const Workbench = lazy(() => import('../features/governance/Workbench'));

/** Back/Forward may change ?lang=: follow it. */
function useLangFromUrl(): void {
  const url = useUrlState();
  const fromUrl = url.get('lang');
  useEffect(() => {
    if (isLang(fromUrl)) void initI18n(fromUrl);
  }, [fromUrl]);
}

/** The stat date in the address when valid and inside the data, else the latest day with data. */
export function effectiveDate(requested: string | undefined, health: Health): string | null {
  const last = health.dataThrough;
  if (!last) return null;
  if (!isIsoDay(requested) || requested > last) return last;
  if (health.dataFrom && requested < health.dataFrom) return health.dataFrom;
  return requested;
}

/** A date in the address that is not a day of the data: what was asked for and what is shown instead. */
export interface DateCorrection {
  requested: string;
  shown: string;
}

/** The correction to make when the address asks for a date that is not a day with data (null: none needed). */
export function dateCorrection(requested: string | undefined, health: Health): DateCorrection | null {
  if (requested === undefined) return null;
  const shown = effectiveDate(requested, health);
  return shown !== null && shown !== requested ? { requested, shown } : null;
}

/**
 * Corrects a date in the address that is outside the data (or not a date) — the address too, so a shared
 * link shows what the page shows — and says so until dismissed.
 */
function DateCorrected({ health }: { health: Health }) {
  const { t } = useTranslation();
  const lang = useLang();
  const { get, set } = useUrlState();
  const requested = get('date');
  const [notice, setNotice] = useState<DateCorrection | null>(null);
  const correction = dateCorrection(requested, health);
  // Kept after the address is corrected (React's "state from the previous render" pattern: no effect needed).
  if (correction && (notice?.requested !== correction.requested || notice.shown !== correction.shown)) setNotice(correction);
  const shown = correction?.shown;
  useEffect(() => {
    if (shown !== undefined) set({ date: shown === health.dataThrough ? null : shown }, { replace: true });
  }, [shown, health.dataThrough, set]);
  if (!notice) return null;
  const valid = isIsoDay(notice.requested);
  return (
    <div className="notice notice-info date-corrected" role="status" data-testid="date-corrected">
      <p>
        {t(valid ? 'dateFix.outside' : 'dateFix.invalid', {
          requested: valid ? formatDate(notice.requested, lang) : notice.requested,
          from: formatDate(health.dataFrom, lang),
          to: formatDate(health.dataThrough, lang),
          shown: formatDate(notice.shown, lang),
        })}
      </p>
      <button type="button" className="button button-quiet" onClick={() => setNotice(null)}>
        {t('dateFix.dismiss')}
      </button>
    </div>
  );
}

function Header({ me, date, health }: { me: Me | undefined; date: string | null; health: Health | undefined }) {
  const { t } = useTranslation();
  return (
    <header className="topbar">
      <p className="brand">
        {t('app.title')} <span className="brand-zh">{t('app.subtitle')}</span>
      </p>
      <div className="topbar-controls">
        {date && health?.dataThrough && <DatePicker date={date} min={health.dataFrom} max={health.dataThrough} />}
        <LangToggle />
        {me && (
          <span className="who" data-testid="signed-in-as">
            {t(`role.${me.role}`)} · {me.name && <span data-testid="signed-in-name">{me.name} </span>}
            <span className="mono">{me.subject}</span>
          </span>
        )}
        <button type="button" className="button button-quiet" onClick={() => signOut()}>
          {t('app.signOut')}
        </button>
      </div>
    </header>
  );
}

function SignedIn({ token }: { token: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const me = useMe(token);
  const health = useHealth();
  const date = health.data ? effectiveDate(url.get('date'), health.data) : null;

  useEffect(() => {
    document.title = `${t('app.title')} · ${t('app.subtitle')}`;
  }, [t, lang]);

  let body;
  if (me.isPending || health.isPending) body = <Loading />;
  else if (me.isError) body = <ErrorState error={me.error} onRetry={() => void me.refetch()} retrying={me.isFetching} />;
  else if (health.isError) body = <ErrorState error={health.error} onRetry={() => void health.refetch()} retrying={health.isFetching} />;
  else if (!date) body = <p className="state state-empty">{t('app.noData')}</p>;
  else
    body = (
      <Suspense fallback={<Loading />}>
        {me.data.role === 'seller' ? (
          <SellerHome me={me.data} date={date} dataFrom={health.data.dataFrom} />
        ) : (
          <Workbench me={me.data} date={date} dataFrom={health.data.dataFrom} />
        )}
      </Suspense>
    );

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <Header me={me.data} date={date} health={health.data} />
      <ExpiryBanner token={token} />
      <main id="main" tabIndex={-1}>
        {health.data && <DateCorrected health={health.data} />}
        {me.data && <h1 className="visually-hidden">{me.data.role === 'seller' ? t('app.sellerView') : t('app.workbench')}</h1>}
        {body}
      </main>
    </div>
  );
}

export function App() {
  const auth = useAuth();
  const client = useQueryClient();
  useLangFromUrl();
  useEffect(() => {
    // Nothing of one user's data stays cached for the next.
    if (!auth.token) client.clear();
  }, [auth.token, client]);
  if (!auth.token) return <SignInPage reason={auth.reason} message={auth.message} />;
  return <SignedIn token={auth.token} />;
}
