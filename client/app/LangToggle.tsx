// 中文 / English: the choice goes in the address (shareable) and is remembered.
import { useTranslation } from 'react-i18next';
import { loadLang, setLang, useLang } from '../lib/i18n';
import { navigate } from '../lib/url-state';

export function LangToggle() {
  const { t } = useTranslation();
  const lang = useLang();
  const next = lang === 'zh' ? 'en' : 'zh';
  return (
    <button
      type="button"
      className="button button-quiet"
      data-testid="lang-toggle"
      lang={next === 'zh' ? 'zh-CN' : 'en'}
      title={t('app.switchLanguage')}
      // The other language's labels start loading as soon as the pointer or focus reaches the toggle.
      onPointerEnter={() => void loadLang(next)}
      onFocus={() => void loadLang(next)}
      onClick={() => {
        navigate({ lang: next }, { replace: true });
        void setLang(next);
      }}
    >
      {next === 'zh' ? '中文' : 'English'}
    </button>
  );
}
