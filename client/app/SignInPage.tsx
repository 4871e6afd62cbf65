// The page for a missing, expired or refused sign-in link, written for the person holding it (a seller, a
// reviewer), in their language: what happened and what to do. The server's words and the commands that
// make a link are there too, folded away, for whoever runs the server. When the server has an identity
// provider (OIDC), the page offers "Sign in with …" first, and finishes the sign-in when the provider
// sends the browser back.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SignedOutReason } from './auth';
import { LangToggle } from './LangToggle';
import { isOidcCallback, loadOidcConfig, type OidcConfig } from './oidc-config';

/** The flow itself (oauth4webapi) loads only when someone signs in with the provider. */
const flow = () => import('./oidc');

/** The identity provider's button, and the sign-in on the way back from it. */
function useOidc(): {
  config: OidcConfig | null;
  busy: boolean;
  error: string | null;
  start: () => void;
} {
  const [config, setConfig] = useState<OidcConfig | null>(null);
  const [callback] = useState(isOidcCallback);
  const [busy, setBusy] = useState(callback);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void loadOidcConfig().then((found) => {
      if (!live) return;
      setConfig(found);
      if (!callback) return;
      if (!found) {
        setBusy(false);
        setError('the server no longer offers sign-in with an identity provider');
        return;
      }
      // On success auth.ts swaps this page for the dashboard.
      flow()
        .then(({ completeOidcSignIn }) => completeOidcSignIn(found))
        .catch((e: unknown) => {
          if (!live) return;
          setBusy(false);
          setError(e instanceof Error ? e.message : String(e));
        });
    });
    return () => {
      live = false;
    };
  }, [callback]);
  const start = () => {
    if (!config) return;
    setBusy(true);
    setError(null);
    flow()
      .then(({ startOidcSignIn }) => startOidcSignIn(config))
      .catch((e: unknown) => {
        setBusy(false);
        setError(e instanceof Error ? e.message : String(e));
      });
  };
  return { config, busy, error, start };
}

export function SignInPage({ reason, message }: { reason: SignedOutReason; message: string | null }) {
  const { t } = useTranslation();
  const oidc = useOidc();
  const provider = oidc.config?.displayName ?? '';
  // With an identity provider, "you need a link" is not the whole story.
  const withProvider = oidc.config !== null && reason === 'missing';
  return (
    <div className="signin">
      <header className="topbar topbar-plain">
        <p className="brand">
          {t('app.title')} <span className="brand-zh">{t('app.subtitle')}</span>
        </p>
        <LangToggle />
      </header>
      <main id="main" className="signin-card" data-testid="signin-page" data-reason={reason}>
        <h1>{withProvider ? t('signin.oidc.title') : t(`signin.title.${reason}`)}</h1>
        <p data-testid="signin-what">{withProvider ? t('signin.oidc.what', { provider }) : t(`signin.what.${reason}`)}</p>
        {oidc.config && (
          <div className="signin-oidc" data-testid="signin-oidc">
            <button type="button" className="button button-primary" data-testid="signin-oidc-button" onClick={oidc.start} disabled={oidc.busy}>
              {oidc.busy ? t('signin.oidc.working', { provider }) : t('signin.oidc.button', { provider })}
            </button>
            {oidc.error && (
              <p className="notice notice-warn" role="alert" data-testid="signin-oidc-error">
                {t('signin.oidc.failed', { provider })} {oidc.error}
              </p>
            )}
          </div>
        )}
        <p className="signin-todo" data-testid="signin-todo">
          <strong>{t('signin.todoTitle')}</strong> {oidc.config ? t('signin.oidc.todo', { provider }) : t(`signin.todo.${reason}`)}
        </p>
        {message && (
          <p className="notice notice-warn" role="alert">
            {t('signin.serverSaid')}: {message}
          </p>
        )}
        <details className="signin-admin">
          <summary>{t('signin.forAdmins')}</summary>
          <p>{t('signin.how')}</p>
          <ol>
            <li>
              {t('signin.start')} <code>npm start</code>
              {t('signin.startAfter')}
            </li>
            <li>
              {t('signin.token')}
              <pre>
                <code>npm run token -- --role seller --shop SHOP_ID{'\n'}npm run token -- --role reviewer</code>
              </pre>
              {t('signin.tokenAfter')} <code>http://localhost:3000/?token=…</code>
            </li>
          </ol>
        </details>
      </main>
    </div>
  );
}
