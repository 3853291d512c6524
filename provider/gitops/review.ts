/**
 * `cloudbilling review`: evaluates a whole plan against the live snapshot with the one
 * rules engine and produces a report that the formatters render. Pure: the caller reads
 * the plan and fetches the snapshot (once).
 */
import { evaluate, firstOfNextMonth } from '../domain/rules';
import { diagnostic, reword } from '../domain/messages';
import type { Change, Diagnostic, DomainState } from '../domain/types';
import { mapPlan, type MappingNote } from './changes';
import type { ParsedPlan, PlanAction, PlannedResource, ResourceKind } from './model';

export interface Finding {
  severity: 'error' | 'warning';
  code: string;
  summary: string;
  detail: string;
  /** Resource address (Terraform address or Pulumi URN). */
  address: string;
  /** Short label for people. */
  label: string;
  action: PlanAction;
  /** Field inside the resource (camelCase), when the rule points at one. */
  path?: (string | number)[];
  /** Reported as a warning by the rules, raised to an error by `--strict`. */
  strict?: boolean;
  /** Other resources involved (e.g. the other link of a PROJECT_MULTI_LINK). */
  related?: string[];
}

export interface Removal {
  address: string;
  label: string;
  kind: ResourceKind;
  action: 'delete' | 'replace';
  /** What it is, for people: a group name, a project, a membership. */
  what: string;
  reasons?: string[];
}

export interface Move {
  address: string;
  label: string;
  projectId: string;
  projectName: string;
  from: string;
  /** Target group name; `null` when known only after apply. */
  to: string | null;
  effectiveFrom: string;
}

export interface ReviewReport {
  tool: 'terraform' | 'pulumi';
  strict: boolean;
  counts: { import: number; create: number; update: number; delete: number; replace: number; forget: number; unchanged: number; other: number };
  /** Number of changes handed to the rules engine. */
  changes: number;
  errors: Finding[];
  warnings: Finding[];
  removals: Removal[];
  moves: Move[];
  notes: MappingNote[];
  /** Every planned cloudbilling action, for the collapsed details. */
  actions: { address: string; label: string; kind: ResourceKind; action: PlanAction }[];
  /** 0 clean, 1 rule errors. */
  exitCode: 0 | 1;
}

export interface ReviewOptions {
  strict?: boolean;
  now?: Date;
}

export function review(plan: ParsedPlan, state: DomainState, opts: ReviewOptions = {}): ReviewReport {
  const now = opts.now ?? new Date();
  const mapping = mapPlan(plan, state);
  const { changes, origins } = mapping;
  const result = evaluate(state, changes, { now });

  const extra: Diagnostic[] = [];
  changes.forEach((c, index) => {
    const r = origins[index];
    if (c.op === 'deleteGroup' && r.before?.deletionProtection === true) {
      extra.push(diagnostic('DELETION_PROTECTED', { name: r.before.name ?? c.id }, { index }));
    }
  });

  // In the words of the plan's tool: Terraform attribute names, and the resources' addresses.
  const wording = { terraform: plan.tool === 'terraform', change: (i: number) => origins[i]?.address || undefined };
  const toFinding = (diag: Diagnostic): Finding => {
    const d = reword(diag, wording);
    const r = d.index !== undefined ? origins[d.index] : undefined;
    const f: Finding = {
      severity: d.severity,
      code: d.code,
      summary: d.summary,
      detail: d.detail,
      address: r?.address ?? '',
      label: r?.label ?? '(plan)',
      action: r?.action ?? 'update',
    };
    if (d.path && d.path.length > 0) f.path = d.path;
    if (d.code === 'PROJECT_MULTI_LINK' && d.index !== undefined) {
      const c = changes[d.index] as { projectId?: string };
      const others = changes
        .map((x, i) => ({ x: x as { op: string; projectId?: string }, i }))
        .filter(({ x, i }) => i !== d.index && (x.op === 'link' || x.op === 'unlink') && x.projectId === c.projectId)
        .map(({ i }) => origins[i].label);
      if (others.length > 0) f.related = [...new Set(others)];
    }
    return f;
  };
  const errors = [...result.errors, ...extra].map(toFinding);
  let warnings = result.warnings.map(toFinding);
  if (opts.strict) {
    errors.push(...warnings.map((w) => ({ ...w, severity: 'error' as const, strict: true })));
    warnings = [];
  }

  const counts = { import: 0, create: 0, update: 0, delete: 0, replace: 0, forget: 0, unchanged: 0, other: plan.otherResources };
  for (const r of plan.resources) {
    if (r.importing) counts.import++;
    if (r.action === 'no-op') {
      if (!r.importing) counts.unchanged++;
    } else counts[r.action]++;
  }

  return {
    tool: plan.tool,
    strict: opts.strict === true,
    counts,
    changes: changes.length,
    errors,
    warnings,
    removals: removals(plan.resources, state),
    moves: moves(changes, origins, state, firstOfNextMonth(now)),
    notes: mapping.notes,
    actions: plan.resources.filter((r) => r.action !== 'no-op').map((r) => ({ address: r.address, label: r.label, kind: r.kind, action: r.action })),
    exitCode: errors.length > 0 ? 1 : 0,
  };
}

function removals(resources: PlannedResource[], state: DomainState): Removal[] {
  const groupName = (id: unknown) => state.groups.find((g) => g.id === id)?.name ?? String(id);
  const userName = (id: unknown) => state.users.find((u) => u.id === id)?.email ?? String(id);
  const out: Removal[] = [];
  for (const r of resources) {
    if (r.action !== 'delete' && r.action !== 'replace') continue;
    const b = r.before ?? {};
    let what: string;
    switch (r.kind) {
      case 'billingGroup':
        what = `billing group ${JSON.stringify(b.name ?? groupName(b.id))}`;
        break;
      case 'mainBillingGroup':
        what = 'main billing group (removed from state only)';
        break;
      case 'projectLink':
        what = `link of project ${b.projectId ?? '?'} to ${JSON.stringify(groupName(b.billingGroupId))}`;
        break;
      case 'groupPermission':
        what = `membership of ${userName(b.userId)} in ${JSON.stringify(groupName(b.billingGroupId))}`;
        break;
    }
    const item: Removal = { address: r.address, label: r.label, kind: r.kind, action: r.action, what };
    if (r.replaceReasons) item.reasons = r.replaceReasons;
    out.push(item);
  }
  return out;
}

function moves(changes: Change[], origins: PlannedResource[], state: DomainState, effectiveFrom: string): Move[] {
  const groups = new Map(state.groups.map((g) => [g.id, g.name]));
  // Groups created by the plan, by the id the provider reserved for them.
  for (const c of changes) if (c.op === 'createGroup' && c.id !== undefined && typeof c.group.name === 'string') groups.set(c.id, c.group.name);
  const projects = new Map(state.projects.map((p) => [p.id, p]));
  const mainName = groups.get(state.domain.mainGroupId) ?? state.domain.name;
  const out: Move[] = [];
  changes.forEach((c, i) => {
    if (c.op !== 'link' && c.op !== 'unlink') return;
    const p = projects.get(c.projectId);
    if (!p) return;
    let to: string | null;
    if (c.op === 'unlink') to = mainName;
    else if (c.billingGroupId !== undefined) {
      if (c.billingGroupId === p.billingGroupId) return;
      to = groups.get(c.billingGroupId) ?? c.billingGroupId;
    } else to = c.billingGroupName ?? null;
    const from = groups.get(p.billingGroupId) ?? p.billingGroupId;
    if (to !== null && to === from) return;
    out.push({ address: origins[i].address, label: origins[i].label, projectId: p.id, projectName: p.name, from, to, effectiveFrom });
  });
  return out;
}
