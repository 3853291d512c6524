/**
 * Renders a review report: Markdown for a PR comment, text for a terminal, JSON for
 * machines. Only report data is rendered (addresses, rule codes and the rule text of
 * messages.ts, names, ids): plan values, sensitive or not, are never echoed.
 */
import type { Finding, ReviewReport } from './review';
import { MARKDOWN_BUDGET, capped, code, md, palette, plural } from './format';

/** Marker line that lets a CI job find and update its own earlier comment. */
export const REVIEW_MARKER = '<!-- cloudbilling-review -->';

const ACTION_VERB: Record<string, string> = { import: 'import', create: 'create', update: 'update', delete: 'delete', replace: 'replace', forget: 'forget' };

export function countsLine(r: ReviewReport): string {
  const c = r.counts;
  const parts = (['import', 'create', 'update', 'replace', 'delete', 'forget'] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} to ${ACTION_VERB[k]}`);
  const tool = r.tool === 'terraform' ? 'Terraform plan' : 'Pulumi preview';
  const what = parts.length > 0 ? parts.join(', ') : 'no cloudbilling changes';
  const extra = [c.unchanged > 0 ? `${c.unchanged} unchanged` : '', c.other > 0 ? `${plural(c.other, 'other resource')} not reviewed` : ''].filter(Boolean);
  return `${tool}: ${what}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

function verdict(r: ReviewReport): string {
  if (r.errors.length > 0) return `${plural(r.errors.length, 'error')}${r.warnings.length ? `, ${plural(r.warnings.length, 'warning')}` : ''}`;
  if (r.warnings.length > 0) return `no errors, ${plural(r.warnings.length, 'warning')}`;
  return 'no rule violations';
}

function where(f: Finding): string {
  return f.path && f.path.length > 0 ? ` (${f.path.join('.')})` : '';
}

function relatedText(f: Finding): string {
  return f.related && f.related.length > 0 ? ` (also: ${f.related.join(', ')})` : '';
}

export function renderMarkdown(r: ReviewReport): string {
  const icon = r.errors.length > 0 ? '❌' : r.warnings.length > 0 ? '⚠️' : '✅';
  const out: string[] = [REVIEW_MARKER, '### cloudbilling review', '', `${icon} **${verdict(r)}** — ${md(countsLine(r))}${r.strict ? ' · strict: warnings count as errors' : ''}`];

  if (r.errors.length > 0) {
    const { shown, hidden } = capped(r.errors, 100);
    out.push('', '#### Errors', '');
    for (const f of shown) {
      const also = f.related && f.related.length > 0 ? ` (also ${f.related.map(code).join(', ')})` : '';
      out.push(`- ${code(f.label)}${md(where(f))}${also} — **${f.code}**${f.strict ? ' (warning, strict)' : ''}: ${md(f.summary)}  `, `  Fix: ${md(f.detail)}`);
    }
    if (hidden) out.push(`- … and ${hidden} more errors (see \`--format json\`)`);
  }

  if (r.removals.length > 0) {
    const { shown, hidden } = capped(r.removals, 100);
    out.push('', '#### Deletes and replaces', '', '| Resource | Action | What |', '|---|---|---|');
    for (const x of shown) {
      const why = x.reasons && x.reasons.length ? ` (forced by ${x.reasons.map(md).join(', ')})` : '';
      out.push(`| ${code(x.label)} | **${x.action}**${why} | ${md(x.what)} |`);
    }
    if (hidden) out.push(`| … | | ${hidden} more |`);
  }

  if (r.moves.length > 0) {
    const { shown, hidden } = capped(r.moves, 200);
    out.push('', '#### Project moves', '', '| Project | From → To | Effective from | Resource |', '|---|---|---|---|');
    for (const m of shown) {
      out.push(`| ${md(m.projectName)} (${code(m.projectId)}) | ${md(m.from)} → ${m.to === null ? '_(known after apply)_' : md(m.to)} | ${m.effectiveFrom} | ${code(m.label)} |`);
    }
    if (hidden) out.push(`| … ${hidden} more moves | | | |`);
  }

  if (r.warnings.length > 0) {
    const { shown, hidden } = capped(r.warnings, 100);
    out.push('', '#### Warnings', '');
    for (const f of shown) out.push(`- ${code(f.label)}${md(where(f))} — **${f.code}**: ${md(f.summary)}  `, `  ${md(f.detail)}`);
    if (hidden) out.push(`- … and ${hidden} more warnings`);
  }

  const head = out.join('\n');
  const details: string[] = [];
  if (r.notes.length > 0) {
    details.push('', '**Notes** (what was not checked, and why):', '');
    for (const n of capped(r.notes, 50).shown) details.push(`- ${code(n.label)}: ${md(n.text)}`);
  }
  if (r.actions.length > 0) {
    details.push('', '| Resource | Action |', '|---|---|');
    let budget = MARKDOWN_BUDGET - head.length - 2_000;
    let shown = 0;
    for (const a of r.actions) {
      const line = `| ${code(a.label)} | ${a.action} |`;
      budget -= line.length + 1;
      if (budget < 0) break;
      details.push(line);
      shown++;
    }
    if (shown < r.actions.length) details.push(`| … ${r.actions.length - shown} more | |`);
  }
  if (details.length === 0) return head + '\n';
  return `${head}\n\n<details><summary>All ${plural(r.actions.length, 'planned change')} · ${plural(r.changes, 'rule check')}</summary>\n${details.join('\n')}\n\n</details>\n`;
}

export function renderText(r: ReviewReport, color = false): string {
  const c = palette(color);
  const out: string[] = [];
  const head = r.errors.length > 0 ? c.red(c.bold('✗ ' + verdict(r))) : r.warnings.length > 0 ? c.yellow(c.bold('! ' + verdict(r))) : c.green(c.bold('✓ ' + verdict(r)));
  out.push(`cloudbilling review: ${head}`, c.dim(countsLine(r)));
  const finding = (f: Finding) => {
    const tag = f.severity === 'error' ? c.red(c.bold('error  ')) : c.yellow(c.bold('warning'));
    out.push('', `${tag} ${c.bold(f.code)}${f.strict ? ' (strict)' : ''}  ${f.label}${where(f)}${relatedText(f)}`, `  ${f.summary}.`, `  ${c.dim(f.detail)}`);
  };
  r.errors.forEach(finding);
  if (r.removals.length > 0) {
    out.push('', c.bold('Deletes and replaces:'));
    for (const x of r.removals) out.push(`  ${x.action.padEnd(7)} ${x.label}: ${x.what}`);
  }
  if (r.moves.length > 0) {
    out.push('', c.bold('Project moves:'));
    for (const m of r.moves) out.push(`  ${m.projectName} (${m.projectId}): ${m.from} -> ${m.to ?? '(known after apply)'}, effective ${m.effectiveFrom}`);
  }
  r.warnings.forEach(finding);
  if (r.notes.length > 0) {
    out.push('', c.bold('Notes:'));
    for (const n of r.notes) out.push(`  ${n.label}: ${n.text}`);
  }
  return out.join('\n') + '\n';
}

export function renderJson(r: ReviewReport): string {
  return JSON.stringify({ version: 1, ...r }, null, 2) + '\n';
}
