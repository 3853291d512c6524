/** Billing information (SPEC §9): e-mails, payment method (the reference only when the API shows it) and details. */
import { Link } from 'wouter-preact';
import { paymentText } from '../group-list';
import type { TabProps } from '../group-page';

export function BillingTab(props: TabProps) {
  const g = props.group;
  const d = g.details ?? {};
  const row = (label: string, value: string | null | undefined) => (
    <div>
      <dt>{label}</dt>
      <dd>{value && value !== '' ? value : '—'}</dd>
    </div>
  );
  return (
    <div>
      <h2>Billing information</h2>
      <dl class="info">
        {row('Billing e-mails', g.billingEmails.join(', '))}
        {row('Invoice e-mails', g.invoiceEmails.join(', '))}
        {row('Payment method', paymentText(g))}
        {row('Company', d.company)}
        {row('Address', (d.addressLines ?? []).join(', '))}
        {row('Country code', d.countryCode)}
        {row('VAT id', d.vatId)}
        {row('Currency', d.currency)}
        {row('Version', String(g.version))}
      </dl>
      {props.canChange && (
        <p>
          <Link href={`/groups/${g.id}/edit`} class="button">
            Modify billing information
          </Link>
        </p>
      )}
    </div>
  );
}
