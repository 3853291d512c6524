/** Renders a drift report as Markdown (issue or PR comment), text, or JSON. */
import type { DriftItem, DriftReport, DriftStatus } from './drift';
import { capped, code, md, palette, plural } from './format';

export const DRIFT_MARKER = '<!-- cloudbilling-drift -->';

const TITLES: Record<DriftStatus, string> = { changed: 'Changed outside IaC', missing: 'Missing (deleted outside IaC)', unmanaged: 'Unmanaged (not declared in code)' };

const val = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function summary(r: DriftReport): string {
  if (r.items.length === 0) return 'no drift';
  const by = (s: DriftStatus) => r.items.filter((i) => i.status === s).length;
  const parts = (['changed', 'missing', 'unmanaged'] as const).filter((s) => by(s) > 0).map((s) => `${by(s)} ${s}`);
  return `${plural(r.items.length, 'drifted object')} (${parts.join(', ')})`;
}

function source(r: DriftReport): string {
  return `${plural(r.managed, 'managed object')} in ${r.tool === 'terraform' ? 'Terraform state' : 'the Pulumi stack'}, live snapshot ${r.at}`;
}

function who(i: DriftItem): string {
  if (!i.changedBy) return 'unknown';
  if (i.changedVia === undefined) return i.changedBy;
  return `${i.changedBy} ${i.changedVia === null ? 'outside IaC (console or API)' : `via ${i.changedVia}`}`;
}

export function renderDriftMarkdown(r: DriftReport): string {
  const out = [DRIFT_MARKER, '### cloudbilling drift', '', `${r.items.length ? '⚠️' : '✅'} **${summary(r)}** — ${md(source(r))}`];
  for (const status of ['changed', 'missing', 'unmanaged'] as const) {
    const list = r.items.filter((i) => i.status === status);
    if (list.length === 0) continue;
    const { shown, hidden } = capped(list, 200);
    out.push('', `#### ${TITLES[status]}`, '', '| Object | Field | Desired (IaC) | Actual (live) | Changed by | When |', '|---|---|---|---|---|---|');
    for (const i of shown) {
      const obj = i.address ? `${md(i.what)}<br>${code(i.label)}` : md(i.what);
      const rows = i.fields.length > 0 ? i.fields : [{ field: '', desired: status === 'missing' ? 'exists' : null, actual: status === 'missing' ? 'absent' : 'exists' }];
      rows.forEach((f, n) => {
        out.push(`| ${n === 0 ? obj : ''} | ${f.field ? code(f.field) : ''} | ${md(val(f.desired))} | ${md(val(f.actual))} | ${n === 0 ? md(who(i)) : ''} | ${n === 0 ? md(i.changedAt ?? '') : ''} |`);
      });
    }
    if (hidden) out.push(`| … ${hidden} more | | | | | |`);
  }
  return out.join('\n') + '\n';
}

export function renderDriftText(r: DriftReport, color = false): string {
  const c = palette(color);
  const out = [`cloudbilling drift: ${r.items.length ? c.yellow(c.bold(summary(r))) : c.green(c.bold(summary(r)))}`, c.dim(source(r))];
  for (const i of r.items) {
    out.push('', `${c.bold(i.status.padEnd(9))} ${i.what}${i.address ? c.dim(`  ${i.label}`) : ''}`);
    for (const f of i.fields) out.push(`  ${f.field}: ${val(f.desired)} -> ${val(f.actual)}`);
    out.push(`  ${c.dim(i.changedBy ? `by ${who(i)} at ${i.changedAt} (${i.event})` : 'no event found')}`);
  }
  return out.join('\n') + '\n';
}

export function renderDriftJson(r: DriftReport): string {
  const items = r.items.map(({ evidence: _e, ...rest }) => rest);
  return JSON.stringify({ version: 1, ...r, items }, null, 2) + '\n';
}
