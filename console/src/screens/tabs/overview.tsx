/**
 * Overview (SPEC §9, issue 11 part 4): the group's cost per month (its invoices, plus the
 * current month's usage not yet invoiced, from the snapshot's finance figures) and per
 * project (its invoice lines), as bar charts with the same figures in tables beside them.
 */
import type { Invoice, List, Snapshot } from '../../../../provider/client/types';
import type { GroupFinance } from '../../../../provider/domain/types';
import { enc, get } from '../../api';
import { Failure, Loading, money, useLoad } from '../../ui';
import type { TabProps } from '../group-page';

interface Bar {
  label: string;
  value: number;
  note?: string;
}

export function OverviewTab(props: TabProps) {
  const g = props.group;
  const data = useLoad(async () => {
    const [inv, snap] = await Promise.all([get<List<Invoice>>(`/v1/billing-groups/${enc(g.id)}/invoices`), get<Snapshot>('/v1/snapshot')]);
    const finance = (snap.groups.find((x) => x.id === g.id) as { finance?: GroupFinance } | undefined)?.finance;
    const names = new Map(snap.projects.map((p) => [p.id, p.name]));
    return { invoices: inv.items, finance, names };
  }, [g.id, g.version]);
  if (data.error) return <Failure error={data.error} />;
  if (!data.data) return <Loading what="costs" />;
  const { invoices, finance, names } = data.data;
  const currency = g.details?.currency ?? 'USD';
  const months: Bar[] = invoices.map((i) => ({ label: i.period, value: i.total, note: i.status }));
  if (finance && finance.unbilledUsage > 0) months.push({ label: 'Current (not invoiced)', value: finance.unbilledUsage, note: 'usage so far' });
  const perProject = new Map<string, number>();
  for (const i of invoices) for (const l of i.lines) perProject.set(l.projectId, (perProject.get(l.projectId) ?? 0) + l.amount);
  const projects: Bar[] = [...perProject]
    .map(([id, value]) => ({ label: names.get(id) ?? id, value: Math.round(value * 100) / 100 }))
    .sort((a, b) => b.value - a.value);
  return (
    <div class="overview">
      <dl class="facts">
        <div>
          <dt>Projects</dt>
          <dd>{g.type === 'main' && g.totalProjectCount !== undefined ? `${g.totalProjectCount} in the domain (${g.projectCount} own)` : g.projectCount}</dd>
        </div>
        {finance && (
          <>
            <div>
              <dt>Outstanding</dt>
              <dd>{money(finance.outstandingAmount, currency)}</dd>
            </div>
            <div>
              <dt>Unbilled usage</dt>
              <dd>{money(finance.unbilledUsage, currency)}</dd>
            </div>
            <div>
              <dt>Credits</dt>
              <dd>
                {money(finance.freeCredits, currency)} free, {money(finance.paidCredits, currency)} paid
              </dd>
            </div>
          </>
        )}
      </dl>
      <div class="charts">
        <Chart id="per-month" title="Cost per month" bars={months} currency={currency} first="Month" />
        <Chart id="per-project" title="Cost per project (all invoices)" bars={projects} currency={currency} first="Project" />
      </div>
    </div>
  );
}

/** A horizontal bar chart (SVG, hidden from screen readers) and its table (the accessible version). */
function Chart(props: { id: string; title: string; bars: Bar[]; currency: string; first: string }) {
  const max = Math.max(0, ...props.bars.map((b) => b.value));
  const row = 26;
  const labelW = 170;
  const width = 560;
  const barW = width - labelW - 110;
  return (
    <figure class="chart" aria-labelledby={`${props.id}-title`}>
      <figcaption id={`${props.id}-title`}>{props.title}</figcaption>
      {props.bars.length === 0 ? (
        <p>No costs yet.</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${width} ${props.bars.length * row + 4}`} width={width} height={props.bars.length * row + 4} aria-hidden="true" focusable="false" class="bars">
            {props.bars.map((b, i) => {
              const w = max > 0 ? Math.max(2, (b.value / max) * barW) : 2;
              return (
                <g key={b.label} transform={`translate(0 ${i * row + 2})`}>
                  <text x={labelW - 8} y={row / 2 + 4} text-anchor="end" class="bar-label">
                    {b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label}
                  </text>
                  <rect x={labelW} y={3} width={w} height={row - 8} rx={3} class={b.note === 'usage so far' ? 'bar current' : b.note === 'open' ? 'bar open' : 'bar'} />
                  <text x={labelW + w + 6} y={row / 2 + 4} class="bar-value">
                    {money(b.value, props.currency)}
                  </text>
                </g>
              );
            })}
          </svg>
          <table class="chart-table">
            <caption class="sr-only">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">{props.first}</th>
                <th scope="col" class="num">
                  Cost
                </th>
                {props.bars.some((b) => b.note) && <th scope="col">Status</th>}
              </tr>
            </thead>
            <tbody>
              {props.bars.map((b) => (
                <tr key={b.label}>
                  <th scope="row">{b.label}</th>
                  <td class="num">{money(b.value, props.currency)}</td>
                  {props.bars.some((x) => x.note) && <td>{b.note ?? ''}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </figure>
  );
}
