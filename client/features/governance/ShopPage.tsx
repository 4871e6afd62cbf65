// A reviewer's page for one shop: a sticky bar with the level, the restrictions (each with the policy version
// that made it) and the decision at hand; then what the seller sees, the level timeline, appeals and audit.
import { useRef, useState } from 'react';
import { ApiError, apiDownload, apiOpenPage } from '../../lib/api';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber, formatPercent } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { useUrlState } from '../../lib/url-state';
import { Section } from '../../lib/components/Section';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { Audience } from '../../lib/components/Audience';
import { usePeers, useShopMetrics } from '../../lib/queries';
import { LevelTimeline } from './LevelTimeline';
import { DecisionForm } from './DecisionForm';
import { AppealsList } from './AppealsPanel';
import { AuditTable } from './AuditLog';
import { ShopSearch } from './ShopSearch';
import { RestrictionVersions } from './RestrictionVersions';
import { ReviewBar } from './ReviewControls';
import ShopOverview from '../seller/ShopOverview';

/** Where the shop stands among its category's judged shops, in a reviewer's words. */
function PeersLine({ shopId, date }: { shopId: string; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const peers = usePeers(shopId, date).data;
  if (!peers || peers.percentile === null || peers.judgedShops === null) return null;
  return (
    <p className="muted" data-testid="reviewer-peers">
      {t('gov.shop.peersLine', { percent: formatPercent(peers.percentile, lang, 0), shops: formatNumber(peers.judgedShops, lang) })}
    </p>
  );
}

/** The shop's case file for the decision record: a printable page (new tab) and a CSV download. */
function CaseFileButtons({ shopId, date }: { shopId: string; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const run = (job: () => Promise<unknown>) => {
    setState({ busy: true, error: null });
    job().then(
      () => setState({ busy: false, error: null }),
      (error: unknown) => setState({ busy: false, error: error instanceof ApiError ? error.message : String(error) }),
    );
  };
  const path = `/shops/${encodeURIComponent(shopId)}/case-file`;
  return (
    <span className="case-file" title={t('evidence.caseFileHint', { date: formatDate(date, lang) })}>
      <button
        type="button"
        className="button"
        disabled={state.busy}
        onClick={() => run(() => apiOpenPage(path, { date, format: 'html' }))}
        data-testid="case-file-print"
      >
        {t('evidence.caseFilePrint')}
      </button>{' '}
      <button
        type="button"
        className="button"
        disabled={state.busy}
        onClick={() => run(() => apiDownload(path, { date, format: 'csv' }, `case-file-${shopId}-${date}.csv`))}
        data-testid="case-file-csv"
      >
        {t('evidence.caseFileCsv')}
      </button>
      {state.error && (
        <span role="alert" className="field-error">
          {' '}
          {state.error}
        </span>
      )}
    </span>
  );
}

function ActionBar({ shopId, date, onDecide, me }: { shopId: string; date: string; onDecide: () => void; me?: string }) {
  const { t } = useTranslation();
  const metrics = useShopMetrics(shopId, date).data;
  return (
    <div className="action-bar" role="region" aria-label={t('gov.shop.actions')} data-testid="shop-action-bar">
      <div className="action-bar-head">
        <strong>{metrics?.shopName ?? shopId}</strong> <span className="mono muted">{shopId}</span> {metrics && <LevelBadge level={metrics.level} />}
        <span className="action-bar-buttons">
          <CaseFileButtons shopId={shopId} date={date} />{' '}
          <button type="button" className="button button-primary" onClick={onDecide} data-testid="jump-decide">
            {t('gov.shop.decide')}
          </button>
        </span>
      </div>
      <ReviewBar shopId={shopId} me={me} />
      {metrics && <RestrictionVersions restrictions={metrics.restrictions} date={date} testId="restriction-versions" />}
      <PeersLine shopId={shopId} date={date} />
    </div>
  );
}

export function ShopPage({ date, dataFrom, me }: { date: string; dataFrom?: string | null; me?: string }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const shopId = url.get('shop');
  const decisionRef = useRef<HTMLDivElement>(null);
  // Shares the cache entry with the overview: no second request.
  const metrics = useShopMetrics(shopId ?? '', date, shopId !== undefined).data;
  if (!shopId) {
    return (
      <Section title={t('shopPage.title')}>
        <ShopSearch />
        <p className="muted">{t('shopPage.hint')}</p>
      </Section>
    );
  }
  const decide = () => {
    decisionRef.current?.scrollIntoView({ block: 'start' });
    decisionRef.current?.querySelector<HTMLElement>('select, textarea')?.focus();
  };
  return (
    <div className="shop-page" key={shopId}>
      <ShopSearch current={shopId} />
      <ActionBar shopId={shopId} date={date} onDecide={decide} me={me} />
      <div ref={decisionRef} className="decision-at-hand">
        <DecisionForm shopId={shopId} shopName={metrics?.shopName} date={date} restrictions={metrics?.restrictions} />
      </div>
      <Audience value="reviewer">
        <ShopOverview shopId={shopId} date={date} dataFrom={dataFrom} canAppeal={false} />
      </Audience>
      <LevelTimeline shopId={shopId} />
      <Section title={t('appeals.title')}>
        <AppealsList shopId={shopId} />
      </Section>
      <Section title={t('shopPage.audit')}>
        <AuditTable params={{ shopId, limit: 20, offset: 0 }} />
      </Section>
    </div>
  );
}
