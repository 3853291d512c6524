/** Credits (SPEC §9): the group's credits, claim a code, refund a paid credit. */
import { useState } from 'preact/hooks';
import type { Credit, List } from '../../../../provider/client/types';
import { call, enc, get, type Violation } from '../../api';
import { Failure, Loading, money, Rules, useLoad } from '../../ui';
import type { TabProps } from '../group-page';

export function CreditsTab(props: TabProps) {
  const g = props.group;
  const data = useLoad(() => get<List<Credit>>(`/v1/billing-groups/${enc(g.id)}/credits`), [g.id]);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<{ text: string; warnings: Violation[] } | null>(null);
  const currency = g.details?.currency ?? 'USD';
  const run = async (fn: () => Promise<{ warnings?: Violation[] }>, text: string) => {
    setError(null);
    setNotice(null);
    try {
      const r = await fn();
      setNotice({ text, warnings: r?.warnings ?? [] });
      data.reload();
      props.changed();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const claim = async (e: Event) => {
    e.preventDefault();
    if (await run(() => call('POST', `/v1/billing-groups/${enc(g.id)}/credits`, { body: { code: code.trim() } }), `Claimed credit ${code.trim()}.`)) setCode('');
  };
  if (data.error) return <Failure error={data.error} />;
  if (!data.data) return <Loading what="credits" />;
  return (
    <div>
      <h2>Credits</h2>
      {notice && (
        <div class="notice" role="status">
          <p>{notice.text}</p>
          <Rules rules={notice.warnings} kind="warning" />
        </div>
      )}
      <Failure error={error} title="Nothing was changed:" />
      {data.data.items.length === 0 ? (
        <p>No credits.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Kind</th>
              <th scope="col" class="num">
                Amount
              </th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.data.items.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <code>{c.code}</code>
                </th>
                <td>{c.kind}</td>
                <td class="num">{money(c.amount, currency)}</td>
                <td>{c.status}</td>
                <td>
                  {c.kind === 'paid' && c.status === 'active' && (
                    <button type="button" onClick={() => run(() => call('POST', `/v1/billing-groups/${enc(g.id)}/credits/${enc(c.id)}/refund`), `Refunded credit ${c.code}.`)} aria-label={`Refund credit ${c.code}`}>
                      Refund
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={claim} class="inline-form">
        <label for="credit-code">Credit code</label>
        <input id="credit-code" value={code} required autoComplete="off" onInput={(e) => setCode((e.target as HTMLInputElement).value)} aria-describedby="credit-help" />
        <button type="submit" class="primary">
          Claim
        </button>
        <p id="credit-help" class="help">
          For example <code>FREE-2026-500</code>; codes starting <code>PAID-</code> are paid credits.
        </p>
      </form>
    </div>
  );
}
