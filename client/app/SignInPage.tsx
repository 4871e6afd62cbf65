// The plain page for a missing, expired or invalid token: how to get a sign-in link.
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
      <main id="main" className="signin-card">
        <h1>{t(`signin.title.${reason}`)}</h1>
        {message && (
          <p className="notice notice-warn" role="alert">
            {t('signin.serverSaid')}: {message}
          </p>
        )}
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
      </main>
    </div>
  );
}
