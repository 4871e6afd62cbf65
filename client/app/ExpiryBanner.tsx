// A sign-in link works for a limited time. Ten minutes before it ends the page says so (with the time),
// and when it ends the user lands on the sign-in page that says it expired — not on a broken screen.
// Signed in with the identity provider, the banner offers to sign in again there (and come back here).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { expireSession, oidcSession, tokenExpiresAt } from './auth';
import { formatNumber } from '../lib/format';
import { useLang } from '../lib/i18n';

/** How long before the end the banner shows. */
export const WARN_BEFORE_MS = 10 * 60_000;

export function ExpiryBanner({ token }: { token: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const expiresAt = tokenExpiresAt(token);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (expiresAt === null) return;
    const left = expiresAt - now;
    // Wake when the warning starts, then every 15 s (to keep the minutes right) until the end.
    const wait = left > WARN_BEFORE_MS ? left - WARN_BEFORE_MS : Math.min(15_000, left);
    const timer = setTimeout(
      () => {
        const at = Date.now();
        if (at >= expiresAt) expireSession();
        else setNow(at);
      },
      Math.max(0, Math.min(wait, 2_147_483_647)),
    );
    return () => clearTimeout(timer);
  }, [expiresAt, now]);
  if (expiresAt === null || expiresAt - now > WARN_BEFORE_MS) return null;
  const minutes = Math.max(1, Math.ceil((expiresAt - now) / 60_000));
  const time = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { hour: '2-digit', minute: '2-digit' }).format(new Date(expiresAt));
  const oidc = oidcSession();
  return (
    <div className="notice notice-warn expiry-banner" role="alert" data-testid="expiry-banner">
      <p className="notice-title">{t('expiry.title', { count: minutes, minutes: formatNumber(minutes, lang), time })}</p>
      {oidc ? (
        <p>
          {t('expiry.todoOidc', { provider: oidc.config.displayName })}{' '}
          <button
            type="button"
            className="button button-quiet"
            onClick={() => void import('./oidc').then(({ startOidcSignIn }) => startOidcSignIn(oidc.config))}
          >
            {t('expiry.signInAgain')}
          </button>
        </p>
      ) : (
        <p>{t('expiry.todo')}</p>
      )}
    </div>
  );
}
