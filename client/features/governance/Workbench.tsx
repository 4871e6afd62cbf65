// The governance workbench (its own chunk): queue, categories, a shop, appeals, the policy simulator,
// the audit log. The tab is in the address like everything else.
import type { MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { oneOf, patchedUrl, useUrlState } from '../../lib/url-state';
import type { Me } from '../../lib/queries';
import { FlaggedQueue } from './FlaggedQueue';
import { CategoriesPanel } from './CategoriesPanel';
import { ShopPage } from './ShopPage';
import { AppealsPanel } from './AppealsPanel';
import { PolicySimulator } from './PolicySimulator';
import { AuditLog } from './AuditLog';
import { PlatformPanel } from './PlatformPanel';

export const TABS = ['queue', 'categories', 'platform', 'shop', 'appeals', 'simulator', 'audit'] as const;
export type Tab = (typeof TABS)[number];

export interface WorkbenchProps {
  me: Me;
  date: string;
  dataFrom?: string | null;
}

export default function Workbench({ me, date, dataFrom }: WorkbenchProps) {
  const { t } = useTranslation();
  const url = useUrlState();
  const tab = oneOf(url.get('tab'), TABS, 'queue');

  const go = (event: MouseEvent<HTMLAnchorElement>, next: Tab) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return; // let the browser open a new tab
    event.preventDefault();
    url.set({ tab: next });
  };

  return (
    <div className="workbench">
      <nav className="tabs" aria-label={t('wb.nav')}>
        <ul>
          {TABS.map((name) => (
            <li key={name}>
              <a
                href={patchedUrl(url.params.toString(), { tab: name })}
                aria-current={tab === name ? 'page' : undefined}
                onClick={(e) => go(e, name)}
                data-testid={`tab-${name}`}
              >
                {t(`wb.tab.${name}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'queue' && <FlaggedQueue date={date} me={me.subject} />}
      {tab === 'categories' && <CategoriesPanel date={date} />}
      {tab === 'platform' && <PlatformPanel date={date} />}
      {tab === 'shop' && <ShopPage date={date} dataFrom={dataFrom} me={me.subject} />}
      {tab === 'appeals' && <AppealsPanel date={date} />}
      {tab === 'simulator' && <PolicySimulator date={date} canActivate={me.role === 'admin'} />}
      {tab === 'audit' && <AuditLog />}
    </div>
  );
}
