// Alerts for one shop (DESIGN §4): subscribe a webhook (json signed with HMAC-SHA256, or a DingTalk, Feishu
// or WeCom group robot) to the shop's events, list the shop's subscriptions and read each one's delivery log.
// The server's 400 messages name the field ("url: …; secret: …"), so each message is shown under its field.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ALERT_FORMATS, SHOP_EVENTS, type AlertEventName, type AlertFormat } from '../../../server/contracts/alerts';
import { formatDateTime, formatNumber } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { ApiError } from '../../lib/api';
import { Section, TableScroll } from '../../lib/components/Section';
import { ConfirmDialog } from '../../lib/components/ConfirmDialog';
import { useCreateSubscription, useDeleteSubscription, useDeliveries, useSubscriptions, type Subscription, type SubscriptionBody } from '../../lib/queries';

const FIELDS = ['url', 'format', 'events', 'secret', 'horizonDays'] as const;
type Field = (typeof FIELDS)[number];

/** Splits a 400 message ("url: refused …; secret: …") into the messages of each field, and the rest. */
export function fieldErrors(message: string): { fields: Partial<Record<Field, string>>; other: string[] } {
  const fields: Partial<Record<Field, string>> = {};
  const other: string[] = [];
  for (const part of message.split('; ')) {
    const match = /^([A-Za-z]+)(?:\.\d+)?: (.*)$/s.exec(part);
    const name = match?.[1] as Field | undefined;
    if (match && name && (FIELDS as readonly string[]).includes(name)) fields[name] = fields[name] ? `${fields[name]}; ${match[2]}` : match[2];
    else other.push(part);
  }
  return { fields, other };
}

function SubscribeForm({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const create = useCreateSubscription();
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<AlertFormat>('json');
  const [events, setEvents] = useState<AlertEventName[]>(['level.changed', 'restriction.lifted']);
  const [secret, setSecret] = useState('');
  const [horizon, setHorizon] = useState('7');
  const [made, setMade] = useState<Subscription | null>(null);
  const ids = { url: useId(), format: useId(), secret: useId(), horizon: useId(), formatHint: useId(), events: useId() };
  const errorText = create.error instanceof ApiError && create.error.status === 400 ? create.error.message : null;
  const errors = errorText ? fieldErrors(errorText) : { fields: {}, other: [] };
  const crossing = events.includes('forecast.crossing');

  const toggle = (event: AlertEventName, on: boolean) =>
    setEvents((list) => (on ? SHOP_EVENTS.filter((e) => e === event || list.includes(e)) : list.filter((e) => e !== event)));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMade(null);
    const body: SubscriptionBody = { shopId, url: url.trim(), format, events };
    if (secret !== '' && format !== 'wecom') body.secret = secret;
    if (crossing && horizon.trim() !== '') body.horizonDays = Number(horizon);
    create.mutate(body, {
      onSuccess: (subscription) => {
        setMade(subscription);
        setUrl('');
        setSecret('');
      },
    });
  };

  const fieldError = (field: Field, id: string) =>
    errors.fields[field] ? (
      <p id={id} role="alert" className="field-error" data-testid={`alert-error-${field}`}>
        {t('alerts.refused', { message: errors.fields[field] })}
      </p>
    ) : null;

  return (
    <form onSubmit={submit} noValidate data-testid="alert-form">
      <h3>{t('alerts.newTitle')}</h3>
      <div className="field">
        <label htmlFor={ids.url}>{t('alerts.url')}</label>
        <input
          id={ids.url}
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
          maxLength={2000}
          aria-invalid={errors.fields.url ? true : undefined}
          aria-describedby={errors.fields.url ? `${ids.url}-error` : undefined}
          placeholder="https://"
        />
        {fieldError('url', `${ids.url}-error`)}
      </div>
      <div className="field">
        <label htmlFor={ids.format}>{t('alerts.format')}</label>
        <select
          id={ids.format}
          value={format}
          onChange={(e) => setFormat(e.target.value as AlertFormat)}
          aria-describedby={ids.formatHint}
          aria-invalid={errors.fields.format ? true : undefined}
        >
          {ALERT_FORMATS.map((f) => (
            <option key={f} value={f}>
              {t(`alerts.formats.${f}`)}
            </option>
          ))}
        </select>
        <p id={ids.formatHint} className="muted" data-testid="alert-format-hint">
          {t(`alerts.formatHints.${format}`)}
        </p>
        {fieldError('format', `${ids.format}-error`)}
      </div>
      <fieldset className="field alert-events" aria-describedby={errors.fields.events ? ids.events : undefined}>
        <legend>{t('alerts.events')}</legend>
        {SHOP_EVENTS.map((event) => (
          <label key={event} className="checkbox">
            <input type="checkbox" checked={events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} /> {t(`alerts.eventNames.${event}`)}
          </label>
        ))}
        {fieldError('events', ids.events)}
      </fieldset>
      {crossing && (
        <div className="field">
          <label htmlFor={ids.horizon}>{t('alerts.horizon')}</label>
          <input
            id={ids.horizon}
            type="number"
            min={1}
            max={30}
            value={horizon}
            onChange={(e) => setHorizon(e.target.value)}
            aria-invalid={errors.fields.horizonDays ? true : undefined}
            aria-describedby={errors.fields.horizonDays ? `${ids.horizon}-error` : undefined}
          />
          {fieldError('horizonDays', `${ids.horizon}-error`)}
        </div>
      )}
      {format !== 'wecom' && (
        <div className="field">
          <label htmlFor={ids.secret}>{t('alerts.secret')}</label>
          <input
            id={ids.secret}
            type="password"
            autoComplete="off"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            aria-invalid={errors.fields.secret ? true : undefined}
            aria-describedby={errors.fields.secret ? `${ids.secret}-error` : undefined}
          />
          <p className="muted">{t(format === 'json' ? 'alerts.secretHintJson' : 'alerts.secretHintRobot')}</p>
          {fieldError('secret', `${ids.secret}-error`)}
        </div>
      )}
      <button type="submit" className="button button-primary" disabled={create.isPending}>
        {create.isPending ? t('common.working') : t('alerts.subscribe')}
      </button>
      {create.isError && (errors.other.length > 0 || !errorText) && (
        <p role="alert" className="field-error" data-testid="alert-error">
          {errorText ? errors.other.join('; ') : create.error instanceof ApiError ? create.error.message : String(create.error)}
        </p>
      )}
      {made && (
        <div role="status" className="field-ok" data-testid="alert-created">
          <p>{t('alerts.created')}</p>
          {made.secret && (
            <p className="notice notice-info" data-testid="alert-secret">
              {t('alerts.secretOnce')} <code className="mono">{made.secret}</code>
            </p>
          )}
        </div>
      )}
    </form>
  );
}

function Deliveries({ subscriptionId }: { subscriptionId: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const deliveries = useDeliveries(subscriptionId);
  if (deliveries.isPending) return <p className="muted">{t('alerts.loadingLog')}</p>;
  if (deliveries.isError)
    return (
      <p role="alert" className="field-error">
        {deliveries.error instanceof ApiError ? deliveries.error.message : String(deliveries.error)}
      </p>
    );
  const items = deliveries.data.items;
  return (
    <div data-testid={`alert-log-${subscriptionId}`}>
      <button type="button" className="button" onClick={() => void deliveries.refetch()} disabled={deliveries.isFetching}>
        {t('alerts.refresh')}
      </button>
      {items.length === 0 ? (
        <p className="muted">{t('alerts.noDeliveries')}</p>
      ) : (
        <TableScroll label={t('alerts.logTitle', { id: subscriptionId })}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('alerts.col.event')}</th>
                <th scope="col">{t('alerts.col.status')}</th>
                <th scope="col">{t('alerts.col.attempts')}</th>
                <th scope="col">{t('alerts.col.lastStatus')}</th>
                <th scope="col">{t('alerts.col.lastError')}</th>
                <th scope="col">{t('alerts.col.created')}</th>
                <th scope="col">{t('alerts.col.lastAttempt')}</th>
                <th scope="col">{t('alerts.col.delivered')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-testid="alert-delivery" data-status={d.status}>
                  <td>{t(`alerts.eventNames.${d.event}`)}</td>
                  <td>
                    <span className={`pill pill-delivery-${d.status}`}>{t(`alerts.status.${d.status}`)}</span>
                  </td>
                  <td className="num">{formatNumber(d.attempts, lang)}</td>
                  <td className="num">{d.lastStatus ?? '—'}</td>
                  <td>{d.lastError ?? '—'}</td>
                  <td>{formatDateTime(d.createdAt, lang)}</td>
                  <td>{d.lastAttemptAt ? formatDateTime(d.lastAttemptAt, lang) : '—'}</td>
                  <td>
                    {d.deliveredAt
                      ? formatDateTime(d.deliveredAt, lang)
                      : d.nextAttemptAt
                        ? t('alerts.nextAttempt', { at: formatDateTime(d.nextAttemptAt, lang) })
                        : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}

function SubscriptionItem({ subscription }: { subscription: Subscription }) {
  const { t } = useTranslation();
  const lang = useLang();
  const remove = useDeleteSubscription();
  const [confirming, setConfirming] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const s = subscription;
  return (
    <li className="appeal-card" data-testid="alert-subscription" data-id={s.id}>
      <p>
        <code className="mono" data-testid="alert-url">
          {s.url}
        </code>
      </p>
      <p className="muted">
        {t(`alerts.formats.${s.format}`)} · {s.events.map((e) => t(`alerts.eventNames.${e}`)).join(', ')}
        {s.events.includes('forecast.crossing') && <> · {t('alerts.horizonShort', { days: s.horizonDays })}</>} ·{' '}
        {t('alerts.createdBy', { who: s.createdBy, at: formatDateTime(s.createdAt, lang) })}
      </p>
      <div className="toolbar">
        <button type="button" className="button" aria-expanded={showLog} onClick={() => setShowLog((v) => !v)}>
          {showLog ? t('alerts.hideLog') : t('alerts.showLog')}
        </button>
        <button type="button" className="button button-danger" onClick={() => setConfirming(true)} disabled={remove.isPending}>
          {t('alerts.delete')}
        </button>
      </div>
      {showLog && <Deliveries subscriptionId={s.id} />}
      {remove.isError && (
        <p role="alert" className="field-error">
          {remove.error instanceof ApiError ? remove.error.message : String(remove.error)}
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title={t('alerts.deleteTitle')}
          confirmLabel={t('alerts.delete')}
          danger
          busy={remove.isPending}
          onCancel={() => setConfirming(false)}
          onConfirm={() => remove.mutate(s.id, { onSettled: () => setConfirming(false) })}
        >
          <p>{t('alerts.deleteBody', { url: s.url })}</p>
        </ConfirmDialog>
      )}
    </li>
  );
}

export function AlertsPanel({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const subscriptions = useSubscriptions();
  const mine = (subscriptions.data?.items ?? []).filter((s) => s.shopId === shopId && s.active);
  return (
    <Section title={t('alerts.title')} testId="alerts-panel">
      <p className="muted">{t('alerts.intro')}</p>
      {subscriptions.isPending && <p className="muted">{t('alerts.loading')}</p>}
      {subscriptions.isError && (
        <p role="alert" className="field-error">
          {subscriptions.error instanceof ApiError ? subscriptions.error.message : String(subscriptions.error)}
        </p>
      )}
      {subscriptions.isSuccess &&
        (mine.length === 0 ? (
          <p className="muted" data-testid="alert-none">
            {t('alerts.none')}
          </p>
        ) : (
          <ul className="appeal-cards" data-testid="alert-list">
            {mine.map((s) => (
              <SubscriptionItem key={s.id} subscription={s} />
            ))}
          </ul>
        ))}
      <SubscribeForm shopId={shopId} />
    </Section>
  );
}
