// Find a shop by id (any case) or name, with suggestions as you type; one clear message for a miss.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useUrlState } from '../../lib/url-state';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useQueryClient } from '@tanstack/react-query';
import { shopSearchQueryOptions, useShopSearch } from '../../lib/queries';

export function ShopSearch({ current }: { current?: string }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const client = useQueryClient();
  const id = useId();
  const listId = useId();
  const [text, setText] = useState(current ?? '');
  // The text as typed last, for a search answer that arrives after more typing.
  const latest = useRef(text);
  useEffect(() => {
    latest.current = text;
  }, [text]);
  const [typed, setTyped] = useState('');
  const [submitted, setSubmitted] = useState<string | null>(null);
  // Suggestions follow the typing once it pauses.
  useEffect(() => {
    const handle = setTimeout(() => setTyped(text.trim()), 250);
    return () => clearTimeout(handle);
  }, [text]);
  const query = submitted ?? typed;
  const search = useShopSearch(query, query !== '' && query !== current);
  const items = search.data?.q === query ? search.data.items : [];
  const open = (shopId: string) => {
    setSubmitted(null);
    setText(shopId);
    setTyped(shopId);
    url.set({ shop: shopId });
  };
  // Enter: the exact id (any case) or the only match opens; otherwise the suggestions (or the miss) show.
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const q = text.trim();
    if (!q) return;
    setSubmitted(q);
    try {
      const found = await client.fetchQuery(shopSearchQueryOptions(q));
      if (latest.current.trim() !== q) return; // typed on since: that text is what counts now
      const pick = found.items.find((i) => i.match === 'id') ?? (found.items.length === 1 ? found.items[0] : undefined);
      if (pick) open(pick.shopId);
    } catch {
      // The query's own error state says it.
    }
  };
  const miss = query !== '' && query !== current && search.isSuccess && search.data.q === query && items.length === 0;
  return (
    <form className="shop-search toolbar" onSubmit={(e) => void submit(e)} role="search" aria-label={t('gov.search.label')}>
      <label htmlFor={id}>{t('gov.search.label')}</label>
      <input
        id={id}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setSubmitted(null);
        }}
        placeholder={t('gov.search.placeholder')}
        autoComplete="off"
        aria-controls={listId}
        data-testid="open-shop-input"
      />
      <button type="submit" className="button">
        {t('gov.search.submit')}
      </button>
      <div id={listId} className="search-results" aria-live="polite">
        {search.isFetching && items.length === 0 && <p className="muted">{t('gov.search.searching')}</p>}
        {miss && (
          <p role="alert" className="field-error" data-testid="shop-search-miss">
            {t('gov.search.noMatch', { q: query })}
          </p>
        )}
        {items.length > 0 && query !== current && (
          <ul className="suggestions" aria-label={t('gov.search.suggestions')} data-testid="shop-suggestions">
            {items.map((item) => (
              <li key={item.shopId}>
                <button type="button" className="suggestion" onClick={() => open(item.shopId)} data-shop-id={item.shopId}>
                  <span className="mono">{item.shopId}</span> {item.shopName}
                  {item.categoryName && <span className="muted"> · {item.categoryName}</span>}
                  {item.level && item.level !== 'none' && (
                    <>
                      {' '}
                      <LevelBadge level={item.level} />
                    </>
                  )}
                  <span className="muted"> · {t(`gov.search.match.${item.match}`)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </form>
  );
}
