/** Invoices (SPEC §9): list, CSV download (the token goes in the header, never the URL), pay. */
import { useState } from 'preact/hooks';
import type { Invoice, List } from '../../../../provider/client/types';
import { call, download, enc, get } from '../../api';
import { Failure, Loading, money, useLoad, when } from '../../ui';
import type { TabProps } from '../group-page';

export function InvoicesTab(props: TabProps) {
  const g = props.group;
  const data = useLoad(() => get<List<Invoice & { paidAt?: string | null }>>(`/v1/billing-groups/${enc(g.id)}/invoices`), [g.id]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const currency = g.details?.currency ?? 'USD';
  const pay = async (inv: Invoice) => {
    setError(null);
    try {
      await call('POST', `/v1/invoices/${enc(inv.id)}/pay`);
      setNotice(`Invoice ${inv.period} is paid.`);
      data.reload();
      props.changed();
    } catch (e) {
      setError(e);
    }
  };
  const csv = async (inv: Invoice) => {
    setError(null);
    try {
      await download(`/v1/invoices/${enc(inv.id)}?format=csv`, `${inv.id}.csv`);
    } catch (e) {
      setError(e);
    }
  };
  if (data.error) return <Failure error={data.error} />;
  if (!data.data) return <Loading what="invoices" />;
  const items = [...data.data.items].reverse();
  return (
    <div>
      <h2>Invoices</h2>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <Failure error={error} />
      {items.length === 0 ? (
        <p>No invoices yet. An invoice is made when a month is closed.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col" class="num">
                Total
              </th>
              <th scope="col">Lines</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((inv) => (
              <tr key={inv.id}>
                <th scope="row">{inv.period}</th>
                <td class="num">{money(inv.total, currency)}</td>
                <td>{inv.lines.length}</td>
                <td>{inv.status === 'paid' ? `paid ${inv.paidAt ? when(inv.paidAt) : ''}` : 'open'}</td>
                <td class="row-actions">
                  <button type="button" onClick={() => csv(inv)} aria-label={`Download CSV of invoice ${inv.period}`}>
                    Download CSV
                  </button>
                  {inv.status === 'open' && (
                    <button type="button" class="primary" onClick={() => pay(inv)} aria-label={`Pay invoice ${inv.period}`}>
                      Pay
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
