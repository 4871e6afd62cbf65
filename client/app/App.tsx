// The shell: sign-in gate, who is signed in, the stat date, the language, and the view for the role.
import { lazy, Suspense, useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { signOut, useAuth } from './auth';
import { SignInPage } from './SignInPage';
import { LangToggle } from './LangToggle';
import { DatePicker } from './DatePicker';
import { isIsoDay } from '../lib/format';
import { initI18n, isLang, useLang } from '../lib/i18n';
import { useUrlState } from '../lib/url-state';
import { ErrorState, Loading } from '../lib/components/QueryState';
import { useHealth, useMe, type Health, type Me } from '../lib/queries';

// Each role's view is its own chunk: a seller never downloads the governance workbench.
const SellerHome = lazy(() => import('../features/seller/SellerHome'));
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
            {t(`role.${me.role}`)} · <span className="mono">{me.subject}</span>
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
      <main id="main" tabIndex={-1}>
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
