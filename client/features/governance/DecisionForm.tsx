// A reviewer's decision on a shop's restriction: always with a reason, an exemption with an end date,
// and a confirmation before it is recorded (decisions go to the append-only audit log). A decision on a shop
// someone else has in review is refused (409 naming them); the form then offers to take it over and decide.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { addDays, formatDate } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section } from '../../lib/components/Section';
import { ConfirmDialog } from '../../lib/components/ConfirmDialog';
import { useCreateDecision, type DecisionAction, type DecisionInput, type ShopMetrics } from '../../lib/queries';
import { RestrictionVersions } from './RestrictionVersions';
import { DecisionError } from './ReviewControls';

const ACTIONS: readonly DecisionAction[] = ['confirm', 'exempt', 'lift_early', 'note'];
const MIN_REASON = 3;

export function validateDecision(input: { action: DecisionAction; reason: string; until: string }, today: string): { reason?: string; until?: string } {
  const errors: { reason?: string; until?: string } = {};
  if (input.reason.trim().length < MIN_REASON) errors.reason = 'decision.errors.reason';
  if (input.action === 'exempt') {
    if (!input.until) errors.until = 'decision.errors.untilMissing';
    else if (input.until < today) errors.until = 'decision.errors.untilPast';
  }
  return errors;
}

export function DecisionForm({
  shopId,
  shopName,
  date,
  restrictions,
}: {
  shopId: string;
  shopName?: string;
  date: string;
  /** The restrictions the decision is about, each with the policy version that made it (named in the confirmation). */
  restrictions?: ShopMetrics['restrictions'];
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const decide = useCreateDecision(shopId);
  const [action, setAction] = useState<DecisionAction>('confirm');
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState(addDays(date, 14));
  const [submitted, setSubmitted] = useState(false);
  const [confirming, setConfirming] = useState<DecisionInput | null>(null);
  /** The decision last sent: what "take over and decide" sends again, with reassign. */
  const [sent, setSent] = useState<DecisionInput | null>(null);
  const actionId = useId();
  const reasonId = useId();
  const reasonHint = useId();
  const untilId = useId();
  const untilHint = useId();
  const errors = validateDecision({ action, reason, until }, date);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (errors.reason || errors.until) return;
    setConfirming({ action, reason: reason.trim(), ...(action === 'exempt' ? { until } : {}) });
  };

  const send = (input: DecisionInput) => {
    setSent(input);
    decide.mutate(input, {
      onSuccess: () => {
        setConfirming(null);
        setSent(null);
        setReason('');
        setSubmitted(false);
      },
      onError: () => setConfirming(null),
    });
  };
  const confirm = () => {
    if (confirming) send(confirming);
  };

  return (
    <Section title={t('decision.title')} testId="decision-form">
      <form onSubmit={submit} noValidate className="form-grid">
        <div className="field">
          <label htmlFor={actionId}>{t('decision.action.label')}</label>
          <select id={actionId} value={action} onChange={(e) => setAction(e.target.value as DecisionAction)}>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {t(`decision.action.${a}`)}
              </option>
            ))}
          </select>
          <p className="muted">{t(`decision.help.${action}`)}</p>
        </div>
        {action === 'exempt' && (
          <div className="field">
            <label htmlFor={untilId}>{t('decision.until')}</label>
            <input
              id={untilId}
              type="date"
              value={until}
              min={date}
              required
              aria-invalid={submitted && !!errors.until}
              aria-describedby={untilHint}
              onChange={(e) => setUntil(e.target.value)}
            />
            <p id={untilHint} className={submitted && errors.until ? 'field-error' : 'muted'}>
              {submitted && errors.until ? t(errors.until) : t('decision.untilHint')}
            </p>
          </div>
        )}
        <div className="field field-wide">
          <label htmlFor={reasonId}>{t('decision.reason')}</label>
          <textarea
            id={reasonId}
            rows={3}
            value={reason}
            required
            aria-invalid={submitted && !!errors.reason}
            aria-describedby={reasonHint}
            onChange={(e) => setReason(e.target.value)}
            maxLength={2000}
          />
          <p id={reasonHint} className={submitted && errors.reason ? 'field-error' : 'muted'}>
            {submitted && errors.reason ? t(errors.reason) : t('decision.reasonHint', { min: MIN_REASON })}
          </p>
        </div>
        <div className="field-wide">
          <button type="submit" className="button button-primary" disabled={decide.isPending}>
            {t('decision.submit')}
          </button>
          {decide.isSuccess && (
            <p role="status" className="field-ok" data-testid="decision-saved">
              {t('decision.saved', { action: t(`decision.action.${decide.data?.action ?? action}`) })}
            </p>
          )}
          {decide.isError && <DecisionError error={decide.error} busy={decide.isPending} onTakeOver={() => sent && send({ ...sent, reassign: true })} />}
        </div>
      </form>
      {confirming && (
        <ConfirmDialog
          title={t('decision.confirmTitle')}
          confirmLabel={t('decision.confirm')}
          onConfirm={confirm}
          onCancel={() => setConfirming(null)}
          busy={decide.isPending}
          danger={confirming.action === 'exempt' || confirming.action === 'lift_early'}
        >
          <p>
            {t('decision.confirmText', { action: t(`decision.action.${confirming.action}`), shop: shopName ? `${shopName} (${shopId})` : shopId })}
            {confirming.until && <> {t('decision.untilDate', { date: formatDate(confirming.until, lang) })}</>}
          </p>
          <blockquote>{confirming.reason}</blockquote>
          {restrictions && <RestrictionVersions restrictions={restrictions} date={date} testId="confirm-restrictions" />}
        </ConfirmDialog>
      )}
    </Section>
  );
}
