// The page for a missing, expired or refused sign-in link, written for the person holding it (a seller, a
// reviewer), in their language: what happened and what to do. The server's words and the commands that
// make a link are there too, folded away, for whoever runs the server.
import { useTranslation } from 'react-i18next';
import type { SignedOutReason } from './auth';
import { LangToggle } from './LangToggle';

export function SignInPage({ reason, message }: { reason: SignedOutReason; message: string | null }) {
  const { t } = useTranslation();
  return (
    <div className="signin">
      <header className="topbar topbar-plain">
        <p className="brand">
          {t('app.title')} <span className="brand-zh">{t('app.subtitle')}</span>
        </p>
        <LangToggle />
      </header>
      <main id="main" className="signin-card" data-testid="signin-page" data-reason={reason}>
        <h1>{t(`signin.title.${reason}`)}</h1>
        <p data-testid="signin-what">{t(`signin.what.${reason}`)}</p>
        <p className="signin-todo" data-testid="signin-todo">
          <strong>{t('signin.todoTitle')}</strong> {t(`signin.todo.${reason}`)}
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
